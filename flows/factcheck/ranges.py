"""Verbal quantities ("nearly all", "two-thirds") and the range of percentages each may describe."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RANGES_FILE = Path(__file__).resolve().parents[2] / "data" / "factcheck" / "verbal-quantities.toml"
KEYS = {"phrases", "lower", "lower_inclusive", "upper", "upper_inclusive", "source", "note"}


class RangesError(ValueError):
    """A range table that cannot be used."""


@dataclass(frozen=True)
class VerbalRange:
    """The percentages a phrase may describe."""

    phrase: str
    lower: float
    lower_inclusive: bool
    upper: float
    upper_inclusive: bool
    source: str
    note: str = ""

    def contains(self, percentage: float) -> bool:
        """Whether an unrounded percentage lies in the range."""
        above = percentage >= self.lower if self.lower_inclusive else percentage > self.lower
        below = percentage <= self.upper if self.upper_inclusive else percentage < self.upper
        return above and below

    def describe(self) -> str:
        """The range in words, e.g. "90% or more and below 100%"."""
        low = f"{self.lower:g}% or more" if self.lower_inclusive else f"more than {self.lower:g}%"
        high = f"{self.upper:g}% or less" if self.upper_inclusive else f"below {self.upper:g}%"
        return f"{low} and {high}"


@dataclass(frozen=True)
class RangeTable:
    """Every phrase's range, the phrase pattern, and the words that put a sentence in or out of scope."""

    ranges: dict[str, VerbalRange]
    outside: tuple[str, ...]
    inside: tuple[str, ...]

    @property
    def pattern(self) -> re.Pattern:
        """Every phrase, longest first, as whole words; a hyphen and a space are interchangeable."""
        phrases = sorted(self.ranges, key=len, reverse=True)
        alternatives = [r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", p)) for p in phrases]
        return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)

    def lookup(self, found: str) -> VerbalRange:
        """The range of a phrase as found in a text ("Two thirds" finds "two-thirds")."""
        key = _normal(found)
        return next(r for phrase, r in self.ranges.items() if _normal(phrase) == key)


def _normal(phrase: str) -> str:
    """A phrase in lower case with single spaces for hyphens and runs of spaces."""
    return " ".join(re.split(r"[\s-]+", phrase.lower().strip()))


def parse_ranges(text: str, source: str = "<ranges>") -> RangeTable:
    """Parse and check a range table; raise RangesError naming every problem."""
    raw = tomllib.loads(text)
    problems, ranges = [], {}
    for n, item in enumerate(raw.get("phrase", []), start=1):
        unknown = set(item) - KEYS
        if unknown:
            problems.append(f"[[phrase]] {n}: unknown keys {sorted(unknown)}")
        if not item.get("source"):
            problems.append(f'[[phrase]] {n}: needs a source (a citation, or "assumed")')
        if not 0 <= item.get("lower", -1) <= item.get("upper", -1) <= 100:
            problems.append(f"[[phrase]] {n}: needs 0 <= lower <= upper <= 100")
            continue
        for phrase in item.get("phrases", []):
            key = phrase.lower().strip()
            if any(_normal(p) == _normal(key) for p in ranges):
                problems.append(f"phrase {phrase!r} is listed twice")
            ranges[key] = VerbalRange(
                key,
                float(item["lower"]),
                bool(item.get("lower_inclusive", True)),
                float(item["upper"]),
                bool(item.get("upper_inclusive", True)),
                item.get("source", ""),
                item.get("note", ""),
            )
    if problems:
        raise RangesError(f"{source}: " + "; ".join(problems))
    scope = raw.get("scope", {})
    return RangeTable(ranges, tuple(scope.get("outside", ())), tuple(scope.get("inside", ("case", "cases"))))


@lru_cache(maxsize=4)
def load_ranges(path: str | None = None) -> RangeTable:
    """The range table from its data file (data/factcheck/verbal-quantities.toml by default)."""
    file = Path(path) if path else RANGES_FILE
    return parse_ranges(file.read_text(encoding="utf-8"), str(file))
