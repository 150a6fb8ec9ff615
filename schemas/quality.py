"""Quality gate: Great Expectations checks that the published tables agree with their framework and each other.

`quality_failures(tables, frameworks)` validates every published table of a batch of inspections (any
number, any mix of frameworks) in one ephemeral GX context and returns one row per inspection, table
and failed expectation, with the offending rows. An empty frame means the batch may be published.

Values an expectation needs that are not in the table itself (the half-up published percentage, the
rating the framework's bands give, the inspection's number of cases, the sum of points ...) are
derived here in polars, independently of transforms/, as helper columns named `expected_*`,
`inspection_cases` and so on; GX then compares columns. Helper columns appear in the offending rows
and in the Data Docs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from schemas.tables import TABLES
from transforms.framework import Framework

QUALITY_TABLES = (
    "inspections", "standard_ratings", "key_question_results", "prompt_results", "breakdowns", "sample_profile",
)
FAILURE_SCHEMA = pl.Schema(
    {"inspection_id": pl.String, "table": pl.String, "expectation": pl.String, "message": pl.String,
     "offending_rows": pl.String}
)
KEY_COLUMNS = {
    "inspections": ["inspection_id"],
    "standard_ratings": ["inspection_id", "standard_id"],
    "key_question_results": ["inspection_id", "question_id"],
    "prompt_results": ["inspection_id", "prompt_id"],
    "breakdowns": ["inspection_id", "dimension", "category", "question_id"],
    "sample_profile": ["inspection_id", "dimension", "category"],
}
GRAIN = {
    "standard_ratings": "one row per inspection and standard",
    "key_question_results": "one row per inspection and question",
    "prompt_results": "one row per inspection and prompt",
    "breakdowns": "one row per inspection, dimension, category and question",
    "sample_profile": "one row per inspection, dimension and category",
}
MAX_OFFENDING_ROWS = 10
DOCS_SITE = "annexe_quality"
SUITE_PREFIX = "annexe_quality"
COUNT_TABLES = ("key_question_results", "prompt_results", "breakdowns")
SUPPRESSED_MEASURES = ("yes", "no", "not_applicable", "relevant_cases", "percentage", "published_percentage")
# Helper columns that only exist for an inspection whose framework was supplied. Checks reading them skip
# rows of other inspections ("framework is known" reports those once, instead of a cascade of failures).
FRAMEWORK_HELPERS = frozenset({
    "expected_overall_rating", "expected_max_score", "expected_standards", "expected_key_questions",
    "framework_standard", "framework_standard_name", "framework_rating", "expected_points", "expected_rating",
    "min_question_percentage", "framework_question", "framework_standard_id", "framework_question_text",
    "framework_prompt", "framework_prompt_question_id", "framework_prompt_text", "framework_dimension_category",
})


@dataclass(frozen=True)
class Check:
    """One expectation on one table, with the words a data-team member sees when it fails."""

    table: str
    gx_class: str  # class in great_expectations.expectations
    name: str  # short name, after the expectation type
    message: str  # what should hold, in plain words
    kwargs: dict[str, Any]
    show: tuple[str, ...] = ()  # extra columns for offending rows (expectation columns are shown anyway)
    when: tuple[str, Any] | None = None  # row condition: (column, value) the rule is limited to

    def columns(self) -> list[str]:
        """Columns the expectation reads, then extra columns to show."""
        named = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        listed = list(self.kwargs.get("column_list", []))
        condition = [self.when[0]] if self.when else []
        return [c for c in [*named, *listed, *condition, *self.show] if c]

    @property
    def needs_framework(self) -> bool:
        """Whether the check compares against something derived from the inspection's framework."""
        return any(c in FRAMEWORK_HELPERS for c in self.columns())


# --------------------------------------------------------------------------------------------------
# Framework facts as frames keyed by framework id (any number of frameworks at once)
# --------------------------------------------------------------------------------------------------


