"""The seed report against the bundled Dyfed Powys sample, and copies of it with one figure changed."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.factcheck import FactcheckUsageError, factcheck
from tests.flows.factcheck.conftest import INSPECTION, REPORT
from tests.report import REPORT_PERCENTAGES, REPORT_RATINGS


@pytest.fixture(scope="module")
def seed(warehouse):
    """Findings on the published seed report."""
    return factcheck(str(REPORT), INSPECTION, warehouse)


def _changed(tmp_path, report_text: str, line: int, old: str, new: str) -> str:
    """A copy of the report with one figure changed on one line."""
    lines = report_text.split("\n")
    assert old in lines[line - 1], (line, old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


def test_seed_report_has_no_mismatch(seed):
    assert [f for f in seed if f["status"] == "mismatch"] == []


def test_ratings_box_score_and_overall_all_match(seed):
    box = {f["measure"]: f["status"] for f in seed if f["kind"] == "rating" and 51 <= f["line"] <= 60}
    assert box == {sid: "match" for sid in REPORT_RATINGS}
    assert [(f["claimed"], f["status"]) for f in seed if f["measure"] == "score"] == [("4/21", "match")]
    overall = [f["status"] for f in seed if f["measure"] == "overall"]
    assert overall and set(overall) == {"match"}


def test_every_key_question_percentage_matches(seed):
    rows = {f["measure"]: (f["claimed"], f["status"]) for f in seed if f["kind"] == "question"}
    assert rows == {qid: (f"{pct}%", "match") for qid, pct in REPORT_PERCENTAGES.items()}


def test_every_count_the_data_can_speak_to_matches(seed):
    counts = {(f["line"], f["claimed"]): (f["status"], f["measure"]) for f in seed if f["kind"] == "count"}
    assert counts[(86, "5/45")][0] == "match"  # Probation Reset, from the sample profile
    assert counts[(156, "2/6")] == ("match", "U2")  # programme commenced where required
    assert counts[(211, "27/38")] == ("match", "P2.3.1.a")
    assert counts[(216, "13/33")] == ("match", "P2.3.3.a")
    assert counts[(218, "10/12")] == ("match", "P2.3.3.b")
    assert counts[(229, "24/38")] == ("match", "P2.4.1.a")
    assert counts[(229, "34/38")] == ("match", "P2.4.1.b")
    assert counts[(104, "6/7")][0] == counts[(107, "16/19")][0] == "unmatched"  # the staff survey


def test_verbal_quantities_the_data_can_speak_to_hold(seed):
    verbal = {(f["line"], f["claimed"].lower()): (f["status"], f["measure"]) for f in seed if f["kind"] == "verbal"}
    assert verbal[(135, "just under half")] == ("match", "U1")
    assert verbal[(187, "two-thirds")] == ("match", "P2.1.2.b")
    assert verbal[(187, "vast majority")] == ("match", "P2.1.2.a")
    assert verbal[(212, "nearly all")] == ("match", "P2.3.1.b")
    assert verbal[(213, "less than half")] == ("match", "P2.3.2")
    assert verbal[(128, "the majority")][0] == "unmatched"  # staff who responded to our survey
    assert Counter(f["status"] for f in seed)["match"] >= 40


@pytest.mark.parametrize(
    ("line", "old", "new", "measure"),
    [
        (52, "StaffingRequires improvement", "StaffingGood", "P1.2"),
        (46, "Score 4/21", "Score 5/21", "score"),
        (47, "ratingRequires improvement", "ratingGood", "overall"),
        (183, "safe?38%", "safe?39%", "P2.1.3"),
        (211, "27 out of 38", "28 out of 38", "P2.3.1.a"),
        (218, "Ten of the 12", "Eleven of the 12", "P2.3.3.b"),
        (187, "Two-thirds of cases", "Less than half of cases", "P2.1.2.b"),
        (135, "Just under half", "The vast majority of", "U1"),
    ],
)
def test_a_changed_figure_is_a_mismatch_on_its_line(tmp_path, warehouse, report_text, line, old, new, measure):
    findings = factcheck(_changed(tmp_path, report_text, line, old, new), INSPECTION, warehouse)
    wrong = [(f["line"], f["measure"]) for f in findings if f["status"] == "mismatch"]
    assert wrong == [(line, measure)]


def test_an_unknown_inspection_or_missing_report_is_a_usage_error(warehouse):
    with pytest.raises(FactcheckUsageError, match="not published"):
        factcheck(str(REPORT), "no-such-inspection", warehouse)
    with pytest.raises(FactcheckUsageError, match="no such file"):
        factcheck("/nonexistent/report.txt", INSPECTION, warehouse)
