"""Rating bands, standard ratings, score and overall rating, per the framework's bands."""

from __future__ import annotations

import polars as pl

from transforms.framework import Framework


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


def unratable_standards(key_question_results: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Case-sample standards with no relevant case in any key question (they cannot be rated)."""
    relevant = key_question_results.group_by("inspection_id", "standard_id").agg(
        relevant=pl.col("relevant_cases").sum()
    )
    return relevant.filter(pl.col("relevant") == 0).select("inspection_id", "standard_id").sort(pl.all())


def case_sample_ratings(key_question_results: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Each case-sample standard rated by the band of its lowest key question with relevant cases."""
    rated = key_question_results.filter(pl.col("relevant_cases") > 0).with_columns(
        rating=band_expression(framework.rating_bands, framework.banding_basis, "rating"),
        points=band_expression(framework.rating_bands, framework.banding_basis, "points"),
        # Ties on the lowest percentage go to the first key question in published order.
        question_order=pl.int_range(pl.len()).over("inspection_id"),
    )
    return (
        rated.sort("inspection_id", "standard_id", "percentage", "question_order")
        .group_by("inspection_id", "standard_id", maintain_order=True)
        .first()
        .select("inspection_id", "standard_id", "rating", "points", lowest_question_id=pl.col("question_id"))
    )


def judged_ratings(organisational_ratings: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Standards judged by inspectors, with the points their ratings earn."""
    points = framework.rating_bands.select("rating", "points")
    return organisational_ratings.join(points, on="rating", how="left").select(
        "inspection_id", "standard_id", "rating", "points", lowest_question_id=pl.lit(None, dtype=pl.String)
    )


def standard_ratings(
    key_question_results: pl.DataFrame, organisational_ratings: pl.DataFrame, framework: Framework
) -> pl.DataFrame:
    """All seven standards' ratings and points, in published order."""
    ratings = pl.concat(
        [
            judged_ratings(organisational_ratings, framework),
            case_sample_ratings(key_question_results, framework),
        ]
    )
    return (
        ratings.join(framework.standards.select("standard_id", "standard_name", "standard_order"), on="standard_id")
        .sort("inspection_id", "standard_order")
        .select("inspection_id", "standard_id", "standard_name", "rating", "points", "lowest_question_id")
    )


def inspection_summaries(
    manifests: pl.DataFrame, cases: pl.DataFrame, ratings: pl.DataFrame, framework: Framework
) -> pl.DataFrame:
    """One row per inspection: the sample, the score and the overall rating."""
    sample = cases.group_by("inspection_id").agg(
        cases=pl.len().cast(pl.Int64),
        community_orders=(pl.col("sentence_type") == "community_order").sum().cast(pl.Int64),
        licences=(pl.col("sentence_type") == "licence").sum().cast(pl.Int64),
    )
    score = ratings.group_by("inspection_id").agg(score=pl.col("points").sum().cast(pl.Int64))
    return (
        manifests.join(sample, on="inspection_id", how="left")
        .join(score, on="inspection_id", how="left")
        .with_columns(max_score=pl.lit(framework.max_score, dtype=pl.Int64))
        .with_columns(overall_rating=score_band_expression(framework.overall_bands))
        .sort("inspection_id")
        .select(
            "inspection_id",
            "framework",
            "pdu",
            "region",
            "fieldwork_start",
            "cases",
            "community_orders",
            "licences",
            "score",
            "max_score",
            "overall_rating",
        )
    )