def _stack(frames: list[pl.DataFrame], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Concatenate per-framework frames, or an empty frame of the schema when there are none."""
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class _Facts:
    """Every framework's bands, standards, questions, prompts and characteristics, with a framework column."""

    frameworks: dict[str, Framework]
    summary: pl.DataFrame
    bands: pl.DataFrame
    overall: pl.DataFrame
    standards: pl.DataFrame
    questions: pl.DataFrame
    prompts: pl.DataFrame
    characteristics: pl.DataFrame

    @classmethod
    def of(cls, frameworks: dict[str, Framework]) -> _Facts:
        """The facts of the frameworks given (keyed by the id the inspections table uses)."""
        fws = list(frameworks.items())
        tag = pl.lit  # the framework id as a column

        def schema(**columns: pl.DataType) -> dict[str, pl.DataType]:
            return {"framework": pl.String, **columns}

        counts = schema(banding_basis=pl.String, expected_max_score=pl.Int64, expected_standards=pl.Int64,
                        expected_key_questions=pl.Int64)
        return cls(
            frameworks=dict(frameworks),
            summary=_stack(
                [pl.DataFrame([[fid, fw.banding_basis, fw.max_score, fw.standards.height, fw.key_questions.height]],
                              schema=counts, orient="row") for fid, fw in fws],
                counts,
            ),
            bands=_stack(
                [fw.rating_bands.select(tag(fid).alias("framework"), "rating", "min", "max", "points") for fid, fw in fws],
                schema(rating=pl.String, min=pl.Int64, max=pl.Int64, points=pl.Int64),
            ),
            overall=_stack(
                [fw.overall_bands.select(tag(fid).alias("framework"), "rating", "min", "max") for fid, fw in fws],
                schema(rating=pl.String, min=pl.Int64, max=pl.Int64),
            ),
            standards=_stack(
                [fw.standards.select(tag(fid).alias("framework"), "standard_id", "standard_name", "rated_by")
                 for fid, fw in fws],
                schema(standard_id=pl.String, standard_name=pl.String, rated_by=pl.String),
            ),
            questions=_stack(
                [fw.key_questions.select(tag(fid).alias("framework"), "standard_id", "question_id", "question_text")
                 for fid, fw in fws],
                schema(standard_id=pl.String, question_id=pl.String, question_text=pl.String),
            ),
            prompts=_stack(
                [fw.prompts.select(tag(fid).alias("framework"), "standard_id", "question_id", "prompt_id", "prompt_text")
                 for fid, fw in fws],
                schema(standard_id=pl.String, question_id=pl.String, prompt_id=pl.String, prompt_text=pl.String),
            ),
            characteristics=_stack(
                [pl.DataFrame([[fid, d, c] for d, cats in fw.case_characteristics.items() for c in cats],
                              schema=schema(dimension=pl.String, category=pl.String), orient="row")
                 for fid, fw in fws],
                schema(dimension=pl.String, category=pl.String),
            ),
        )

    def keys(self, frame: str, *columns: str) -> list[str]:
        """Every allowed combination of the columns' values (joined by "/"), over every framework given."""
        return sorted(set(getattr(self, frame).select(_joined(*columns)).to_series().to_list()))


def _joined(*columns: str) -> pl.Expr:
    """One text key from several columns, e.g. "probation-pdu-2023/P2.1.1" (null if any part is null)."""
    name = "_".join(c.removesuffix("_id") for c in columns)
    return pl.concat_str([pl.col(c) for c in columns], separator="/").alias(name)


# --------------------------------------------------------------------------------------------------
# Helper columns, derived in polars
# --------------------------------------------------------------------------------------------------


def _lookup(frame: pl.DataFrame, other: pl.DataFrame, on: list[str], left_on: list[str] | None = None) -> pl.DataFrame:
    """Left join a lookup (deduplicated on its keys, so the frame keeps its rows and order)."""
    other = other.unique(subset=on, keep="first", maintain_order=True)
    if left_on is None:
        return frame.join(other, on=on, how="left", maintain_order="left")
    return frame.join(other, left_on=left_on, right_on=on, how="left", maintain_order="left")


def _count_helpers(frame: pl.DataFrame) -> pl.DataFrame:
    """Yes + No, answers in all, and the percentages Yes / (Yes + No) should give (unrounded and half up)."""
    answered = pl.col("yes") + pl.col("no")
    return frame.with_columns(
        yes_plus_no=answered,
        answers=answered + pl.col("not_applicable"),
        percentage_6dp=pl.col("percentage").round(6),
        expected_percentage_6dp=pl.when(answered > 0).then((100.0 * pl.col("yes") / answered).round(6)),
        # Half up in whole numbers, free of float error (64.5 -> 65, 12.5 -> 13).
        expected_published_percentage=pl.when(answered > 0).then(
            (200 * pl.col("yes") + answered) // (2 * answered)
        ),
    )


def _expected_ratings(key_questions: pl.DataFrame, facts: _Facts) -> pl.DataFrame:
    """Per inspection and standard: the band of its lowest key question, and that question's percentage.

    Bands are whole-number ranges: on the "published" basis the half-up percentage must lie in min..max;
    on the "unrounded" basis the exact fraction must lie in [min, max + 1). Bands are monotone, so the
    band of the lowest key question is the lowest band among the standard's key questions.
    """
    rated = key_questions.filter(pl.col("yes_plus_no") > 0).select(
        "inspection_id", "framework", "standard_id", "question_id", "yes", "percentage",
        n=pl.col("yes_plus_no"), published=pl.col("expected_published_percentage"),
    )
    rated = _lookup(rated, facts.summary.select("framework", "banding_basis"), ["framework"])
    in_band = (
        pl.when(pl.col("banding_basis") == "unrounded")
        .then((100 * pl.col("yes") >= pl.col("min") * pl.col("n"))
              & (100 * pl.col("yes") < (pl.col("max") + 1) * pl.col("n")))
        .otherwise((pl.col("published") >= pl.col("min")) & (pl.col("published") <= pl.col("max")))
    )
    banded = rated.join(facts.bands.select("framework", "min", "max"), on="framework").filter(in_band)
    lowest = banded.group_by("inspection_id", "standard_id").agg(
        band_min=pl.col("min").min(), min_question_percentage=pl.col("percentage").min(),
        framework=pl.col("framework").first(),
    )
    labels = facts.bands.select("framework", band_min=pl.col("min"), expected_rating=pl.col("rating"))
    return _lookup(lowest, labels, ["framework", "band_min"]).select(
        "inspection_id", "standard_id", "expected_rating", "min_question_percentage"
    )


def _check_frames(tables: dict[str, pl.DataFrame], facts: _Facts) -> dict[str, pl.DataFrame]:
    """Each table with the helper columns its expectations compare."""
    inspections = tables["inspections"]
    of_inspection = inspections.select("inspection_id", "framework", inspection_cases="cases")
    frames = {
        name: _lookup(tables[name], of_inspection, ["inspection_id"]) for name in QUALITY_TABLES if name != "inspections"
    }
    for name in COUNT_TABLES:
        frame = _count_helpers(frames[name]).with_columns(_joined("framework", "question_id"))
        frames[name] = _lookup(
            frame, facts.questions.select("framework", "question_id", framework_standard_id="standard_id"),
            ["framework", "question_id"],
        )
    frames["key_question_results"] = _lookup(
        frames["key_question_results"],
        facts.questions.select("framework", "question_id", framework_question_text="question_text"),
        ["framework", "question_id"],
    )
    frames["prompt_results"] = _lookup(
        frames["prompt_results"].with_columns(_joined("framework", "prompt_id")),
        facts.prompts.select("framework", "prompt_id", framework_prompt_question_id="question_id",
                             framework_prompt_text="prompt_text"),
        ["framework", "prompt_id"],
    )
    for name in ("breakdowns", "sample_profile"):
        frames[name] = frames[name].with_columns(_joined("framework", "dimension", "category"))

    # Standards: points for the stated rating, rating the bands give, lowest question's percentage.
    kq = frames["key_question_results"]
    sr = frames["standard_ratings"]
    sr = _lookup(
        sr.with_columns(_joined("framework", "standard_id"), _joined("framework", "rating")),
        facts.standards.select("framework", "standard_id", "rated_by", framework_standard_name="standard_name"),
        ["framework", "standard_id"],
    )
    sr = _lookup(sr, facts.bands.select("framework", "rating", expected_points="points"), ["framework", "rating"])
    sr = _lookup(sr, _expected_ratings(kq, facts), ["inspection_id", "standard_id"])
    sr = _lookup(
        sr,
        kq.select("inspection_id", "standard_id", "question_id", lowest_question_percentage="percentage"),
        ["inspection_id", "standard_id", "question_id"],
        left_on=["inspection_id", "standard_id", "lowest_question_id"],
    )
    frames["standard_ratings"] = sr

    # Breakdowns: answers in a cell should equal the cases in its category (sample profile).
    categories = tables["sample_profile"].select("inspection_id", "dimension", "category", category_cases="cases")
    bd = _lookup(frames["breakdowns"], categories, ["inspection_id", "dimension", "category"])
    frames["breakdowns"] = bd.with_columns(
        category_cases=pl.when(~pl.col("suppressed").fill_null(False)).then(pl.col("category_cases"))
    )

    # Sample profile: each characteristic's categories add up to the inspection's cases.
    frames["sample_profile"] = frames["sample_profile"].with_columns(
        dimension_total=pl.col("cases").sum().over("inspection_id", "dimension")
    )

    # Inspections: score from the points, overall band of the score, rows present per framework.
    points = tables["standard_ratings"].group_by("inspection_id").agg(
        expected_score=pl.col("points").sum().cast(pl.Int64),
        standards_present=pl.col("standard_id").n_unique().cast(pl.Int64),
    )
    # How many distinct key questions of its framework each inspection has results for.
    known_questions = kq.join(facts.questions.select("framework", "question_id"), on=["framework", "question_id"])
    questions = known_questions.group_by("inspection_id").agg(
        key_questions_present=pl.col("question_id").n_unique().cast(pl.Int64)
    )
    ins = inspections.with_row_index("_row")
    ins = _lookup(ins, points, ["inspection_id"])
    ins = _lookup(ins, questions, ["inspection_id"]).with_columns(pl.col("key_questions_present").fill_null(0))
    ins = _lookup(ins, facts.summary.drop("banding_basis"), ["framework"])
    overall = (
        ins.select("_row", "framework", "score")
        .join(facts.overall, on="framework")
        .filter(pl.col("score").is_between(pl.col("min"), pl.col("max")))
        .select("_row", expected_overall_rating="rating")
    )
    frames["inspections"] = _lookup(ins, overall, ["_row"]).drop("_row")
    known = pl.col("framework").is_in(list(facts.frameworks)).fill_null(False)
    return {name: frame.with_columns(framework_known=known) for name, frame in frames.items()}


# --------------------------------------------------------------------------------------------------
# The expectations
# --------------------------------------------------------------------------------------------------


def _checks(tables: dict[str, pl.DataFrame], facts: _Facts) -> list[Check]:
    """Every expectation, table by table (value sets from the frameworks given and the batch)."""
    inspection_ids = sorted(set(tables["inspections"]["inspection_id"].drop_nulls().to_list()))
    framework_ids = sorted(facts.frameworks)
    checks: list[Check] = []
    add = checks.append

    for name in QUALITY_TABLES:
        spec = TABLES[name]
        for column in spec.columns:
            if not column.nullable:
                add(Check(name, "ExpectColumnValuesToNotBeNull", f"{column.name} is present",
                          f"{column.name} must be present on every row.", {"column": column.name}))
        keys = KEY_COLUMNS[name]
        if name == "inspections":
            add(Check(name, "ExpectColumnValuesToBeUnique", "one row per inspection",
                      "An inspection appears more than once in the inspections table.", {"column": "inspection_id"}))
        else:
            add(Check(name, "ExpectCompoundColumnsToBeUnique", GRAIN[name],
                      f"The same {' / '.join(keys)} appears on more than one row.", {"column_list": keys}))
            add(Check(name, "ExpectColumnValuesToBeInSet", "inspection_id is in the inspections table",
                      "Rows belong to an inspection that has no row in the inspections table.",
                      {"column": "inspection_id", "value_set": inspection_ids}))

    # inspections
    t = "inspections"
    add(Check(t, "ExpectColumnValuesToBeInSet", "framework is known",
              f"The inspection names a framework that was not supplied (known: {', '.join(framework_ids) or 'none'}).",
              {"column": "framework", "value_set": framework_ids}))
    add(Check(t, "ExpectColumnValuesToBeBetween", "cases is at least 1",
              "An inspection must have at least one case in its sample.", {"column": "cases", "min_value": 1}))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "score is the sum of points",
              "The score should be the sum of the points of the inspection's standard ratings.",
              {"column_A": "score", "column_B": "expected_score"}))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "overall rating matches overall bands",
              "The overall rating should be the framework's overall band for the score.",
              {"column_A": "overall_rating", "column_B": "expected_overall_rating"}, show=("score",)))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "max_score is the framework's",
              "The maximum score should be the framework's (top points x number of standards).",
              {"column_A": "max_score", "column_B": "expected_max_score"}))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "every standard is rated",
              "Every standard of the framework should have a rating (count of distinct standards rated).",
              {"column_A": "standards_present", "column_B": "expected_standards"}))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "every key question has results",
              "Every key question of the framework should have a row in key_question_results.",
              {"column_A": "key_questions_present", "column_B": "expected_key_questions"}))

    # standard_ratings
    t = "standard_ratings"
    add(Check(t, "ExpectColumnValuesToBeInSet", "standard_id belongs to the framework",
              "The standard id is not one of the inspection's framework's standards.",
              {"column": "framework_standard", "value_set": facts.keys("standards", "framework", "standard_id")},
              show=("standard_id",)))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "standard_name matches the framework",
              "The standard name differs from the framework's name for that standard.",
              {"column_A": "standard_name", "column_B": "framework_standard_name",
               "ignore_row_if": "either_value_is_missing"}))
    add(Check(t, "ExpectColumnValuesToBeInSet", "rating label is valid",
              "The rating is not one of the framework's rating labels.",
              {"column": "framework_rating", "value_set": facts.keys("bands", "framework", "rating")},
              show=("rating",)))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "points match rating",
              "The points should be those the framework gives the rating.",
              {"column_A": "points", "column_B": "expected_points"}, show=("rating",)))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "rating matches bands of lowest key question",
              "A case-sample standard's rating should be the framework's band (on its banding basis) of its "
              "lowest key question with relevant cases.",
              {"column_A": "rating", "column_B": "expected_rating"}, show=("lowest_question_id",),
              when=("rated_by", "case_sample")))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "lowest_question_id has the lowest percentage",
              "lowest_question_id should name the standard's key question with the lowest percentage.",
              {"column_A": "lowest_question_percentage", "column_B": "min_question_percentage"},
              show=("lowest_question_id",), when=("rated_by", "case_sample")))
    add(Check(t, "ExpectColumnValuesToBeNull", "judged standards have no lowest question",
              "A standard rated by inspectors' judgement should have no lowest_question_id.",
              {"column": "lowest_question_id"}, when=("rated_by", "judgement")))

    # key questions, prompts and breakdowns: counts and percentages
    for t in COUNT_TABLES:
        for column in ("yes", "no", "not_applicable"):
            add(Check(t, "ExpectColumnValuesToBeBetween", f"{column} is not negative",
                      f"The count {column} cannot be negative.", {"column": column, "min_value": 0}))
        for column in ("percentage", "published_percentage"):
            add(Check(t, "ExpectColumnValuesToBeBetween", f"{column} within 0-100",
                      f"{column} must lie between 0 and 100.", {"column": column, "min_value": 0, "max_value": 100}))
        add(Check(t, "ExpectColumnPairValuesToBeEqual", "relevant_cases equals yes + no",
                  "relevant_cases should be Yes + No (N/A is not relevant).",
                  {"column_A": "relevant_cases", "column_B": "yes_plus_no"}, show=("yes", "no")))
        add(Check(t, "ExpectColumnPairValuesAToBeGreaterThanB", "relevant_cases at most the inspection's cases",
                  "relevant_cases cannot be more than the cases inspected.",
                  {"column_A": "inspection_cases", "column_B": "relevant_cases", "or_equal": True,
                   "ignore_row_if": "either_value_is_missing"}))
        add(Check(t, "ExpectColumnPairValuesToBeEqual", "percentage is 100 x yes / (yes + no)",
                  "The unrounded percentage should be 100 x Yes / (Yes + No), and empty with no relevant case "
                  "(compared to 6 decimal places).",
                  {"column_A": "percentage_6dp", "column_B": "expected_percentage_6dp"}, show=("yes", "no")))
        add(Check(t, "ExpectColumnPairValuesToBeEqual", "published_percentage is half-up rounding of percentage",
                  "The published percentage should be the unrounded percentage rounded half up to a whole number "
                  "(12.5 -> 13), and empty with no relevant case.",
                  {"column_A": "published_percentage", "column_B": "expected_published_percentage"},
                  show=("percentage", "yes", "no")))
        add(Check(t, "ExpectColumnValuesToBeInSet", "question_id belongs to the framework",
                  "The key question id is not one of the inspection's framework's key questions.",
                  {"column": "framework_question", "value_set": facts.keys("questions", "framework", "question_id")},
                  show=("question_id",)))
        add(Check(t, "ExpectColumnPairValuesToBeEqual", "standard_id matches question_id",
                  "The standard id is not the standard the framework puts this key question under.",
                  {"column_A": "standard_id", "column_B": "framework_standard_id",
                   "ignore_row_if": "either_value_is_missing"}, show=("question_id",)))

    for t in ("key_question_results", "prompt_results"):
        add(Check(t, "ExpectColumnPairValuesToBeEqual", "every case answered",
                  "Yes + No + N/A should equal the cases inspected: every case answers every question.",
                  {"column_A": "answers", "column_B": "inspection_cases"}))
    add(Check("key_question_results", "ExpectColumnPairValuesToBeEqual", "question_text is the framework's wording",
              "The key question's wording differs from the framework's (published) wording.",
              {"column_A": "question_text", "column_B": "framework_question_text",
               "ignore_row_if": "either_value_is_missing"}))

    t = "prompt_results"
    add(Check(t, "ExpectColumnValuesToBeInSet", "prompt_id belongs to the framework",
              "The prompt id is not one of the inspection's framework's prompts.",
              {"column": "framework_prompt", "value_set": facts.keys("prompts", "framework", "prompt_id")},
              show=("prompt_id",)))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "question_id matches prompt_id",
              "The key question id is not the one the framework puts this prompt under.",
              {"column_A": "question_id", "column_B": "framework_prompt_question_id",
               "ignore_row_if": "either_value_is_missing"}))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "prompt_text is the framework's wording",
              "The prompt's wording differs from the framework's.",
              {"column_A": "prompt_text", "column_B": "framework_prompt_text",
               "ignore_row_if": "either_value_is_missing"}))

    t = "breakdowns"
    for column in SUPPRESSED_MEASURES:
        add(Check(t, "ExpectColumnValuesToBeNull", f"suppressed cells have no {column}",
                  f"A suppressed cell must not show its {column} (it would disclose small numbers).",
                  {"column": column}, when=("suppressed", True)))
    for column in ("yes", "no", "not_applicable", "relevant_cases"):
        add(Check(t, "ExpectColumnValuesToNotBeNull", f"unsuppressed cells show {column}",
                  f"A cell that is not suppressed must show its {column}.",
                  {"column": column}, when=("suppressed", False)))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "answers equal the category's cases",
              "In a cell that is not suppressed, Yes + No + N/A should equal the cases in that category "
              "(sample_profile).",
              {"column_A": "answers", "column_B": "category_cases"}))
    add(Check(t, "ExpectColumnValuesToBeInSet", "dimension and category belong to the framework",
              "The characteristic or its category is not one the inspection's framework defines.",
              {"column": "framework_dimension_category",
               "value_set": facts.keys("characteristics", "framework", "dimension", "category")}))

    t = "sample_profile"
    add(Check(t, "ExpectColumnValuesToBeBetween", "cases is not negative",
              "A category cannot have a negative number of cases.", {"column": "cases", "min_value": 0}))
    add(Check(t, "ExpectColumnPairValuesToBeEqual", "categories add up to the inspection's cases",
              "The cases in a characteristic's categories should add up to the cases inspected.",
              {"column_A": "dimension_total", "column_B": "inspection_cases"}))
    add(Check(t, "ExpectColumnValuesToBeInSet", "dimension and category belong to the framework",
              "The characteristic or its category is not one the inspection's framework defines.",
              {"column": "framework_dimension_category",
               "value_set": facts.keys("characteristics", "framework", "dimension", "category")}))
    return checks


