"""The published tables: names, column types and descriptions (the source of the data dictionary)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

SCHEMA_VERSION = "1.2.0"
FRICTIONLESS_TYPES = {
    pl.String: "string",
    pl.Int64: "integer",
    pl.Float64: "number",
    pl.Date: "date",
    pl.Boolean: "boolean",
    pl.Datetime: "datetime",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One published column."""

    name: str
    dtype: pl.DataType
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One published table, partitioned by inspection."""

    name: str
    description: str
    grain: str
    columns: tuple[ColumnSpec, ...]

    @property
    def polars_schema(self) -> pl.Schema:
        """Column names and types in published order."""
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        """Column names in published order."""
        return [c.name for c in self.columns]

    def pandera_schema(self):
        """A strict Pandera schema that every published frame of this table must pass."""
        import pandera.polars as pa  # imported here so that reading the warehouse does not load Pandera

        return pa.DataFrameSchema(
            {c.name: pa.Column(c.dtype, nullable=c.nullable, description=c.description) for c in self.columns},
            strict=True,
            ordered=True,
            name=self.name,
        )

    def frictionless_schema(self, partition: str = "inspection_id") -> dict:
        """The Frictionless table schema of one partition file (the partition column is in its path, not in it)."""
        return {
            "fields": [
                {"name": c.name, "type": FRICTIONLESS_TYPES[type(c.dtype)], "description": c.description}
                for c in self.columns
                if c.name != partition
            ],
            # Frictionless reads Parquet through pandas, which turns a null whole number into NaN.
            "missingValues": ["", "nan"],
        }

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select and cast a frame to this table's published columns and types."""
        return frame.select([pl.col(c.name).cast(c.dtype) for c in self.columns])


def _c(name: str, dtype: pl.DataType, description: str, nullable: bool = False) -> ColumnSpec:
    return ColumnSpec(name, dtype, description, nullable)


INSPECTION_ID = _c("inspection_id", pl.String(), "Inspection id: the landing-zone folder name, e.g. dyfed-powys-2025.")
FINGERPRINT = _c(
    "fingerprint",
    pl.String(),
    "sha256 of the inputs that produced this row (manifest, cases file, framework file, pipeline version); "
    "the runs ledger maps it to the run that published it.",
)
STANDARD_ID = _c("standard_id", pl.String(), "Standard id as published, e.g. P2.1.")
QUESTION_ID = _c("question_id", pl.String(), "Key-question id, e.g. P2.1.3 (assessment / keeping other people safe).")
COUNTS = (
    _c("yes", pl.Int64(), "Cases answered Yes."),
    _c("no", pl.Int64(), "Cases answered No."),
    _c("not_applicable", pl.Int64(), "Cases answered N/A (not in the denominator)."),
    _c("relevant_cases", pl.Int64(), "Yes + No: the cases to which the question applied."),
    _c(
        "percentage",
        pl.Float64(),
        "Unrounded percentage Yes = 100 * yes / relevant_cases; null with no relevant case.",
        True,
    ),
    _c(
        "published_percentage",
        pl.Int64(),
        "Percentage Yes as published: whole number, rounded half up; null with no relevant case.",
        True,
    ),
)
SUPPRESSIBLE_COUNTS = tuple(ColumnSpec(c.name, c.dtype, c.description + " Null when suppressed.", True) for c in COUNTS)

