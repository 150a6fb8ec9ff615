"""Finding claims: the ratings box as the report lays it out, key-question rows, counts, percentages, words."""

from __future__ import annotations

from flows.factcheck.claims import find_claims, number
from flows.factcheck.ranges import load_ranges

TEXT = """Ratings (Back to top)

Fieldwork started August 2025Score 4/21
Overall ratingRequires improvement
P 1.2 StaffingRequires improvement

P 2.3. Implementation and deliveryRating
High-quality services are delivered.Inadequate

Key questionPercentage ‘Yes’
Does the implementation and delivery of services effectively support desistance?47%
  • Ten of the 12 cases we inspected showed sufficient liaison. Home visits were completed in 27 out of 38 cases.
  • Only 27 per cent of people had completed it. Sufficient work was not delivered in more than half the cases. Almost
    three-quarters of respondents to our staff survey agreed.
"""


def _claims():
    return find_claims(TEXT, load_ranges())


def test_numbers_in_digits_and_words():
    assert [number(w) for w in ("27", "Ten", "twenty-seven", "Sixteen", "a hundred")] == [27, 10, 27, 16, 100]


def test_ratings_box_score_overall_and_section_rating():
    found = {(c.kind, c.line, c.claimed, c.standard_id) for c in _claims() if c.kind in ("rating", "score", "overall")}
    assert found == {
        ("score", 3, "4/21", None),
        ("overall", 4, "Requires improvement", None),
        ("rating", 5, "Requires improvement", "P1.2"),
        ("rating", 8, "Inadequate", "P2.3"),
    }


def test_key_question_row_is_split_into_wording_and_percentage():
    [row] = [c for c in _claims() if c.kind == "question"]
    assert (row.line, row.value, row.section) == (11, 47.0, "P2.3")
    assert row.question == "Does the implementation and delivery of services effectively support desistance?"


def test_counts_percentages_and_verbal_quantities_with_their_lines():
    found = [(c.kind, c.line, c.claimed, c.negated) for c in _claims() if c.kind in ("count", "percent", "verbal")]
    assert found == [
        ("count", 12, "10/12", False),
        ("count", 12, "27/38", False),
        ("percent", 13, "27%", False),
        ("verbal", 13, "more than half", True),
        ("verbal", 13, "Almost three-quarters", False),
    ]


def test_a_wrapped_sentence_is_read_whole_and_keeps_its_sentence_before():
    [wrapped] = [c for c in _claims() if c.claimed == "Almost three-quarters"]
    assert "staff survey" in wrapped.sentence
    [home] = [c for c in _claims() if c.claimed == "27/38"]
    assert "Ten of the 12 cases" in home.previous
