"""Inspections compared: by financial year, pooled nationally and by region, against the nation, and over time.

Pure polars functions of the published tables. `inspections` is the published inspections table (at least
inspection_id, framework, pdu, region, fieldwork_start): only the results of inspections in it are counted.
Pooled rows are identified by `measure` ("key_question" or "prompt"), `question_id` (the key question; for
a prompt, the key question it belongs to) and `prompt_id` (null for a key question), so that a key-question
table is one filter away and every prompt keeps its key question.
"""

from __future__ import annotations

import polars as pl

from transforms.intervals import Z95, Z998, newcombe_difference, with_intervals
from transforms.percentages import counts_to_percentages

MEASURES = ("key_question", "prompt")
COUNT_COLUMNS = ("yes", "no", "not_applicable")
POOLED_COLUMNS = (
    "measure", "standard_id", "question_id", "prompt_id", "inspections", "yes", "no", "not_applicable",
    "relevant_cases", "percentage", "published_percentage", "ci_lower", "ci_upper",
)  # fmt: skip
LIMITS = {"lower_99_8": (-1, Z998), "lower_95": (-1, Z95), "upper_95": (1, Z95), "upper_99_8": (1, Z998)}
COUNT_COLUMNS_SUMMED = [pl.col(c).sum() for c in COUNT_COLUMNS]
FUNNEL_ZONES = ("above_99_8", "above_95", "within", "below_95", "below_99_8")


def financial_year(date: pl.Expr) -> pl.Expr:
    """The financial year (1 April to 31 March) a date falls in, written YYYY-YY: 2025-08-11 is 2025-26."""
    start = date.dt.year() - (date.dt.month() < 4).cast(pl.Int32)
    return pl.format("{}-{}", start, ((start + 1) % 100).cast(pl.String).str.zfill(2))


def with_period(inspections: pl.DataFrame) -> pl.DataFrame:
    """Add `period`, the financial year of fieldwork_start, to the inspections table."""
    return inspections.with_columns(period=financial_year(pl.col("fieldwork_start")))


def _items(key_question_results: pl.DataFrame, prompt_results: pl.DataFrame | None) -> pl.DataFrame:
    """Key-question and prompt results stacked, in published order, with their measure."""
    columns = ["inspection_id", "standard_id", "question_id", "prompt_id", *COUNT_COLUMNS]
    parts = [key_question_results.with_columns(measure=pl.lit("key_question"), prompt_id=pl.lit(None, pl.String))]
    if prompt_results is not None:
        parts.append(prompt_results.with_columns(measure=pl.lit("prompt")))
    return pl.concat([p.select("measure", *columns) for p in parts])


