"""What the gate derives (half-up percentages, bands, points, score): a table that disagrees fails by name."""

from __future__ import annotations

import dataclasses

import polars as pl

from schemas.quality import quality_failures
from tests.schemas.quality.conftest import BROKEN, CLEAN, HALF_UP, SCORE, change, failed, offending, value

RATING_BANDS = "expect_column_pair_values_to_be_equal: rating matches bands of lowest key question"
POINTS = "expect_column_pair_values_to_be_equal: points match rating"


def test_published_percentage_off_by_one(pair):
    tables, framework = pair
    where = {"inspection_id": BROKEN, "question_id": "P2.2.2"}
    published = value(tables, "key_question_results", where, "published_percentage")
    found = quality_failures(
        change(tables, "key_question_results", where, published_percentage=published + 1), {framework.id: framework}
    )
    assert failed(found) == {(BROKEN, "key_question_results", HALF_UP)}
    [row] = offending(found, HALF_UP)
    assert row["question_id"] == "P2.2.2"
    assert row["published_percentage"] == published + 1
    assert row["expected_published_percentage"] == published
    assert "rounded half up" in found["message"].item() and "1 row" in found["message"].item()


def test_half_to_even_rounding_is_caught(samples):
    """52.5% must be published as 53 (half up), not 52 (Python's round, half to even)."""
    tables, framework = samples
    where = {"inspection_id": "band-edges-2025", "question_id": "P2.3.2"}
    edges = tables["band-edges-2025"]
    assert value(edges, "key_question_results", where, "percentage") == 52.5
    assert value(edges, "key_question_results", where, "published_percentage") == 53
    found = quality_failures(
        change(edges, "key_question_results", where, published_percentage=round(52.5)), {framework.id: framework}
    )
    assert failed(found) == {("band-edges-2025", "key_question_results", HALF_UP)}
    [row] = offending(found, HALF_UP)
    assert (row["published_percentage"], row["expected_published_percentage"], row["percentage"]) == (52, 53, 52.5)


def test_rating_wrong_for_its_band(pair):
    tables, framework = pair
    where = {"inspection_id": BROKEN, "standard_id": "P2.1"}
    assert value(tables, "standard_ratings", where, "rating") == "Outstanding"
    found = quality_failures(change(tables, "standard_ratings", where, rating="Good"), {framework.id: framework})
    # The label no longer fits the band of its lowest key question, nor the points recorded for it.
    assert failed(found) == {(BROKEN, "standard_ratings", RATING_BANDS), (BROKEN, "standard_ratings", POINTS)}
    [row] = offending(found, RATING_BANDS)
    assert (row["standard_id"], row["rating"], row["expected_rating"]) == ("P2.1", "Good", "Outstanding")
    assert row["lowest_question_id"] == "P2.1.3"
    [row] = offending(found, POINTS)
    assert (row["standard_id"], row["points"], row["expected_points"]) == ("P2.1", 3, 2)


def test_score_not_sum_of_points(pair):
    tables, framework = pair
    points = tables["standard_ratings"].filter(pl.col("inspection_id") == BROKEN)["points"].sum()
    where = {"inspection_id": BROKEN}
    assert value(tables, "inspections", where, "score") == points
    found = quality_failures(change(tables, "inspections", where, score=points + 1), {framework.id: framework})
    assert failed(found) == {(BROKEN, "inspections", SCORE)}
    assert offending(found, SCORE) == [{"inspection_id": BROKEN, "score": points + 1, "expected_score": points}]


def test_overall_rating_outside_its_band(pair):
    tables, framework = pair
    where = {"inspection_id": CLEAN}
    assert (value(tables, "inspections", where, "score"), value(tables, "inspections", where, "overall_rating")) == (
        4,
        "Requires improvement",
    )
    found = quality_failures(
        change(tables, "inspections", where, overall_rating="Inadequate"), {framework.id: framework}
    )
    expectation = "expect_column_pair_values_to_be_equal: overall rating matches overall bands"
    assert failed(found) == {(CLEAN, "inspections", expectation)}
    assert offending(found, expectation) == [
        {
            "inspection_id": CLEAN,
            "overall_rating": "Inadequate",
            "expected_overall_rating": "Requires improvement",
            "score": 4,
        }
    ]


def test_unrounded_banding_basis_rates_both_sides_of_the_edges(samples):
    """On the unrounded basis 64.58% is below 65 and 79.55% below 80: the published-basis ratings no longer fit."""
    tables, framework = samples
    edges = tables["band-edges-2025"]
    unrounded = dataclasses.replace(framework, banding_basis="unrounded")
    found = quality_failures(edges, {framework.id: unrounded})
    assert failed(found) == {("band-edges-2025", "standard_ratings", RATING_BANDS)}
    mismatches = {(r["standard_id"], r["rating"], r["expected_rating"]) for r in offending(found, RATING_BANDS)}
    assert mismatches == {("P2.1", "Outstanding", "Good"), ("P2.2", "Good", "Requires improvement")}

    # Ratings, points, score and overall rating as the unrounded basis gives them pass.
    fixed = change(edges, "standard_ratings", {"standard_id": "P2.1"}, rating="Good", points=2)
    fixed = change(fixed, "standard_ratings", {"standard_id": "P2.2"}, rating="Requires improvement", points=1)
    score = value(edges, "inspections", {"inspection_id": "band-edges-2025"}, "score") - 2
    fixed = change(
        fixed,
        "inspections",
        {"inspection_id": "band-edges-2025"},
        score=score,
        overall_rating="Good" if score >= 11 else "Requires improvement",
    )
    assert quality_failures(fixed, {framework.id: unrounded}).to_dicts() == []
