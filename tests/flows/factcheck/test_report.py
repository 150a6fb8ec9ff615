"""Showing findings: terminal lines, JSON, annotated HTML, exit codes."""

from __future__ import annotations

import json

from flows.factcheck import EXIT_MISMATCH, EXIT_OK, exit_code, findings_html, findings_json, findings_table_lines

TEXT = "Score 4/21\nHome visits in 27 out of 38 <relevant> cases.\n"
FINDINGS = [
    {"line": 1, "column": 1, "kind": "score", "text": "Score 4/21", "claimed": "4/21", "status": "match",
     "measure": "score", "published": "4/21", "note": "", "sentence": ""},
    {"line": 2, "column": 16, "kind": "count", "text": "27 out of 38", "claimed": "27/38", "status": "mismatch",
     "measure": "P2.3.1.a", "published": "26/38 (Yes)", "note": "", "sentence": ""},
]  # fmt: skip


def test_exit_codes():
    assert exit_code(FINDINGS[:1]) == EXIT_OK == 0
    assert exit_code(FINDINGS) == EXIT_MISMATCH == 1
    assert exit_code([{**FINDINGS[1], "status": "unmatched"}]) == 0


def test_table_lines_are_plain_text_with_a_summary():
    lines = findings_table_lines(FINDINGS)
    assert lines[0].split()[:5] == ["line", "status", "measure", "claimed", "published"]
    assert lines[2].split()[:3] == ["2", "mismatch", "P2.3.1.a"]
    assert lines[-1] == "1 match, 1 mismatch, 0 unmatched"
    assert all("\x1b" not in line for line in lines)


def test_json_round_trips():
    assert json.loads(findings_json(FINDINGS)) == FINDINGS


def test_html_marks_each_claim_with_its_status_in_words_and_escapes_the_text():
    page = findings_html(TEXT, FINDINGS)
    assert '<html lang="en">' in page
    assert (
        '<mark class="mismatch">27 out of 38</mark><span class="tag">[mismatch P2.3.1.a; published 26/38 (Yes)]' in page
    )
    assert "&lt;relevant&gt;" in page and "<relevant>" not in page
    assert '<th scope="col">Status</th>' in page