# Issue 12: the uncertainty of each percentage (transforms/intervals.py) and how sure each rating is.
INTERVAL_COLUMNS = (
    _c(
        "ci_lower",
        pl.Float64(),
        "Lower end of the 95% Wilson score interval of the percentage Yes, in percentage "
        "points (0-100, unrounded); null with no relevant case.",
        True,
    ),
    _c(
        "ci_upper",
        pl.Float64(),
        "Upper end of the 95% Wilson score interval of the percentage Yes, in percentage "
        "points (0-100, unrounded); null with no relevant case.",
        True,
    ),
)
SENSITIVITY_COLUMNS = (
    _c(
        "plausible_lowest_rating",
        pl.String(),
        "Lowest band reached by the lower end of the 95% interval of any of "
        "the standard's key questions (banded as the framework bands a percentage); null for standards judged by "
        "inspectors.",
        True,
    ),
    _c(
        "plausible_highest_rating",
        pl.String(),
        "Band of the lowest upper end of the 95% intervals of the "
        "standard's key questions; null for standards judged by inspectors.",
        True,
    ),
    _c(
        "rating_sensitive",
        pl.Boolean(),
        "True when either plausible rating differs from the rating: the sample "
        "cannot rule out another rating; null for standards judged by inspectors.",
        True,
    ),
)
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "inspections",
            "One row per published inspection: its sample, score and overall rating.",
            "inspection",
            (
                INSPECTION_ID,
                _c("framework", pl.String(), "Framework id the inspection was rated against, e.g. probation-pdu-2023."),
                _c("pdu", pl.String(), "Probation delivery unit inspected."),
                _c("region", pl.String(), "Region of the PDU."),
                _c("fieldwork_start", pl.Date(), "First day of fieldwork."),
                _c("cases", pl.Int64(), "Cases inspected in the sample."),
                _c("community_orders", pl.Int64(), "Cases in the sample on a community order."),
                _c("licences", pl.Int64(), "Cases in the sample released on licence."),
                _c("score", pl.Int64(), "Sum of the points of every standard's rating."),
                _c("max_score", pl.Int64(), "Highest possible score under the framework (21 for seven standards)."),
                _c(
                    "overall_rating",
                    pl.String(),
                    "Overall rating from the score: Outstanding, Good, Requires improvement or Inadequate.",
                ),
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "standard_ratings",
            "One row per inspection and standard: its rating and points.",
            "inspection x standard",
            (
                INSPECTION_ID,
                STANDARD_ID,
                _c("standard_name", pl.String(), "Standard name as published, e.g. Assessment."),
                _c("rating", pl.String(), "Outstanding, Good, Requires improvement or Inadequate."),
                _c("points", pl.Int64(), "Points the rating earns towards the score."),
                _c(
                    "lowest_question_id",
                    pl.String(),
                    "Key question whose percentage drove the rating; null for standards judged by inspectors.",
                    True,
                ),
                *SENSITIVITY_COLUMNS,
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "key_question_results",
            "One row per inspection and key question: answers and percentage Yes.",
            "inspection x key question",
            (
                INSPECTION_ID,
                STANDARD_ID,
                QUESTION_ID,
                _c("question_text", pl.String(), "Key question, exact published wording."),
                *COUNTS,
                *INTERVAL_COLUMNS,
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "prompt_results",
            "One row per inspection and prompt supplied: answers and percentage Yes.",
            "inspection x prompt",
            (
                INSPECTION_ID,
                STANDARD_ID,
                QUESTION_ID,
                _c("prompt_id", pl.String(), "Prompt id: the key question's id and a letter, e.g. P2.1.3.a."),
                _c("prompt_text", pl.String(), "Prompt wording from the framework file."),
                *COUNTS,
                *INTERVAL_COLUMNS,
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "unrated_results",
            "One row per inspection and unrated measure supplied (e.g. management oversight): answers and percentage "
            "Yes. Reported in the inspection report but never driving a rating.",
            "inspection x unrated measure",
            (
                INSPECTION_ID,
                _c("measure_id", pl.String(), "Unrated measure id from the framework file, e.g. U1."),
                _c("measure_text", pl.String(), "Unrated measure wording from the framework file."),
                *COUNTS,
                *INTERVAL_COLUMNS,
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "breakdowns",
            "Every key question's results by a case characteristic. Cells with too few relevant cases are suppressed.",
            "inspection x dimension x category x key question",
            (
                INSPECTION_ID,
                _c(
                    "dimension",
                    pl.String(),
                    "Case characteristic: sentence_type, sex, ethnicity, rosh, practitioner_grade or probation_reset.",
                ),
                _c(
                    "category",
                    pl.String(),
                    "Value of the characteristic, as in the extract contract, e.g. community_order.",
                ),
                STANDARD_ID,
                QUESTION_ID,
                *SUPPRESSIBLE_COUNTS,
                _c(
                    "suppressed",
                    pl.Boolean(),
                    "True when the figures are withheld to protect small numbers (shown as [c] in the annexe).",
                ),
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "sample_profile",
            "How many inspected cases fall in each category of each case characteristic.",
            "inspection x dimension x category",
            (
                INSPECTION_ID,
                _c("dimension", pl.String(), "Case characteristic, as in breakdowns."),
                _c("category", pl.String(), "Value of the characteristic."),
                _c("cases", pl.Int64(), "Inspected cases in this category. Null when suppressed.", True),
                _c(
                    "suppressed",
                    pl.Boolean(),
                    "True when the count is withheld to protect small numbers (shown as [c] in the annexe); "
                    "never for sentence_type, whose sizes the inspection reports publish.",
                ),
                FINGERPRINT,
            ),
        ),
        TableSpec(
            "quarantine",
            "Every problem that stopped an inspection from being published, one row a problem.",
            "inspection x problem",
            (
                INSPECTION_ID,
                _c("file", pl.String(), "File the problem is in, relative to the landing zone."),
                _c("row", pl.Int64(), "Row in the file (the header is row 1); null for a whole-file problem.", True),
                _c("case_id", pl.String(), "case_id on that row, where there is one.", True),
                _c(
                    "column",
                    pl.String(),
                    "Column (or manifest key) the problem is in; null for a whole-file problem.",
                    True,
                ),
                _c("value", pl.String(), "The offending value as found, where there is one.", True),
                _c("check", pl.String(), "Short name of the failed check, e.g. allowed_values."),
                _c("message", pl.String(), "What is wrong and how to fix it, in words."),
                FINGERPRINT,
            ),
        ),
    )
}

RUNS = TableSpec(
    "runs",
    "The runs ledger: one row per run and inspection processed.",
    "run x inspection",
    (
        _c("run_id", pl.String(), "Run id (the Prefect flow run id where there is one)."),
        _c("trigger", pl.String(), "schedule, backfill or manual."),
        _c("started_at", pl.Datetime("us", "UTC"), "When the run started (UTC)."),
        ColumnSpec(
            INSPECTION_ID.name, INSPECTION_ID.dtype, "Inspection processed; null for a run with nothing to do.", True
        ),
        ColumnSpec(
            FINGERPRINT.name,
            FINGERPRINT.dtype,
            "Fingerprint of the inputs processed; null for a run with nothing to do.",
            True,
        ),
        _c("outcome", pl.String(), "published, rejected (quarantined), or idle (a run that found nothing to do)."),
        _c("rows", pl.Int64(), "Rows published for the inspection across its tables (or quarantine rows)."),
        _c("pipeline_version", pl.String(), "Version of this pipeline."),
        _c("framework_sha256", pl.String(), "sha256 of the framework file used.", True),
    ),
)
# Every table computed from a valid extract (quarantine holds what was not valid).
COMPUTED_TABLES = tuple(name for name in TABLES if name != "quarantine")
