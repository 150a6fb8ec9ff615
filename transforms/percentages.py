"""Percentage 'Yes' and the bands it falls in, computed exactly in whole numbers."""

from __future__ import annotations

import polars as pl


def counts_to_percentages(counts: pl.DataFrame) -> pl.DataFrame:
    """Add relevant_cases, unrounded percentage and published (half-up) percentage to yes/no counts."""
    relevant = pl.col("yes") + pl.col("no")
    return counts.with_columns(relevant_cases=relevant).with_columns(
        percentage=pl.when(pl.col("relevant_cases") > 0).then(
            100.0 * pl.col("yes") / pl.col("relevant_cases")
        ),
        # Integer arithmetic: half up without float error (64.5 -> 65, 12.5 -> 13).
        published_percentage=pl.when(pl.col("relevant_cases") > 0).then(
            (200 * pl.col("yes") + pl.col("relevant_cases")) // (2 * pl.col("relevant_cases"))
        ),
    )


def band_expression(bands: pl.DataFrame, basis: str, value: str = "rating") -> pl.Expr:
    """Expression giving each row's band (rating label or points), per the framework's banding basis."""
    expression = pl.lit(None, dtype=pl.String if value == "rating" else pl.Int64)
    # Bands tile 0-100, so the first band (from the top) whose minimum is reached is the band.
    for band in bands.sort("min").iter_rows(named=True):
        if basis == "published":
            reached = pl.col("published_percentage") >= band["min"]
        else:
            reached = 100 * pl.col("yes") >= band["min"] * pl.col("relevant_cases")
        expression = pl.when(reached & (pl.col("relevant_cases") > 0)).then(pl.lit(band[value])).otherwise(expression)
    return expression


def score_band_expression(bands: pl.DataFrame, score: str = "score") -> pl.Expr:
    """Expression giving the overall rating for a score."""
    expression = pl.lit(None, dtype=pl.String)
    for band in bands.sort("min").iter_rows(named=True):
        expression = pl.when(pl.col(score) >= band["min"]).then(pl.lit(band["rating"])).otherwise(expression)
    return expression
