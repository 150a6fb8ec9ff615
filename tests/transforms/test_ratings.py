"""Standard ratings: driven by the lowest key question, ignoring questions with no relevant cases."""

from __future__ import annotations

import polars as pl

from transforms.framework import load_framework
from transforms.percentages import counts_to_percentages
from transforms.ratings import case_sample_ratings, unratable_standards

FRAMEWORK = load_framework("probation-pdu-2023")


def _results(rows: list[tuple[str, str, int, int]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=["standard_id", "question_id", "yes", "no"], orient="row")
    return counts_to_percentages(frame.with_columns(inspection_id=pl.lit("x")))


def test_lowest_key_question_drives_the_rating():
    results = _results([("P2.1", "P2.1.1", 9, 1), ("P2.1", "P2.1.2", 7, 3), ("P2.1", "P2.1.3", 8, 2)])
    row = case_sample_ratings(results, FRAMEWORK).row(0, named=True)
    assert (row["rating"], row["points"], row["lowest_question_id"]) == ("Good", 2, "P2.1.2")


def test_key_question_with_no_relevant_cases_does_not_drive_the_rating():
    results = _results([("P2.1", "P2.1.1", 9, 1), ("P2.1", "P2.1.2", 0, 0), ("P2.1", "P2.1.3", 8, 2)])
    row = case_sample_ratings(results, FRAMEWORK).row(0, named=True)
    assert (row["rating"], row["lowest_question_id"]) == ("Outstanding", "P2.1.3")


def test_standard_with_no_relevant_cases_is_unratable():
    results = _results([("P2.1", "P2.1.1", 0, 0), ("P2.1", "P2.1.2", 0, 0), ("P2.2", "P2.2.1", 3, 1)])
    assert unratable_standards(results, FRAMEWORK).to_dicts() == [{"inspection_id": "x", "standard_id": "P2.1"}]
