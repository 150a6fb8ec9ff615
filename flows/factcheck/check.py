"""Checking claims against an inspection's published tables: each is a match, a mismatch or unmatched."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from flows.factcheck.claims import Claim, find_claims
from flows.factcheck.ranges import RangeTable, load_ranges
from flows.factcheck.reader import FactcheckUsageError, read_report
from flows.factcheck.wording import Measure, Vocabulary
from schemas.tables import TABLES

READ = ("inspections", "standard_ratings", "key_question_results", "prompt_results", "unrated_results",
        "breakdowns", "sample_profile")  # fmt: skip
# Groups a sentence may name, as (words, dimension, categories): a count of cases "subject to Probation Reset"
# is the profile count of its non-"none" categories; a figure tied to a key question in a sentence naming one
# category is checked against that category's breakdown.
GROUPS = (
    (r"probation reset", "probation_reset", ("core", "adjusted")),
    (r"adjusted (?:pdu )?standards", "probation_reset", ("adjusted",)),
    (r"community orders?", "sentence_type", ("community_order",)),
    (r"licences?", "sentence_type", ("licence",)),
    (r"wom[ae]n|female", "sex", ("female",)),
    (r"\bm[ae]n\b|\bmale", "sex", ("male",)),
    (r"\bPSOs?\b|probation service officers?", "practitioner_grade", ("PSO",)),
    (r"\bPQiPs?\b", "practitioner_grade", ("PQiP",)),
)


@dataclass
class Published:
    """One inspection's published tables, and its measures for tying sentences."""

    inspection_id: str
    tables: dict[str, pl.DataFrame]
    measures: list[Measure] = field(default_factory=list)

    def __post_init__(self) -> None:
        rows = [
            *(("key_question_results", "question_id", "question_text"),),
            *(("prompt_results", "prompt_id", "prompt_text"),),
            *(("unrated_results", "measure_id", "measure_text"),),
        ]
        for table, id_column, text_column in rows:
            frame = self.tables.get(table)
            if frame is None or frame.is_empty():
                continue
            for r in frame.iter_rows(named=True):
                self.measures.append(
                    Measure(r[id_column], r[text_column], r.get("standard_id"), r["yes"], r["no"], r["relevant_cases"])
                )
        self.vocabulary = Vocabulary(self.measures)

    @property
    def cases(self) -> int:
        """Cases inspected."""
        return int(self.tables["inspections"]["cases"][0])

    def candidates(self, section: str | None) -> list[Measure]:
        """Measures a sentence may speak of: in a case-sample standard's section, that standard's and unrated ones."""
        within = [m for m in self.measures if section and m.standard_id == section]
        if not within:
            return self.measures
        return within + [m for m in self.measures if m.standard_id is None]


def load_published(warehouse_url: str, inspection_id: str) -> Published:
    """The published tables of one inspection; FactcheckUsageError when it is not published there."""
    from flows.store.warehouse import read_table

    tables = {}
    try:
        for name in READ:
            if name in TABLES:
                tables[name] = read_table(warehouse_url, name).filter(pl.col("inspection_id") == inspection_id)
    except Exception as error:  # an unreadable or absent warehouse is a usage error, said in words
        raise FactcheckUsageError(f"the warehouse {warehouse_url} cannot be read: {error}") from None
    if tables["inspections"].is_empty():
        known = read_table(warehouse_url, "inspections")["inspection_id"].to_list()
        raise FactcheckUsageError(
            f"inspection {inspection_id!r} is not published in {warehouse_url} "
            f"(published: {', '.join(known) or 'none'})"
        )
    return Published(inspection_id, tables)


def _finding(claim: Claim, status: str, measure: str | None, published: str | None, note: str) -> dict:
    """One finding as the renderers and the JSON output show it."""
    return {
        "line": claim.line,
        "column": claim.column,
        "kind": claim.kind,
        "text": claim.text,
        "claimed": claim.claimed,
        "status": status,
        "measure": measure,
        "published": published,
        "note": note,
        "sentence": claim.sentence,
    }


def _structured(claim: Claim, data: Published) -> dict:
    """Ratings, the score, the overall rating and key-question rows."""
    summary = data.tables["inspections"].row(0, named=True)
    if claim.kind == "score":
        published = f"{summary['score']}/{summary['max_score']}"
        return _finding(claim, "match" if claim.claimed == published else "mismatch", "score", published, "")
    if claim.kind == "overall":
        rating = summary["overall_rating"]
        return _finding(claim, "match" if claim.claimed == rating else "mismatch", "overall", rating, "")
    if claim.kind == "rating":
        row = data.tables["standard_ratings"].filter(pl.col("standard_id") == claim.standard_id)
        if row.is_empty():
            return _finding(claim, "unmatched", claim.standard_id, None, "no such standard in the framework")
        rating = row["rating"][0]
        return _finding(claim, "match" if claim.claimed == rating else "mismatch", claim.standard_id, rating, "")
    wording = _normal(claim.question or "")
    kq = data.tables["key_question_results"]
    exact = kq.filter(pl.col("question_text").map_elements(_normal, return_dtype=pl.String) == wording)
    if exact.is_empty():
        tied = data.vocabulary.tie(claim.question or "", [m for m in data.measures if m.id in kq["question_id"]])
        note = "the question's wording is not the framework's"
        if tied is None:
            return _finding(claim, "unmatched", None, None, note)
        exact, note = kq.filter(pl.col("question_id") == tied.id), note + f" (nearest: {tied.id})"
        return _finding(claim, "mismatch", tied.id, f"{exact['published_percentage'][0]}%", note)
    published = exact["published_percentage"][0]
    status = "match" if published is not None and claim.value == published else "mismatch"
    return _finding(claim, status, exact["question_id"][0], None if published is None else f"{published}%", "")