# --------------------------------------------------------------------------------------------------
# Running GX and reading its results back
# --------------------------------------------------------------------------------------------------


def _check_inputs(tables: dict[str, pl.DataFrame]) -> None:
    """Refuse tables that are missing or lack published columns (the checks below read them)."""
    problems = []
    for name in QUALITY_TABLES:
        if name not in tables:
            problems.append(f"table {name} is missing")
            continue
        missing = [c for c in TABLES[name].column_names if c not in tables[name].columns]
        if missing:
            problems.append(f"table {name} lacks column(s) {', '.join(missing)}")
    if problems:
        raise ValueError(
            "quality_failures needs every published table with its published columns: " + "; ".join(problems)
        )


def _to_json(value: Any) -> Any:
    """A value as JSON can hold it (dates and the like as text)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _failure_rows(check: Check, frame: pl.DataFrame, expectation_type: str, indices: list[int]) -> list[dict]:
    """One failure row per inspection among the offending rows."""
    keys = KEY_COLUMNS[check.table]
    columns = list(dict.fromkeys([*keys, *check.columns()]))
    offending = frame[sorted(set(indices))].select(columns)
    rows = []
    for (inspection_id,), group in offending.group_by("inspection_id", maintain_order=True):
        count = group.height
        listed = [
            {c: _to_json(v) for c, v in row.items()} for row in group.head(MAX_OFFENDING_ROWS).iter_rows(named=True)
        ]
        shown = "" if count <= MAX_OFFENDING_ROWS else f"; the first {MAX_OFFENDING_ROWS} are listed"
        fails = f"{count} row{'s' if count != 1 else ''} of {check.table} fail{'s' if count == 1 else ''}{shown}"
        rows.append(
            {
                "inspection_id": inspection_id,
                "table": check.table,
                "expectation": f"{expectation_type}: {check.name}",
                "message": f"{check.message} {fails}.",
                "offending_rows": json.dumps(listed, separators=(",", ":"), ensure_ascii=False),
            }
        )
    return rows


def _check_name(outcome: Any) -> str:
    """The short name a GX result's expectation was given."""
    return str((outcome.expectation_config.meta or {}).get("name", ""))


