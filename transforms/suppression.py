"""Small-number suppression of breakdown cells, primary and secondary."""

from __future__ import annotations

import polars as pl

SUPPRESSED_MEASURES = ("yes", "no", "not_applicable", "relevant_cases", "percentage", "published_percentage")
GROUP = ["inspection_id", "dimension", "question_id"]


def suppress_small_numbers(breakdowns: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Blank every breakdown cell with fewer than `threshold` relevant cases, flagging it `suppressed`.

    The categories of a dimension add up to the key question's published total, so a lone suppressed
    cell could be recovered by subtraction: the next smallest cell of its group is suppressed too.
    """
    primary = breakdowns.with_columns(primary=pl.col("relevant_cases") < threshold)
    ranked = primary.with_columns(
        primaries=pl.col("primary").sum().over(GROUP),
        rank_among_others=pl.when(~pl.col("primary"))
        .then(pl.struct("relevant_cases", "category").rank("ordinal").over([*GROUP, "primary"]))
        .otherwise(None),
    )
    flagged = ranked.with_columns(
        suppressed=pl.col("primary") | ((pl.col("primaries") == 1) & (pl.col("rank_among_others") == 1))
    )
    return flagged.with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(m)).alias(m) for m in SUPPRESSED_MEASURES]
    ).drop("primary", "primaries", "rank_among_others")
