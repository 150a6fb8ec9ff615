"""Per-question and per-prompt results from validated case samples (any number of inspections at once)."""

from __future__ import annotations

import polars as pl

from transforms.framework import Framework
from transforms.percentages import counts_to_percentages

ANSWER_COUNTS = {"yes": "Yes", "no": "No", "not_applicable": "N/A"}
# The figures of every results table, after its identifying columns.
MEASURES = (*ANSWER_COUNTS, "relevant_cases", "percentage", "published_percentage")


def count_items(cases: pl.DataFrame, item_ids: list[str], by: list[str], item: str) -> pl.DataFrame:
    """Yes / No / N/A counts per group and question (or prompt), with relevant cases and percentages.

    Counted on the wide frame in one group-by and reshaped afterwards: a long frame (one row per case and
    question, index columns repeated) is never built, which is several times faster at national scale
    (see benchmarks/).
    """
    present = [i for i in item_ids if i in cases.columns]
    if not present:
        empty = pl.DataFrame(
            schema={**cases.select(by).schema, item: pl.String, **{name: pl.Int64 for name in ANSWER_COUNTS}}
        )
        return counts_to_percentages(empty)
    wide = cases.group_by(by).agg(
        [
            (pl.col(i) == label).sum().cast(pl.Int64).alias(f"{name}\x1f{i}")
            for i in present
            for name, label in ANSWER_COUNTS.items()
        ]
    )
    counts = pl.concat(
        [
            wide.select(
                *by,
                pl.lit(i, dtype=pl.String).alias(item),
                *[pl.col(f"{name}\x1f{i}").alias(name) for name in ANSWER_COUNTS],
            )
            for i in present
        ]
    )
    # Inspections of one batch may supply different optional columns: a column one extract lacks is null in
    # the combined frame, and a supplied column is never blank, so a group with no answer at all did not
    # supply that question or prompt and has no result.
    supplied = sum(pl.col(name) for name in ANSWER_COUNTS) > 0
    return counts_to_percentages(counts.filter(supplied))


def key_question_results(cases: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Yes / No / N/A, relevant cases and percentages for every key question of every inspection."""
    counts = count_items(cases, framework.question_ids, ["inspection_id"], "question_id")
    return (
        counts.join(framework.key_questions, on="question_id", how="left")
        .sort("inspection_id", "question_order")
        .select(
            "inspection_id",
            "standard_id",
            "question_id",
            "question_text",
            *MEASURES,
        )
    )


def prompt_results(cases: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """The same counts and percentages for every prompt supplied in the extract."""
    counts = count_items(cases, framework.prompt_ids, ["inspection_id"], "prompt_id")
    return (
        counts.join(framework.prompts, on="prompt_id", how="left")
        .sort("inspection_id", "prompt_order")
        .select(
            "inspection_id",
            "standard_id",
            "question_id",
            "prompt_id",
            "prompt_text",
            *MEASURES,
        )
    )


def unrated_results(cases: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """The same counts and percentages for every unrated measure supplied (reported, never rated)."""
    counts = count_items(cases, framework.unrated_ids, ["inspection_id"], "measure_id")
    return (
        counts.join(framework.unrated_measures, on="measure_id", how="left")
        .sort("inspection_id", "measure_order")
        .select(
            "inspection_id",
            "measure_id",
            "measure_text",
            *MEASURES,
        )
    )


def breakdowns(cases: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Every key question's results by each case characteristic (sentence type, sex, ...)."""
    dimensions = list(framework.case_characteristics)
    parts = []
    for dimension in dimensions:
        by_category = cases.select(
            "inspection_id",
            pl.col(dimension).alias("category"),
            *[q for q in framework.question_ids if q in cases.columns],
        )
        counts = count_items(by_category, framework.question_ids, ["inspection_id", "category"], "question_id")
        parts.append(counts.with_columns(dimension=pl.lit(dimension)))
    return (
        pl.concat(parts, how="diagonal")
        .join(framework.category_order, on=["dimension", "category"], how="left")
        .join(framework.key_questions.select("question_id", "standard_id", "question_order"), on="question_id")
        .sort("inspection_id", "dimension_order", "category_order", "question_order")
        .select(
            "inspection_id",
            "dimension",
            "category",
            "standard_id",
            "question_id",
            *MEASURES,
        )
    )


def sample_profile(cases: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """How many inspected cases fall in each category of each case characteristic."""
    parts = []
    for order, (dimension, categories) in enumerate(framework.case_characteristics.items()):
        grid = (
            cases.select("inspection_id")
            .unique()
            .join(pl.DataFrame({"category": categories, "category_order": list(range(len(categories)))}), how="cross")
        )
        counted = cases.group_by("inspection_id", dimension).agg(cases=pl.len().cast(pl.Int64))
        parts.append(
            grid.join(
                counted.rename({dimension: "category"}), on=["inspection_id", "category"], how="left"
            ).with_columns(pl.col("cases").fill_null(0), dimension=pl.lit(dimension), dimension_order=pl.lit(order))
        )
    return (
        pl.concat(parts)
        .sort("inspection_id", "dimension_order", "category_order")
        .select("inspection_id", "dimension", "category", "cases")
    )