def _exception_text(info: Any) -> str:
    """GX's exception info (flat, or keyed by metric) as one line."""
    if not isinstance(info, dict):
        return str(info)
    if "exception_message" in info:
        return str(info["exception_message"])
    return "; ".join(_exception_text(v) for v in info.values()) or "no detail given"


def _write_offline_summary(docs_dir: Path, run_name: str, summary: list[dict], failures: pl.DataFrame) -> None:
    """Put a plain-HTML summary with links at the top of the Data Docs index.

    GX's index lists validations with JavaScript loaded from CDNs, so offline it shows nothing; this
    block needs neither, and the validation pages it links to are static HTML.
    """
    index = docs_dir / "index.html"
    pages = {}
    for page in sorted(docs_dir.glob(f"validations/**/{run_name}/**/*.html")):
        parts = page.relative_to(docs_dir).parts  # validations / annexe_quality / <table> / run / time / file
        pages[parts[2]] = page.relative_to(docs_dir).as_posix()
    e = html.escape
    rows = []
    for item in summary:
        link = pages.get(item["table"])
        name = f'<a href="{e(link)}">{e(item["table"])}</a>' if link else e(item["table"])
        suite = f'<a href="expectations/{SUITE_PREFIX}/{e(item["table"])}.html">expectations</a>'
        status = "passed" if item["failed"] == 0 else f'<strong>{item["failed"]} failed</strong>'
        cells = [name, str(item["rows"]), str(item["expectations"]), status, suite]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    listed = [
        f"<li>{e(str(r['inspection_id']))} / {e(r['table'])}: {e(r['expectation'])}. {e(r['message'])}</li>"
        for r in failures.head(500).iter_rows(named=True)
    ]
    more = f"<p>... and {failures.height - 500} more (see the validation pages).</p>" if failures.height > 500 else ""
    inspections = failures["inspection_id"].n_unique()
    verdict = (
        "<p>Every check passed.</p>" if failures.is_empty()
        else f"<p><strong>{failures.height} failure(s) in {inspections} inspection(s).</strong></p>"
    )
    block = (
        '<div id="annexe-quality-summary" style="font-family:sans-serif;margin:1em;padding:1em;border:2px solid #444">'
        f"<h1>Annexe quality checks</h1><p>Run {e(run_name)}. This summary works offline; the GX pages below "
        "load their styling from the internet and are plain but readable without it.</p>"
        f"{verdict}<table border=\"1\" cellpadding=\"4\"><tr><th>table</th><th>rows</th><th>expectations</th>"
        f"<th>result</th><th>suite</th></tr>{''.join(rows)}</table>"
        f"{'<h2>Failures</h2><ul>' + ''.join(listed) + '</ul>' + more if listed else ''}</div>"
    )
    text = index.read_text(encoding="utf-8")
    at = text.find(">", text.find("<body")) + 1 if "<body" in text else 0
    index.write_text(text[:at] + block + text[at:], encoding="utf-8")


