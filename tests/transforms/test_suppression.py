"""Small numbers are withheld, and never recoverable from the published total by subtraction."""

from __future__ import annotations

import polars as pl

from tests.sample_tables import sample_tables
from transforms.suppression import suppress_small_numbers


def _cells(relevant: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"inspection_id": "x", "dimension": "sex", "question_id": "P2.1.1",
         "category": [f"c{i}" for i in range(len(relevant))], "yes": relevant, "no": [0] * len(relevant),
         "not_applicable": 0, "relevant_cases": relevant, "percentage": 100.0, "published_percentage": 100}
    )


def test_cells_below_threshold_are_suppressed_and_blanked():
    out = suppress_small_numbers(_cells([30, 3, 2]), threshold=5)
    assert out["suppressed"].to_list() == [False, True, True]
    assert out["yes"].to_list() == [30, None, None]
    assert out["published_percentage"].to_list() == [100, None, None]


def test_lone_suppressed_cell_gets_a_secondary_partner():
    out = suppress_small_numbers(_cells([30, 3, 12, 9]), threshold=5)
    # c1 (3) alone would be total - others: the smallest other cell (c3, 9) is withheld too.
    assert out["suppressed"].to_list() == [False, True, False, True]


def test_threshold_is_a_parameter():
    assert suppress_small_numbers(_cells([30, 3, 2]), threshold=2)["suppressed"].to_list() == [False, False, False]


def test_no_group_in_a_sample_has_exactly_one_suppressed_cell():
    tables, _ = sample_tables("dyfed-powys-2025")
    counts = tables["breakdowns"].group_by("dimension", "question_id").agg(pl.col("suppressed").sum())
    assert counts["suppressed"].max() >= 2
    assert 1 not in counts["suppressed"].to_list()
