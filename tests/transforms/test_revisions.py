"""Revision notes say exactly which published figures changed."""

from __future__ import annotations

import polars as pl

from transforms.revisions import revision_note


def _tables(score: int, rating: str, p211: int | None, p21: str) -> dict[str, pl.DataFrame]:
    return {
        "inspections": pl.DataFrame({"score": [score], "max_score": [21], "overall_rating": [rating]}),
        "standard_ratings": pl.DataFrame({"standard_id": ["P1.1", "P2.1"], "rating": ["Good", p21]}),
        "key_question_results": pl.DataFrame(
            {"question_id": ["P2.1.1", "P2.1.2"], "published_percentage": [p211, 80]},
            schema_overrides={"published_percentage": pl.Int64},
        ),
    }


def test_a_changed_percentage_rating_and_score_are_all_named():
    note = revision_note(_tables(4, "Requires improvement", 82, "Inadequate"), _tables(3, "Inadequate", 48, "Good"))
    assert note == (
        "Republished from a revised extract: score 4/21 (Requires improvement) to 3/21 (Inadequate); "
        "rating of P2.1 Inadequate to Good; P2.1.1 82% to 48%."
    )


def test_no_change_in_any_published_figure_is_said_plainly():
    same = _tables(4, "Requires improvement", 82, "Inadequate")
    assert revision_note(same, same) == (
        "Republished from a revised extract; no rating, score or key-question percentage changed."
    )


def test_a_percentage_that_appears_or_disappears_is_a_change():
    note = revision_note(
        _tables(4, "Requires improvement", None, "Inadequate"), _tables(4, "Requires improvement", 60, "Inadequate")
    )
    assert note == "Republished from a revised extract: P2.1.1 none to 60%."