def _normal(text: str) -> str:
    """Wording compared without case, curly quotes or runs of spaces."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.lower().split())


def _group(sentence: str) -> tuple[str, tuple[str, ...]] | None:
    """The case group a sentence names, if exactly one."""
    named = {(d, c) for words, d, c in GROUPS if re.search(words, sentence, re.IGNORECASE)}
    return named.pop() if len(named) == 1 else None


def _in_group(measure: Measure, group, data: Published) -> Measure | None:
    """A key question's figures for one named category (from breakdowns), when published and not suppressed."""
    if group is None or len(group[1]) != 1 or "breakdowns" not in data.tables:
        return None
    cell = data.tables["breakdowns"].filter(
        (pl.col("dimension") == group[0]) & (pl.col("category") == group[1][0]) & (pl.col("question_id") == measure.id)
    )
    if cell.is_empty() or cell["suppressed"][0]:
        return None
    r = cell.row(0, named=True)
    return Measure(
        f"{measure.id} ({group[0]}={group[1][0]})", measure.text, None, r["yes"], r["no"], r["relevant_cases"]
    )


def _against(claim: Claim, measure: Measure, ranges: RangeTable, note: str) -> dict:
    """A count, percentage or verbal quantity against one measure's figures."""
    yes = measure.no if claim.negated else measure.yes
    what = "No" if claim.negated else "Yes"
    share = measure.share(claim.negated)
    figures = f"{yes}/{measure.relevant} ({what})"
    if share is None:
        return _finding(claim, "mismatch", measure.id, figures, note + "no relevant case")
    if claim.kind == "count":
        ok = (claim.n, claim.m) == (yes, measure.relevant)
        return _finding(claim, "match" if ok else "mismatch", measure.id, figures, note)
    published = (200 * yes + measure.relevant) // (2 * measure.relevant)
    if claim.kind == "percent":
        ok = claim.value == published or round(claim.value or 0, 1) == round(share, 1)
        return _finding(claim, "match" if ok else "mismatch", measure.id, f"{published}% ({figures})", note)
    band = ranges.ranges[claim.phrase]
    note += f"'{claim.phrase}' is {band.describe()} ({band.source})"
    status = "match" if band.contains(share) else "mismatch"
    return _finding(claim, status, measure.id, f"{share:.1f}% ({figures})", note)


def _profile(claim: Claim, group, data: Published, ranges: RangeTable) -> dict | None:
    """A count or share of the inspected cases in a named group (sample profile)."""
    if group is None:
        return None
    dimension = data.tables["sample_profile"].filter(pl.col("dimension") == group[0])
    inside = dimension.filter(pl.col("category").is_in(list(group[1])))
    outside = dimension.filter(~pl.col("category").is_in(list(group[1])))
    cases = data.cases
    if inside.is_empty():
        return None
    if not inside["cases"].null_count():
        count = int(inside["cases"].sum())
    elif not outside["cases"].null_count():
        # Small categories are withheld one by one, but their total is what the rest leaves of the sample.
        count = cases - int(outside["cases"].sum())
    else:
        return None
    if claim.kind == "count" and claim.m != cases:
        return None
    measure = Measure(f"sample_profile:{group[0]}={'+'.join(group[1])}", "", None, count, cases - count, cases)
    return _against(claim, measure, ranges, "")


def check_claim(claim: Claim, data: Published, ranges: RangeTable) -> dict:
    """One claim checked against the published tables."""
    if claim.kind in ("rating", "score", "overall", "question"):
        return _structured(claim, data)
    lowered = claim.sentence.lower()
    outside = [w for w in ranges.outside if w in lowered]
    if outside:
        return _finding(claim, "unmatched", None, None, f"about {outside[0]}: not something the case sample records")
    if not any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in ranges.inside):
        return _finding(claim, "unmatched", None, None, "the sentence does not speak of the inspected cases")
    candidates = data.candidates(claim.section)
    measure = data.vocabulary.tie(claim.sentence, candidates)
    note = ""
    if measure is None and claim.kind == "count" and claim.previous:
        # A count often finishes the thought of the sentence before ("... recording ... This was a feature of 34").
        measure = data.vocabulary.tie(claim.previous + " " + claim.sentence, candidates)
        note = "tied with the sentence before; " if measure else ""
    group = _group(claim.clause) or _group(claim.sentence)
    if measure is not None:
        in_group = _in_group(measure, group, data)
        return _against(claim, in_group or measure, ranges, note)
    profiled = _profile(claim, group, data, ranges)
    if profiled is not None:
        return profiled
    return _finding(claim, "unmatched", None, None, "no published measure's wording matches the sentence")


def check_claims(claims: list[Claim], data: Published, ranges: RangeTable | None = None) -> list[dict]:
    """Every claim checked, in reading order."""
    ranges = ranges or load_ranges()
    return [check_claim(claim, data, ranges) for claim in claims]


def factcheck(report_path: str, inspection_id: str, warehouse_url: str) -> list[dict]:
    """Check every figure a report quotes against an inspection's published tables (FactcheckUsageError if unable)."""
    text = read_report(report_path)
    data = load_published(warehouse_url, inspection_id)
    ranges = load_ranges()
    return check_claims(find_claims(text, ranges), data, ranges)
