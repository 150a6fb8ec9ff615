"""What the quality gate derives in polars: framework facts and the helper columns its expectations compare."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemas.quality.derive_intervals import INTERVAL_TABLES, SENSITIVITY_HELPERS, interval_helpers, sensitivity_helpers
from schemas.tables import COMPUTED_TABLES, COUNTS, TABLES
from transforms.framework import Framework

QUALITY_TABLES = COMPUTED_TABLES
# Tables of Yes / No / N/A counts and percentages: they get the same helper columns and the same checks.
COUNT_TABLES = tuple(n for n in QUALITY_TABLES if {c.name for c in COUNTS} <= set(TABLES[n].column_names))
# Count tables of key questions and prompts (unrated measures belong to no key question).
QUESTION_TABLES = tuple(n for n in COUNT_TABLES if "question_id" in TABLES[n].column_names)
# Helper columns that only exist for an inspection whose framework was supplied. Checks reading them skip
# rows of other inspections ("framework is known" reports those once, instead of a cascade of failures).
FRAMEWORK_HELPERS = frozenset(
    {
        "expected_overall_rating",
        "expected_max_score",
        "expected_standards",
        "expected_key_questions",
        "framework_standard",
        "framework_standard_name",
        "framework_rating",
        "expected_points",
        "expected_rating",
        "min_question_percentage",
        "framework_question",
        "framework_standard_id",
        "framework_question_text",
        "framework_prompt",
        "framework_prompt_question_id",
        "framework_prompt_text",
        "framework_measure",
        "framework_measure_text",
        "framework_dimension_category",
        *SENSITIVITY_HELPERS,
    }
)


def _stack(frames: list[pl.DataFrame], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Concatenate per-framework frames, or an empty frame of the schema when there are none."""
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class Facts:
    """Every framework's bands, standards, questions, prompts and characteristics, with a framework column."""

    frameworks: dict[str, Framework]
    summary: pl.DataFrame
    bands: pl.DataFrame
    overall: pl.DataFrame
    standards: pl.DataFrame
    questions: pl.DataFrame
    prompts: pl.DataFrame
    characteristics: pl.DataFrame
    unrated: pl.DataFrame

    @classmethod
    def of(cls, frameworks: dict[str, Framework]) -> Facts:
        """The facts of the frameworks given (keyed by the id the inspections table uses)."""
        fws = list(frameworks.items())
        tag = pl.lit  # the framework id as a column

        def schema(**columns: pl.DataType) -> dict[str, pl.DataType]:
            return {"framework": pl.String, **columns}

        counts = schema(
            banding_basis=pl.String,
            expected_max_score=pl.Int64,
            expected_standards=pl.Int64,
            expected_key_questions=pl.Int64,
        )
        return cls(
            frameworks=dict(frameworks),
            summary=_stack(
                [
                    pl.DataFrame(
                        [[fid, fw.banding_basis, fw.max_score, fw.standards.height, fw.key_questions.height]],
                        schema=counts,
                        orient="row",
                    )
                    for fid, fw in fws
                ],
                counts,
            ),
            bands=_stack(
                [
                    fw.rating_bands.select(tag(fid).alias("framework"), "rating", "min", "max", "points")
                    for fid, fw in fws
                ],
                schema(rating=pl.String, min=pl.Int64, max=pl.Int64, points=pl.Int64),
            ),
            overall=_stack(
                [fw.overall_bands.select(tag(fid).alias("framework"), "rating", "min", "max") for fid, fw in fws],
                schema(rating=pl.String, min=pl.Int64, max=pl.Int64),
            ),
            standards=_stack(
                [
                    fw.standards.select(tag(fid).alias("framework"), "standard_id", "standard_name", "rated_by")
                    for fid, fw in fws
                ],
                schema(standard_id=pl.String, standard_name=pl.String, rated_by=pl.String),
            ),
            questions=_stack(
                [
                    fw.key_questions.select(tag(fid).alias("framework"), "standard_id", "question_id", "question_text")
                    for fid, fw in fws
                ],
                schema(standard_id=pl.String, question_id=pl.String, question_text=pl.String),
            ),
            prompts=_stack(
                [
                    fw.prompts.select(
                        tag(fid).alias("framework"), "standard_id", "question_id", "prompt_id", "prompt_text"
                    )
                    for fid, fw in fws
                ],
                schema(standard_id=pl.String, question_id=pl.String, prompt_id=pl.String, prompt_text=pl.String),
            ),
            unrated=_stack(
                [
                    fw.unrated_measures.select(tag(fid).alias("framework"), "measure_id", "measure_text")
                    for fid, fw in fws
                ],
                schema(measure_id=pl.String, measure_text=pl.String),
            ),
            characteristics=_stack(
                [
                    pl.DataFrame(
                        [[fid, d, c] for d, cats in fw.case_characteristics.items() for c in cats],
                        schema=schema(dimension=pl.String, category=pl.String),
                        orient="row",
                    )
                    for fid, fw in fws
                ],
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
        expected_published_percentage=pl.when(answered > 0).then((200 * pl.col("yes") + answered) // (2 * answered)),
    )


def _expected_ratings(key_questions: pl.DataFrame, facts: Facts) -> pl.DataFrame:
    """Per inspection and standard: the band of its lowest key question, and that question's percentage.

    Bands are whole-number ranges: on the "published" basis the half-up percentage must lie in min..max;
    on the "unrounded" basis the exact fraction must lie in [min, max + 1). Bands are monotone, so the
    band of the lowest key question is the lowest band among the standard's key questions.
    """
    rated = key_questions.filter(pl.col("yes_plus_no") > 0).select(
        "inspection_id",
        "framework",
        "standard_id",
        "question_id",
        "yes",
        "percentage",
        n=pl.col("yes_plus_no"),
        published=pl.col("expected_published_percentage"),
    )
    rated = _lookup(rated, facts.summary.select("framework", "banding_basis"), ["framework"])
    in_band = (
        pl.when(pl.col("banding_basis") == "unrounded")
        .then(
            (100 * pl.col("yes") >= pl.col("min") * pl.col("n"))
            & (100 * pl.col("yes") < (pl.col("max") + 1) * pl.col("n"))
        )
        .otherwise((pl.col("published") >= pl.col("min")) & (pl.col("published") <= pl.col("max")))
    )
    banded = rated.join(facts.bands.select("framework", "min", "max"), on="framework").filter(in_band)
    lowest = banded.group_by("inspection_id", "standard_id").agg(
        band_min=pl.col("min").min(),
        min_question_percentage=pl.col("percentage").min(),
        framework=pl.col("framework").first(),
    )
    labels = facts.bands.select("framework", band_min=pl.col("min"), expected_rating=pl.col("rating"))
    return _lookup(lowest, labels, ["framework", "band_min"]).select(
        "inspection_id", "standard_id", "expected_rating", "min_question_percentage"
    )


def _standard_ratings(frame: pl.DataFrame, key_questions: pl.DataFrame, facts: Facts) -> pl.DataFrame:
    """Standards: points for the stated rating, rating the bands give, lowest question's percentage."""
    sr = _lookup(
        frame.with_columns(_joined("framework", "standard_id"), _joined("framework", "rating")),
        facts.standards.select("framework", "standard_id", "rated_by", framework_standard_name="standard_name"),
        ["framework", "standard_id"],
    )
    sr = _lookup(sr, facts.bands.select("framework", "rating", expected_points="points"), ["framework", "rating"])
    sr = _lookup(sr, _expected_ratings(key_questions, facts), ["inspection_id", "standard_id"])
    return _lookup(
        sr,
        key_questions.select("inspection_id", "standard_id", "question_id", lowest_question_percentage="percentage"),
        ["inspection_id", "standard_id", "question_id"],
        left_on=["inspection_id", "standard_id", "lowest_question_id"],
    )


def _inspections(tables: dict[str, pl.DataFrame], key_questions: pl.DataFrame, facts: Facts) -> pl.DataFrame:
    """Inspections: score from the points, overall band of the score, rows present per framework."""
    points = (
        tables["standard_ratings"]
        .group_by("inspection_id")
        .agg(
            expected_score=pl.col("points").sum().cast(pl.Int64),
            standards_present=pl.col("standard_id").n_unique().cast(pl.Int64),
        )
    )
    # How many distinct key questions of its framework each inspection has results for.
    known_questions = key_questions.join(
        facts.questions.select("framework", "question_id"), on=["framework", "question_id"]
    )
    questions = known_questions.group_by("inspection_id").agg(
        key_questions_present=pl.col("question_id").n_unique().cast(pl.Int64)
    )
    ins = tables["inspections"].with_row_index("_row")
    ins = _lookup(ins, points, ["inspection_id"])
    ins = _lookup(ins, questions, ["inspection_id"]).with_columns(pl.col("key_questions_present").fill_null(0))
    ins = _lookup(ins, facts.summary.drop("banding_basis"), ["framework"])
    overall = (
        ins.select("_row", "framework", "score")
        .join(facts.overall, on="framework")
        .filter(pl.col("score").is_between(pl.col("min"), pl.col("max")))
        .select("_row", expected_overall_rating="rating")
    )
    return _lookup(ins, overall, ["_row"]).drop("_row")


def check_frames(tables: dict[str, pl.DataFrame], facts: Facts) -> dict[str, pl.DataFrame]:
    """Each table with the helper columns its expectations compare."""
    of_inspection = tables["inspections"].select("inspection_id", "framework", inspection_cases="cases")
    frames = {
        name: _lookup(tables[name], of_inspection, ["inspection_id"])
        for name in QUALITY_TABLES
        if name != "inspections"
    }
    for name in COUNT_TABLES:
        frames[name] = _count_helpers(frames[name])
    for name in INTERVAL_TABLES:
        frames[name] = interval_helpers(frames[name])
    for name in QUESTION_TABLES:
        frames[name] = _lookup(
            frames[name].with_columns(_joined("framework", "question_id")),
            facts.questions.select("framework", "question_id", framework_standard_id="standard_id"),
            ["framework", "question_id"],
        )
    if "unrated_results" in frames:
        frames["unrated_results"] = _lookup(
            frames["unrated_results"].with_columns(_joined("framework", "measure_id")),
            facts.unrated.select("framework", "measure_id", framework_measure_text="measure_text"),
            ["framework", "measure_id"],
        )
    frames["key_question_results"] = _lookup(
        frames["key_question_results"],
        facts.questions.select("framework", "question_id", framework_question_text="question_text"),
        ["framework", "question_id"],
    )
    frames["prompt_results"] = _lookup(
        frames["prompt_results"].with_columns(_joined("framework", "prompt_id")),
        facts.prompts.select(
            "framework", "prompt_id", framework_prompt_question_id="question_id", framework_prompt_text="prompt_text"
        ),
        ["framework", "prompt_id"],
    )
    for name in ("breakdowns", "sample_profile"):
        frames[name] = frames[name].with_columns(_joined("framework", "dimension", "category"))

    kq = frames["key_question_results"]
    frames["standard_ratings"] = _standard_ratings(frames["standard_ratings"], kq, facts)
    frames["standard_ratings"] = sensitivity_helpers(frames["standard_ratings"], facts.bands)

    # Breakdowns: answers in a cell should equal the cases in its category (sample profile).
    categories = tables["sample_profile"].select("inspection_id", "dimension", "category", category_cases="cases")
    bd = _lookup(frames["breakdowns"], categories, ["inspection_id", "dimension", "category"])
    frames["breakdowns"] = bd.with_columns(
        category_cases=pl.when(~pl.col("suppressed").fill_null(False)).then(pl.col("category_cases"))
    )

    # Sample profile: each characteristic's categories add up to the inspection's cases; one with withheld
    # (suppressed) categories cannot be added up from what is published, so it has no total to compare.
    by_dimension = ["inspection_id", "dimension"]
    frames["sample_profile"] = frames["sample_profile"].with_columns(
        dimension_total=pl.when(~pl.col("suppressed").fill_null(False).any().over(by_dimension)).then(
            pl.col("cases").sum().over(by_dimension)
        )
    )

    frames["inspections"] = _inspections(tables, kq, facts)
    known = pl.col("framework").is_in(list(facts.frameworks)).fill_null(False)
    return {name: frame.with_columns(framework_known=known) for name, frame in frames.items()}
