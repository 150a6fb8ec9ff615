"""Percentage 'Yes', half-up rounding and banding at every edge, on both banding bases."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.framework import framework_path, load_framework, parse_framework
from transforms.percentages import counts_to_percentages
from transforms.ratings import band_expression, score_band_expression

FRAMEWORK = load_framework("probation-pdu-2023")
UNROUNDED = parse_framework(
    framework_path("probation-pdu-2023").read_text().replace('basis = "published"', 'basis = "unrounded"')
)


def _percent(yes: int, no: int) -> dict:
    return counts_to_percentages(pl.DataFrame({"yes": [yes], "no": [no]})).row(0, named=True)


@pytest.mark.parametrize(
    ("yes", "no", "published"),
    [(1, 7, 13), (21, 19, 53), (25, 15, 63), (129, 71, 65), (99, 101, 50), (159, 41, 80), (1, 2, 33), (2, 1, 67)],
)
def test_published_percentage_rounds_half_up(yes, no, published):
    # 12.5 -> 13, 52.5 -> 53, 62.5 -> 63 (half-to-even would give 12, 52, 62)
    assert _percent(yes, no)["published_percentage"] == published


def test_percentage_excludes_not_applicable_from_denominator():
    counts = pl.DataFrame({"yes": [24], "no": [14], "not_applicable": [7]})
    row = counts_to_percentages(counts).row(0, named=True)
    assert row["relevant_cases"] == 38
    assert row["percentage"] == pytest.approx(100 * 24 / 38)
    assert row["published_percentage"] == 63


def test_no_relevant_cases_gives_no_percentage():
    row = _percent(0, 0)
    assert row["relevant_cases"] == 0
    assert row["percentage"] is None and row["published_percentage"] is None


def _band(framework, yes: int, no: int) -> str:
    frame = counts_to_percentages(pl.DataFrame({"yes": [yes], "no": [no]}))
    return frame.select(band_expression(framework.rating_bands, framework.banding_basis)).item()


@pytest.mark.parametrize(
    ("yes", "no", "published_basis", "unrounded_basis"),
    [
        (49, 51, "Inadequate", "Inadequate"),  # 49.0
        (50, 50, "Requires improvement", "Requires improvement"),  # 50.0
        (99, 101, "Requires improvement", "Inadequate"),  # 49.5 -> published 50
        (64, 36, "Requires improvement", "Requires improvement"),  # 64.0
        (129, 71, "Good", "Requires improvement"),  # 64.5 -> published 65
        (65, 35, "Good", "Good"),  # 65.0
        (79, 21, "Good", "Good"),  # 79.0
        (159, 41, "Outstanding", "Good"),  # 79.5 -> published 80
        (80, 20, "Outstanding", "Outstanding"),  # 80.0
        (0, 10, "Inadequate", "Inadequate"),
        (10, 0, "Outstanding", "Outstanding"),
    ],
)
def test_band_edges_from_both_sides(yes, no, published_basis, unrounded_basis):
    assert _band(FRAMEWORK, yes, no) == published_basis
    assert _band(UNROUNDED, yes, no) == unrounded_basis


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (0, "Inadequate"),
        (3, "Inadequate"),
        (4, "Requires improvement"),
        (10, "Requires improvement"),
        (11, "Good"),
        (17, "Good"),
        (18, "Outstanding"),
        (21, "Outstanding"),
    ],
)
def test_overall_score_bands(score, rating):
    frame = pl.DataFrame({"score": [score]})
    assert frame.select(score_band_expression(FRAMEWORK.overall_bands)).item() == rating
