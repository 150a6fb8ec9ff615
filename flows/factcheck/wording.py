"""Tying a sentence to a measure by its wording: shared content words, weighted by how rare each is.

Method (documented in docs/factcheck.md): both the sentence and every measure's text (key question, prompt,
unrated measure) are cut into words, common words dropped and the rest reduced to a crude stem ("visits",
"visited" -> "visit"). Each stem weighs log(1 + M / m), M measures in all and m those using the stem, so words
every measure shares ("sufficiently", "probation") count little. A measure's score is the weight of its stems
found in the sentence over the weight of all its stems. The sentence is tied to the best-scoring measure when
at least two of its stems are found and the score is at least TIE_SCORE; otherwise it is tied to none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

TIE_SCORE = 0.4
STOP = set(
    """a an the of and or to in on for with by from at as is are was were be been being has have had does do did it
    its this that these those their them they there which who whom where when what how we our us any all most more
    less than case cases inspected inspect relevant per cent percent just only under over half nearly almost vast
    majority minority large few many some very two three thirds quarters one also into about would could should
    then so such other""".split()
)
SUFFIXES = (
    "ations", "ation", "ances", "ance", "ments", "ment", "ings", "ing", "ions", "ion",
    "ies", "ied", "ed", "es", "ly", "s", "y",
)  # fmt: skip


IRREGULAR = {"drew": "draw", "drawn": "draw", "took": "take", "taken": "take", "saw": "see", "seen": "see"}


def stem(word: str) -> str:
    """A crude stem: up to two common suffixes off, a final e off, a doubled last consonant single."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    word = IRREGULAR.get(word, word)
    for _ in range(2):  # "identifying" -> "identify" -> "identif", as "identifies" -> "identif"
        for suffix in SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]
    return word


def stems(text: str) -> set[str]:
    """The content stems of a text."""
    return {stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'’]*", text) if w.lower() not in STOP and len(w) > 2}


@dataclass(frozen=True)
class Measure:
    """A published measure a sentence may speak of, and its figures."""

    id: str
    text: str
    standard_id: str | None
    yes: int
    no: int
    relevant: int

    def share(self, negated: bool = False) -> float | None:
        """Unrounded percentage Yes (or No), None with no relevant case."""
        if not self.relevant:
            return None
        return 100.0 * (self.no if negated else self.yes) / self.relevant


class Vocabulary:
    """Stems of every measure with their weights."""

    def __init__(self, measures: list[Measure]) -> None:
        self.measures = measures
        self.stems = {m.id: stems(m.text) for m in measures}
        counts: dict[str, int] = {}
        for found in self.stems.values():
            for s in found:
                counts[s] = counts.get(s, 0) + 1
        self.weight = {s: math.log(1 + len(measures) / c) for s, c in counts.items()}

    def scores(self, sentence: str, candidates: list[Measure]) -> list[tuple[float, int, Measure]]:
        """(score, stems found, measure) for each candidate, best first."""
        words = stems(sentence)
        out = []
        for measure in candidates:
            own = self.stems[measure.id]
            total = sum(self.weight[s] for s in own)
            found = own & words
            out.append((sum(self.weight[s] for s in found) / total if total else 0.0, len(found), measure))
        return sorted(out, key=lambda t: -t[0])

    def tie(self, sentence: str, candidates: list[Measure]) -> Measure | None:
        """The measure the sentence speaks of, or None when no wording is close enough."""
        for score, found, measure in self.scores(sentence, candidates):
            if score >= TIE_SCORE and found >= 2:
                return measure
            break
        return None
