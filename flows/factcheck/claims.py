"""Finding checkable claims in a report's text: ratings, the score, key-question rows, counts, percentages, words."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from flows.factcheck.ranges import RangeTable

RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")
RATING = "|".join(RATINGS)
UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
    "seventeen eighteen nineteen".split()  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
WORD = r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|" \
    r"eight|nine))?|" + "|".join(sorted(UNITS, key=len, reverse=True)) + r"|a\s+hundred|one\s+hundred)"  # fmt: skip
NUMBER = rf"(?:\d+|{WORD})"
COUNT = re.compile(rf"\b(?P<n>{NUMBER})\s+(?:out\s+)?of\s+(?:the\s+)?(?P<m>{NUMBER})\b", re.IGNORECASE)
PERCENT = re.compile(rf"\b(?P<x>\d+(?:\.\d+)?|{WORD})\s*(?:%|per\s*cent\b|percent\b)", re.IGNORECASE)
BOX = re.compile(rf"^P\s?(?P<a>\d)\.(?P<b>\d)\.?\s*(?P<name>[^\d].*?)\s*(?P<rating>{RATING})\s*$")
HEADING = re.compile(r"^P\s?(?P<a>\d)\.(?P<b>\d)\.?\s*(?P<name>.+?)\s*Rating\s*$")
ENDS_WITH_RATING = re.compile(rf"(?P<rating>{RATING})\s*$")
SCORE = re.compile(r"(?<![A-Za-z])Score\s+(?P<n>\d+)\s*/\s*(?P<m>\d+)")
OVERALL = re.compile(rf"Overall rating\s*(?P<rating>{RATING})|rated\s+[‘'\"“]?(?P<said>{RATING})[’'\"”]?\s+overall")
ROW = re.compile(r"^(?P<q>\S.*\?)\s*(?P<pct>\d{1,3})\s*%\s*$")
SENTENCE_END = re.compile(r"(?<=[.!?])(?:\[\d+\])?\s+(?=[A-Z‘“\"'(\d])")
NEGATIONS = re.compile(
    r"\b(?:not|no|never|without|insufficient|inadequate|lacking|failed|fail|unable)\b|n['’]t\b", re.IGNORECASE
)


def number(word: str) -> int:
    """A number written in digits or words ("27", "Ten", "twenty-seven", "a hundred")."""
    text = " ".join(re.split(r"[\s-]+", word.lower().strip()))
    if text.isdigit():
        return int(text)
    if text in ("a hundred", "one hundred"):
        return 100
    parts = text.split(" ")
    if parts[0] in TENS:
        return TENS[parts[0]] + (UNITS.index(parts[1]) if len(parts) > 1 else 0)
    return UNITS.index(text)


@dataclass(frozen=True)
class Claim:
    """One checkable statement: where it is, what it says, and the sentence around it."""

    kind: str  # rating, overall, score, question, count, percent, verbal
    line: int  # 1-based
    column: int  # 1-based, in that line
    text: str  # the claim as quoted
    claimed: str
    section: str | None = None  # the standard whose section the claim is in, e.g. P2.3
    sentence: str = ""
    previous: str = ""  # the sentence before, in the same paragraph
    standard_id: str | None = None  # rating claims
    question: str | None = None  # key-question rows: the wording as printed
    n: int | None = None
    m: int | None = None
    value: float | None = None  # percent claims
    phrase: str | None = None  # verbal claims, normalised
    negated: bool = False  # the claim's clause says "not": it counts the No answers
    clause: str = ""  # the part of the sentence between the punctuation around the claim


class _Text:
    """A report's text with line positions, and a copy where wrapped lines are joined (same offsets)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        lines = text.split("\n")
        flat = list(text)
        for k in range(1, len(lines)):
            # A line starting in lower case continues the one above (a wrapped bullet), so join them.
            if lines[k - 1].strip() and lines[k].strip()[:1].islower():
                flat[self.starts[k] - 1] = " "
        self.flat = "".join(flat)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset."""
        k = bisect.bisect_right(self.starts, offset) - 1
        return k + 1, offset - self.starts[k] + 1

    def sentences(self) -> list[tuple[int, int, int]]:
        """(start, end, paragraph number) of every sentence of the joined text."""
        found, offset = [], 0
        for p, paragraph in enumerate(self.flat.split("\n")):
            cut = offset
            for match in SENTENCE_END.finditer(paragraph):
                found.append((cut, offset + match.start(), p))
                cut = offset + match.end()
            found.append((cut, offset + len(paragraph), p))
            offset += len(paragraph) + 1
        return [s for s in found if self.flat[s[0] : s[1]].strip()]


def _sections(lines: list[str]) -> list[str | None]:
    """The standard whose section each line is in: from a "P 2.3 ...Rating" heading to the next "(Back to top)"."""
    current, out = None, []
    for line in lines:
        heading = HEADING.match(line.strip())
        if heading:
            current = f"P{heading['a']}.{heading['b']}"
        elif "(Back to top)" in line:
            current = None
        out.append(current)
    return out


def _clause(sentence: str, start: int, end: int) -> str:
    """The part of a sentence between the punctuation around a span."""
    left = max(sentence.rfind(c, 0, start) for c in ",;:(")
    rights = [i for i in (sentence.find(c, end) for c in ",;:)") if i >= 0]
    return sentence[left + 1 : min(rights) if rights else len(sentence)]


def _structured(source: _Text, lines: list[str], sections: list[str | None]) -> tuple[list[Claim], set[int]]:
    """Ratings box, section ratings, score, overall rating and key-question rows; and the lines they fill."""
    claims, used = [], set()
    pending = None  # a section heading whose rating ends the next line with text
    for k, line in enumerate(lines):
        stripped, lead = line.strip(), len(line) - len(line.lstrip())
        box, heading = BOX.match(stripped), HEADING.match(stripped)
        row = ROW.match(stripped)
        if box:
            sid = f"P{box['a']}.{box['b']}"
            claims.append(Claim("rating", k + 1, lead + 1, stripped, box["rating"], sections[k], standard_id=sid))
            used.add(k)
        elif heading:
            pending = f"P{heading['a']}.{heading['b']}"
            used.add(k)
        elif pending and stripped:
            ending = ENDS_WITH_RATING.search(line)
            if ending:
                claims.append(
                    Claim(
                        "rating",
                        k + 1,
                        ending.start() + 1,
                        ending["rating"],
                        ending["rating"],
                        sections[k],
                        sentence=stripped,
                        standard_id=pending,
                    )  # fmt: skip
                )
                used.add(k)
            pending = None
        elif row:
            claims.append(
                Claim(
                    "question",
                    k + 1,
                    lead + 1,
                    stripped,
                    f"{row['pct']}%",
                    sections[k],
                    question=row["q"],
                    value=float(row["pct"]),
                )  # fmt: skip
            )
            used.add(k)
    for match in SCORE.finditer(source.text):
        line, column = source.position(match.start())
        claims.append(Claim("score", line, column, match.group(), f"{match['n']}/{match['m']}",
                            n=int(match["n"]), m=int(match["m"])))  # fmt: skip
    for match in OVERALL.finditer(source.flat):
        line, column = source.position(match.start())
        rating = match["rating"] or match["said"]
        claims.append(Claim("overall", line, column, match.group(), rating, sections[line - 1]))
    return claims, used


def _sentence_claims(
    source: _Text, start: int, sentence: str, previous: str, section: str | None, ranges: RangeTable
) -> list[Claim]:
    """Counts, percentages and verbal quantities in one sentence (a verbal quantity inside a figure is skipped)."""
    claims: list[Claim] = []
    spans: list[tuple[int, int]] = []

    def add(kind: str, match: re.Match, claimed: str, **values) -> None:
        line, column = source.position(start + match.start())
        clause = _clause(sentence, match.start(), match.end())
        claims.append(
            Claim(
                kind,
                line,
                column,
                " ".join(match.group().split()),
                " ".join(claimed.split()),
                section,
                sentence=sentence.strip(),
                previous=previous.strip(),
                negated=bool(NEGATIONS.search(clause)),
                clause=clause.strip(),
                **values,
            )  # fmt: skip
        )
        spans.append((match.start(), match.end()))

    for match in COUNT.finditer(sentence):
        n, m = number(match["n"]), number(match["m"])
        add("count", match, f"{n}/{m}", n=n, m=m)
    for match in PERCENT.finditer(sentence):
        value = float(match["x"]) if match["x"][0].isdigit() else float(number(match["x"]))
        add("percent", match, f"{value:g}%", value=value)
    for match in ranges.pattern.finditer(sentence):
        if not any(a < match.end() and match.start() < b for a, b in spans):
            add("verbal", match, match.group(), phrase=ranges.lookup(match.group()).phrase)
    return claims


def find_claims(text: str, ranges: RangeTable) -> list[Claim]:
    """Every checkable claim in a report, in reading order."""
    source = _Text(text)
    lines = text.split("\n")
    sections = _sections(lines)
    claims, used = _structured(source, lines, sections)
    sentences = source.sentences()
    for n, (start, end, paragraph) in enumerate(sentences):
        line, _ = source.position(start)
        if line - 1 in used:
            continue
        before = sentences[n - 1] if n and sentences[n - 1][2] == paragraph else None
        previous = source.flat[before[0] : before[1]] if before else ""
        claims += _sentence_claims(source, start, source.flat[start:end], previous, sections[line - 1], ranges)
    return sorted(claims, key=lambda c: (c.line, c.column))
