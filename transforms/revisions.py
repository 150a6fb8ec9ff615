"""What changed when an inspection is republished: the revision note of its annexe, in words."""

from __future__ import annotations

import polars as pl


def _changes(previous: pl.DataFrame, current: pl.DataFrame, key: str, value: str, show) -> list[str]:
    """'<key> <old> to <new>' for every key whose value differs (a key in one only counts as a change)."""
    joined = previous.select(key, old=pl.col(value)).join(
        current.select(key, new=pl.col(value)), on=key, how="full", coalesce=True, maintain_order="right"
    )
    changed = joined.filter(pl.col("old").ne_missing(pl.col("new")))
    return [f"{row[key]} {show(row['old'])} to {show(row['new'])}" for row in changed.iter_rows(named=True)]


def _percent(value) -> str:
    return "none" if value is None else f"{value}%"


def revision_note(previous: dict[str, pl.DataFrame], current: dict[str, pl.DataFrame]) -> str:
    """One sentence saying which published figures a republication changed (tables of one inspection)."""
    parts = []
    before, after = previous["inspections"].row(0, named=True), current["inspections"].row(0, named=True)
    if (before["score"], before["overall_rating"]) != (after["score"], after["overall_rating"]):
        parts.append(
            f"score {before['score']}/{before['max_score']} ({before['overall_rating']}) to "
            f"{after['score']}/{after['max_score']} ({after['overall_rating']})"
        )
    parts += [
        f"rating of {c}"
        for c in _changes(previous["standard_ratings"], current["standard_ratings"], "standard_id", "rating", str)
    ]
    parts += _changes(
        previous["key_question_results"],
        current["key_question_results"],
        "question_id",
        "published_percentage",
        _percent,
    )
    if not parts:
        return "Republished from a revised extract; no rating, score or key-question percentage changed."
    return "Republished from a revised extract: " + "; ".join(parts) + "."