def _pooled(items: pl.DataFrame, inspections: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Counts summed over the published inspections of each group, then percentages and intervals as for one."""
    periods = with_period(inspections).select("inspection_id", *by)
    keys = [*by, "measure", "standard_id", "question_id", "prompt_id"]
    # Inner join: results of an inspection that is not published are not counted. Groups keep the order in
    # which items first appear (framework order), and the stable sort below keeps it within each group.
    pooled = (
        items.join(periods, on="inspection_id", how="inner", maintain_order="left")
        .group_by(keys, maintain_order=True)
        .agg(pl.col("inspection_id").n_unique().cast(pl.Int64).alias("inspections"), *COUNT_COLUMNS_SUMMED)
        .with_columns(pl.col(c).cast(pl.Int64) for c in COUNT_COLUMNS)
        .with_columns(measure_order=pl.col("measure").replace_strict(MEASURES, list(range(len(MEASURES)))))
        .sort([*by, "measure_order"], maintain_order=True)
    )
    return with_intervals(counts_to_percentages(pooled)).select(*by, *POOLED_COLUMNS)


def national_results(
    key_question_results: pl.DataFrame, prompt_results: pl.DataFrame | None, inspections: pl.DataFrame
) -> pl.DataFrame:
    """Key questions and prompts pooled over all published inspections of each framework and period."""
    return _pooled(_items(key_question_results, prompt_results), inspections, ["framework", "period"])


def regional_results(
    key_question_results: pl.DataFrame, prompt_results: pl.DataFrame | None, inspections: pl.DataFrame
) -> pl.DataFrame:
    """Key questions and prompts pooled over the published inspections of each framework, period and region."""
    return _pooled(_items(key_question_results, prompt_results), inspections, ["framework", "period", "region"])


def funnel_zone(percentage: str = "percentage") -> pl.Expr:
    """Where a percentage lies against the limit columns lower_99_8 .. upper_99_8; a point on a limit is within it.

    Null when the percentage or the limits are null (no relevant case, or no national percentage).
    """
    value = pl.col(percentage)
    return (
        pl.when(value.is_null() | pl.col("lower_95").is_null())
        .then(pl.lit(None, pl.String))
        .when(value > pl.col("upper_99_8"))
        .then(pl.lit("above_99_8"))
        .when(value > pl.col("upper_95"))
        .then(pl.lit("above_95"))
        .when(value < pl.col("lower_99_8"))
        .then(pl.lit("below_99_8"))
        .when(value < pl.col("lower_95"))
        .then(pl.lit("below_95"))
        .otherwise(pl.lit("within"))
        .alias("funnel_zone")
    )


def funnel_limits(p0: pl.Expr, relevant: pl.Expr) -> dict[str, pl.Expr]:
    """The four control limits, as percentages clipped to 0-100, around a proportion p0 for n relevant cases.

    100 * (p0 +/- z * sqrt(p0 (1 - p0) / n)); null when n is 0. Clipping cannot move a point from one zone to
    another: percentages lie in 0-100 and a point on a limit is within it.
    """
    n = relevant.cast(pl.Float64)
    spread = (p0 * (1 - p0) / n).sqrt()
    return {
        name: pl.when(relevant > 0).then((100 * (p0 + sign * z * spread)).clip(0.0, 100.0))
        for name, (sign, z) in LIMITS.items()
    }


def benchmarks(key_question_results: pl.DataFrame, inspections: pl.DataFrame, national: pl.DataFrame) -> pl.DataFrame:
    """Each published inspection's key questions placed on the funnel of its framework and period's national figure.

    The funnel is centred on the national pooled percentage p0 (this inspection included); limits follow the
    inspection's relevant cases. With no relevant case the limits and zone are null; when p0 is 0 or 100 the
    limits close onto p0, every inspection with relevant cases lies on them and so is within.
    """
    periods = with_period(inspections).select("inspection_id", "framework", "period")
    national_kq = national.filter(pl.col("measure") == "key_question").select(
        "framework", "period", "question_id", national_percentage="percentage"
    )
    p0 = pl.col("national_percentage") / 100
    return (
        key_question_results.join(periods, on="inspection_id", how="inner", maintain_order="left")
        .join(national_kq, on=["framework", "period", "question_id"], how="left", maintain_order="left")
        .with_columns(**funnel_limits(p0, pl.col("relevant_cases")))
        .with_columns(funnel_zone())
        .select(
            "inspection_id",
            "framework",
            "period",
            "standard_id",
            "question_id",
            "relevant_cases",
            "percentage",
            "published_percentage",
            "national_percentage",
            *LIMITS,
            "funnel_zone",
        )  # fmt: skip
    )


def trends(key_question_results: pl.DataFrame, inspections: pl.DataFrame) -> pl.DataFrame:
    """Each key question's change between consecutive inspections of a PDU under one framework, with its interval.

    Inspections of a PDU are ordered by fieldwork_start (then inspection_id); each is compared with the one
    before. The difference is current - previous in percentage points (unrounded), with a 95% interval by
    Newcombe's method 10 from the two Wilson intervals; all null when either has no relevant case.
    excludes_zero is true when the whole interval lies above or below zero (an interval ending on zero does
    not exclude it).
    """
    visits = inspections.select("inspection_id", "framework", "pdu", "region", "fieldwork_start")
    results = with_intervals(
        key_question_results.select(
            "inspection_id", "standard_id", "question_id", "yes", "relevant_cases", "percentage"
        )
    ).join(visits, on="inspection_id", how="inner")
    series = ["pdu", "framework", "question_id"]
    ordered = results.sort([*series, "fieldwork_start", "inspection_id"])
    carried = ["inspection_id", "fieldwork_start", "relevant_cases", "percentage", "ci_lower", "ci_upper"]
    paired = ordered.with_columns(pl.col(c).shift(1).over(series).alias(f"previous_{c}") for c in carried).filter(
        pl.col("previous_inspection_id").is_not_null()
    )
    current = (pl.col("percentage"), pl.col("ci_lower"), pl.col("ci_upper"))
    previous = (pl.col("previous_percentage"), pl.col("previous_ci_lower"), pl.col("previous_ci_upper"))
    difference, lower, upper = newcombe_difference(previous, current)
    return (
        # One with_columns: the current interval is read before the difference's interval takes its name.
        paired.with_columns(difference=difference, ci_lower=lower, ci_upper=upper)
        .with_columns(excludes_zero=(pl.col("ci_lower") > 0) | (pl.col("ci_upper") < 0))
        .rename({c: f"current_{c}" for c in carried if c not in ("ci_lower", "ci_upper")})
        .select(
            "pdu",
            "region",
            "framework",
            "standard_id",
            "question_id",
            "previous_inspection_id",
            "current_inspection_id",
            "previous_fieldwork_start",
            "current_fieldwork_start",
            "previous_relevant_cases",
            "current_relevant_cases",
            "previous_percentage",
            "current_percentage",
            "difference",
            "ci_lower",
            "ci_upper",
            "excludes_zero",
        )  # fmt: skip
    )
