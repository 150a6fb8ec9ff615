"""Tying a sentence to a measure by shared, weighted content words."""

from __future__ import annotations

from flows.factcheck.wording import Measure, Vocabulary, stem

MEASURES = [
    Measure("P2.3.1.a", "home visits are completed where they are needed", "P2.3", 27, 11, 38),
    Measure("P2.3.3.b", "there is sufficient liaison with other agencies in MAPPA cases", "P2.3", 10, 2, 12),
    Measure("P2.4.2", "Does reviewing focus sufficiently on supporting desistance?", "P2.4", 23, 15, 38),
    Measure("U1", "management oversight of the case is sufficient", None, 21, 24, 45),
]


def test_stems_join_word_forms():
    assert stem("visits") == stem("visited") == "visit"
    assert stem("identifying") == stem("identifies")
    assert stem("drew") == stem("draws")


def test_a_sentence_is_tied_to_the_measure_whose_words_it_uses():
    vocabulary = Vocabulary(MEASURES)
    tied = vocabulary.tie("Home visits were completed in 27 out of 38 relevant cases", MEASURES)
    assert tied.id == "P2.3.1.a"
    assert vocabulary.tie("Just under half the cases had sufficient management oversight.", MEASURES).id == "U1"


def test_a_sentence_sharing_one_common_word_is_tied_to_nothing():
    vocabulary = Vocabulary(MEASURES)
    assert vocabulary.tie("Sixteen of 19 staff felt their safety was sufficient.", MEASURES) is None


def test_shares_count_yes_or_no():
    assert MEASURES[3].share() == 100 * 21 / 45
    assert MEASURES[3].share(negated=True) == 100 * 24 / 45
    assert Measure("X", "x", None, 0, 0, 0).share() is None
