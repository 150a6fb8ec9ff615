"""The verbal-quantity range table: every phrase sourced, bounds honoured, longest phrase first."""

from __future__ import annotations

import pytest

from flows.factcheck.ranges import RangesError, load_ranges, parse_ranges


def test_every_phrase_has_a_source_or_is_marked_assumed():
    table = load_ranges()
    assert table.ranges, "the range table is empty"
    assert all(r.source for r in table.ranges.values())
    assert {
        "nearly all",
        "vast majority",
        "two-thirds",
        "just under half",
        "less than half",
        "most",
        "a minority",
    } <= set(table.ranges)


@pytest.mark.parametrize(
    ("phrase", "inside", "outside"),
    [
        ("nearly all", [90.0, 99.9], [89.9, 100.0]),
        ("less than half", [0.0, 49.9], [50.0]),
        ("more than half", [50.1, 100.0], [50.0]),
        ("two-thirds", [62.5, 66.7, 71.0], [62.4, 71.1, 80.0]),
        ("just under half", [40.0, 46.7], [50.0, 39.9]),
    ],
)
def test_bounds_and_their_inclusive_flags(phrase, inside, outside):
    band = load_ranges().ranges[phrase]
    assert all(band.contains(v) for v in inside)
    assert not any(band.contains(v) for v in outside)


def test_the_longest_phrase_wins_and_hyphens_equal_spaces():
    table = load_ranges()
    found = [m.group() for m in table.pattern.finditer("The vast majority ... two thirds ... Just under half")]
    assert found == ["vast majority", "two thirds", "Just under half"]
    assert table.lookup("Two thirds").phrase == "two-thirds"


def test_a_phrase_without_source_or_with_bad_bounds_is_refused():
    with pytest.raises(RangesError, match="needs a source"):
        parse_ranges('[[phrase]]\nphrases = ["most"]\nlower = 50\nupper = 100\n')
    with pytest.raises(RangesError, match="lower <= upper"):
        parse_ranges('[[phrase]]\nphrases = ["most"]\nlower = 60\nupper = 50\nsource = "assumed"\n')
