"""The quality gate of the tables comparing inspections (issue 12), in polars alone.

They are computed under the manifest lock from inspections that have already passed the Great Expectations gate,
so these checks must be quick: they recompute pooled counts independently and compare. Any failure is a fault in
the pipeline, not in an extract; it stops the commit.
"""

from __future__ import annotations

import polars as pl

from transforms.comparisons import FUNNEL_ZONES

COUNTS = ("yes", "no", "not_applicable")
POOLED_KEYS = ["framework", "measure", "question_id", "prompt_id"]


def _expected_pooled(inputs: dict[str, pl.DataFrame], by: list[str]) -> pl.DataFrame:
    """Counts and inspections summed straight from the period's published results."""
    places = inputs["inspections"].select("inspection_id", *by)
    parts = [
        inputs["key_question_results"].with_columns(measure=pl.lit("key_question"), prompt_id=pl.lit(None, pl.String))
    ]
    if not inputs["prompt_results"].is_empty():
        parts.append(inputs["prompt_results"].with_columns(measure=pl.lit("prompt")))
    items = pl.concat([p.select("inspection_id", "measure", "question_id", "prompt_id", *COUNTS) for p in parts])
    return (
        items.join(places, on="inspection_id")
        .group_by([*by, *POOLED_KEYS[1:]])
        .agg(pl.col("inspection_id").n_unique().cast(pl.Int64).alias("expected_inspections"),
             *[pl.col(c).sum().cast(pl.Int64).alias(f"expected_{c}") for c in COUNTS])
    )  # fmt: skip


def _pooled_problems(name: str, frame: pl.DataFrame, expected: pl.DataFrame, by: list[str]) -> list[str]:
    keys = [*by, *POOLED_KEYS[1:]]
    problems = []
    if frame.select(keys).is_duplicated().any():
        problems.append(f"{name}: the same {' / '.join(keys)} appears on more than one row")
    joined = frame.join(expected, on=keys, how="full", coalesce=True, nulls_equal=True)
    wrong = joined.filter(
        pl.any_horizontal([(pl.col(c) != pl.col(f"expected_{c}")).fill_null(True) for c in (*COUNTS, "inspections")])
    )
    if wrong.height:
        problems.append(
            f"{name}: {wrong.height} row(s) whose counts or inspections are not the sums over the period's published "
            f"inspections, e.g. {wrong.select(keys).row(0)}"
        )
    relevant = pl.col("yes") + pl.col("no")
    percentage = pl.when(relevant > 0).then(100.0 * pl.col("yes") / relevant)
    bad = frame.filter(
        (pl.col("relevant_cases") != relevant)
        | ((pl.col("percentage") - percentage).abs() > 1e-9).fill_null(False)
        | (pl.col("percentage").is_null() != (relevant == 0))
        | ((pl.col("ci_lower") > pl.col("percentage")) | (pl.col("ci_upper") < pl.col("percentage"))).fill_null(False)
    )
    if bad.height:
        problems.append(f"{name}: {bad.height} row(s) whose relevant cases, percentage or interval do not add up")
    return problems


def comparison_problems(tables: dict[str, pl.DataFrame], inputs: dict[str, pl.DataFrame]) -> list[str]:
    """What is wrong with a period's comparison tables, in words; none when they may be published.

    `inputs` holds the period's published inspections, key_question_results and prompt_results.
    """
    problems = _pooled_problems(
        "national_results", tables["national_results"], _expected_pooled(inputs, ["framework"]), ["framework"]
    )
    problems += _pooled_problems(
        "regional_results",
        tables["regional_results"],
        _expected_pooled(inputs, ["framework", "region"]),
        ["framework", "region"],
    )
    marks = tables["benchmarks"]
    results = inputs["key_question_results"].height
    if marks.height != results:
        problems.append(f"benchmarks: {marks.height} rows for {results} published key-question results")
    zones = marks["funnel_zone"].drop_nulls()
    if not zones.is_in(list(FUNNEL_ZONES)).all():
        problems.append(f"benchmarks: funnel_zone outside {', '.join(FUNNEL_ZONES)}")
    expected_null = (pl.col("relevant_cases") == 0) | pl.col("national_percentage").is_null()
    if marks.filter(pl.col("funnel_zone").is_null() != expected_null).height:
        problems.append("benchmarks: funnel_zone empty where a zone applies, or given where none does")
    ids = set(inputs["inspections"]["inspection_id"].to_list())
    if not set(tables["trends"]["current_inspection_id"].to_list()) <= ids:
        problems.append("trends: a row's later inspection is not one of the period's")
    return problems
