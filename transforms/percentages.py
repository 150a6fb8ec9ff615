"""Percentage 'Yes': unrounded, and as published (a whole number rounded half up, in exact integer arithmetic)."""

from __future__ import annotations

import polars as pl


def counts_to_percentages(counts: pl.DataFrame) -> pl.DataFrame:
    """Add relevant_cases, unrounded percentage and published (half-up) percentage to yes/no counts."""
    relevant = pl.col("yes") + pl.col("no")
    return counts.with_columns(relevant_cases=relevant).with_columns(
        percentage=pl.when(pl.col("relevant_cases") > 0).then(100.0 * pl.col("yes") / pl.col("relevant_cases")),
        # Integer arithmetic: half up without float error (64.5 -> 65, 12.5 -> 13).
        published_percentage=pl.when(pl.col("relevant_cases") > 0).then(
            (200 * pl.col("yes") + pl.col("relevant_cases")) // (2 * pl.col("relevant_cases"))
        ),
    )