def quality_failures(
    tables: dict[str, pl.DataFrame], frameworks: dict[str, Framework], docs_dir: str | None = None
) -> pl.DataFrame:
    """Validate a batch of inspections' published tables with Great Expectations; return what failed.

    `tables` maps table name (inspections, standard_ratings, key_question_results, prompt_results,
    breakdowns, sample_profile) to a frame with the published columns, for any number of inspections;
    `frameworks` maps framework id to Framework (inspections.framework says which applies). Returns one
    row per (inspection_id, table, expectation) that failed: inspection_id, table, expectation (GX
    expectation type and a short name), message (plain words) and offending_rows (JSON list of up to 10
    offending rows' key columns and the values checked). Empty when everything passes. With `docs_dir`,
    GX Data Docs for the run are written there (open docs_dir/index.html in a browser).
    """
    _check_inputs(tables)
    facts = _Facts.of(frameworks)
    frames = _check_frames(tables, facts)
    checks = _checks(tables, facts)

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # noqa: PLC0415 (import takes seconds: only when the gate runs)

    # GX sets this module's logger to INFO itself, to announce its temporary docs folder.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    from great_expectations.core.run_identifier import RunIdentifier  # noqa: PLC0415
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415
    from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                  "base_directory": str(Path(docs_dir).resolve())},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas(SUITE_PREFIX)

    run_time = dt.datetime.now(dt.timezone.utc)
    run_id = RunIdentifier(run_name=f"{SUITE_PREFIX}-{run_time:%Y%m%dT%H%M%S%fZ}", run_time=run_time)
    failures: list[dict] = []
    summary: list[dict] = []
    for name in QUALITY_TABLES:
        table_checks = [c for c in checks if c.table == name]
        expectations = []
        for number, check in enumerate(table_checks):
            kwargs = dict(check.kwargs)
            conditions = [Column(check.when[0]) == check.when[1]] if check.when is not None else []
            if check.needs_framework:
                conditions.append(Column("framework_known") == True)  # noqa: E712 (a GX condition, not a test)
            if conditions:
                kwargs["row_condition"] = conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]
            expectations.append(getattr(gx.expectations, check.gx_class)(
                **kwargs, meta={"check": number, "name": check.name},
                description=f"{check.name}. {check.message} Columns: {', '.join(check.columns())}.",
            ))
        # The whole suite goes to the store at once (adding expectations one by one re-saves it each time).
        suite = context.suites.add(gx.ExpectationSuite(name=f"{SUITE_PREFIX}.{name}", expectations=expectations))
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(f"{name} batch")
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{SUITE_PREFIX}.{name}", data=batch, suite=suite)
        )
        frame = frames[name]
        result = validation.run(
            batch_parameters={"dataframe": frame.to_pandas()},
            result_format={"result_format": "COMPLETE", "partial_unexpected_count": 20},
            run_id=run_id,
        )
        summary.append({"table": name, "rows": frame.height, "expectations": len(table_checks),
                        "failed": sum(not outcome.success for outcome in result.results)})
        for outcome in result.results:
            if outcome.success:
                continue
            if "unexpected_index_list" not in outcome.result:  # the expectation raised instead of running
                raise RuntimeError(
                    f"quality check {outcome.expectation_config.type}: {_check_name(outcome)} on {name} could not "
                    f"run: {_exception_text(outcome.exception_info)}"
                )
            check = table_checks[outcome.expectation_config.meta["check"]]
            indices = [int(i) for i in outcome.result["unexpected_index_list"]]
            failures += _failure_rows(check, frame, outcome.expectation_config.type, indices)

    # Per inspection, failures stay in table order and the order the checks are listed.
    result = pl.DataFrame(failures, schema=FAILURE_SCHEMA).sort("inspection_id", nulls_last=True, maintain_order=True)
    if docs_dir is not None:
        context.build_data_docs(site_names=[DOCS_SITE])
        _write_offline_summary(Path(docs_dir).resolve(), run_id.run_name, summary, result)
    return result
