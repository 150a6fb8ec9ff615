"""Helper columns for the checks of issue 12's columns: 95% intervals and how sure each rating is.

Derived here independently of transforms/intervals.py: the Wilson bounds are recomputed from the counts, and the
plausible ratings are looked up in the framework's bands.
"""

from __future__ import annotations

import polars as pl

from schemas.tables import TABLES

Z95 = 1.959963984540054  # two-sided 95%, as the published intervals use
# Tables that publish an interval beside each percentage.
INTERVAL_TABLES = tuple(n for n in TABLES if "ci_lower" in TABLES[n].column_names)
SENSITIVITY_HELPERS = frozenset(
    {"framework_plausible_lowest", "framework_plausible_highest", "plausible_lowest_points", "plausible_highest_points"}
)


def interval_helpers(frame: pl.DataFrame) -> pl.DataFrame:
    """Whether a row has relevant cases, and its Wilson 95% bounds recomputed from the counts (6 decimal places)."""
    n = (pl.col("yes") + pl.col("no")).cast(pl.Float64)
    p = pl.col("yes") / n
    scale = 100 / (1 + Z95**2 / n)
    centre = p + Z95**2 / (2 * n)
    spread = Z95 * (p * (1 - p) / n + Z95**2 / (4 * n**2)).sqrt()
    return frame.with_columns(
        has_relevant_cases=n > 0,
        ci_lower_6dp=pl.col("ci_lower").round(6),
        ci_upper_6dp=pl.col("ci_upper").round(6),
        expected_ci_lower_6dp=pl.when(n > 0).then((scale * (centre - spread)).clip(0, 100).round(6)),
        expected_ci_upper_6dp=pl.when(n > 0).then((scale * (centre + spread)).clip(0, 100).round(6)),
    )


def sensitivity_helpers(frame: pl.DataFrame, bands: pl.DataFrame) -> pl.DataFrame:
    """Plausible ratings as framework/label keys with their points, and whether they should flag the rating.

    `frame` has a framework column; `bands` is the facts' bands (framework, rating, points).
    """
    points = bands.select("framework", "rating", "points").unique(["framework", "rating"], keep="first")
    for end in ("lowest", "highest"):
        column = f"plausible_{end}_rating"
        frame = frame.with_columns(
            pl.concat_str([pl.col("framework"), pl.col(column)], separator="/").alias(f"framework_plausible_{end}")
        ).join(
            points.rename({"rating": column, "points": f"plausible_{end}_points"}),
            on=["framework", column],
            how="left",
            maintain_order="left",
        )
    differs = (pl.col("plausible_lowest_rating") != pl.col("rating")) | (
        pl.col("plausible_highest_rating") != pl.col("rating")
    )
    return frame.with_columns(expected_rating_sensitive=differs)
