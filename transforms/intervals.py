"""Uncertainty of a percentage Yes: Wilson intervals, Newcombe differences and how sure a rating is.

Every interval is 95% and in percentage points (0-100), computed from unrounded counts. A figure with no
relevant case has no interval (null), as it has no percentage.
"""

from __future__ import annotations

import polars as pl

from transforms.framework import Framework
from transforms.ratings import band_expression

Z95 = 1.959963984540054  # the 97.5th centile of the standard normal: a two-sided 95% interval
Z998 = 3.090232306167813  # the 99.9th centile: a two-sided 99.8% interval


def wilson_bounds(yes: pl.Expr, relevant: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """Lower and upper Wilson score bounds, as percentages, for yes out of relevant (null when relevant is 0)."""
    n = relevant.cast(pl.Float64)
    p = yes.cast(pl.Float64) / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half_width = z * (p * (1 - p) / n + z**2 / (4 * n**2)).sqrt() / denominator
    # At p = 0 (p = 1) the lower (upper) bound is exactly 0 (100), which float arithmetic misses by ~1e-15;
    # elsewhere the bounds lie strictly inside 0-100 and the clip is only a guard.
    lower = pl.when(yes == 0).then(0.0).otherwise((100 * (centre - half_width)).clip(0.0, 100.0))
    upper = pl.when(yes == relevant).then(100.0).otherwise((100 * (centre + half_width)).clip(0.0, 100.0))
    bounds = [lower, upper]
    return tuple(
        pl.when(relevant > 0).then(b).alias(name) for b, name in zip(bounds, ("ci_lower", "ci_upper"), strict=True)
    )


def with_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ci_lower and ci_upper (Float64, 95% Wilson, percentages) to a frame with yes and relevant_cases."""
    lower, upper = wilson_bounds(pl.col("yes"), pl.col("relevant_cases"))
    return frame.with_columns(ci_lower=lower.cast(pl.Float64), ci_upper=upper.cast(pl.Float64))


def newcombe_difference(
    previous: tuple[pl.Expr, pl.Expr, pl.Expr], current: tuple[pl.Expr, pl.Expr, pl.Expr]
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Difference current - previous and its 95% interval (Newcombe's method 10), from (percentage, lower, upper).

    Each argument is a percentage with its Wilson bounds, all in percentage points; null in gives null out.
    """
    p1, l1, u1 = previous
    p2, l2, u2 = current
    difference = p2 - p1
    lower = difference - ((p2 - l2) ** 2 + (u1 - p1) ** 2).sqrt()
    upper = difference + ((u2 - p2) ** 2 + (p1 - l1) ** 2).sqrt()
    return difference, lower, upper


def _with_band(frame: pl.DataFrame, bound: str, name: str, framework: Framework) -> pl.DataFrame:
    """Add the band a bound (a percentage) falls in, banded exactly as the framework bands a key question.

    band_expression reads published_percentage (basis "published") or yes / relevant_cases (basis "unrounded"),
    so the bound is presented to it in both forms: rounded half up to a whole number (floor(x + 0.5), half up
    as transforms/percentages.py rounds counts), and as the fraction bound / 100.
    """
    presented = frame.with_columns(
        published_percentage=(pl.col(bound) + 0.5).floor().cast(pl.Int64),
        yes=pl.col(bound),
        relevant_cases=pl.lit(100.0),
    )
    band = presented.select(band_expression(framework.rating_bands, framework.banding_basis, "rating"))
    return frame.with_columns(band.to_series().alias(name))


def rating_sensitivity(
    standard_ratings: pl.DataFrame, key_question_results: pl.DataFrame, framework: Framework
) -> pl.DataFrame:
    """Add plausible_lowest_rating, plausible_highest_rating and rating_sensitive to standard ratings.

    For a case-sample standard, the lowest plausible rating is the lowest band reached by any key question's
    ci_lower, and the highest the band of the lowest ci_upper (the rating is driven by the lowest key question,
    so it could be no better than that). Key questions with no relevant case have no interval and are left
    out, as they are left out of the rating. Null for standards judged by inspectors, and for a standard with
    no interval at all. `key_question_results` must carry ci_lower and ci_upper (see with_intervals).
    """
    judged = framework.standards.filter(pl.col("rated_by") == "judgement")["standard_id"].to_list()
    bounds = (
        key_question_results.filter(~pl.col("standard_id").is_in(judged) & pl.col("ci_lower").is_not_null())
        .group_by("inspection_id", "standard_id")
        .agg(lowest_lower=pl.col("ci_lower").min(), lowest_upper=pl.col("ci_upper").min())
    )
    # Bands rise with the percentage, so the band of the lowest bound is the lowest band of any bound.
    bounds = _with_band(bounds, "lowest_lower", "plausible_lowest_rating", framework)
    bounds = _with_band(bounds, "lowest_upper", "plausible_highest_rating", framework).select(
        "inspection_id", "standard_id", "plausible_lowest_rating", "plausible_highest_rating"
    )
    rated = standard_ratings.join(bounds, on=["inspection_id", "standard_id"], how="left", maintain_order="left")
    return rated.with_columns(
        rating_sensitive=(
            (pl.col("plausible_lowest_rating") != pl.col("rating"))
            | (pl.col("plausible_highest_rating") != pl.col("rating"))
        )
    ).with_columns(
        pl.col("plausible_lowest_rating", "plausible_highest_rating").cast(pl.String),
        pl.col("rating_sensitive").cast(pl.Boolean),
    )
