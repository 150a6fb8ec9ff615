"""`annexe factcheck`: the command's output, JSON, HTML and exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flows.cli import app
from tests.flows.factcheck.conftest import INSPECTION, REPORT


def test_the_seed_report_checks_out_against_the_bundled_sample(warehouse, tmp_path):
    page = tmp_path / "checked.html"
    result = CliRunner().invoke(
        app,
        ["factcheck", str(REPORT), "--inspection", INSPECTION, "--warehouse", warehouse, "--json", "--html", str(page)],
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)
    by_measure = {f["measure"]: f for f in findings if f["status"] == "match"}
    assert {"score", "P1.1", "P1.2", "P1.3", "P2.1", "P2.2", "P2.3", "P2.4", "P2.1.3", "P2.4.3"} <= set(by_measure)
    assert not [f for f in findings if f["status"] == "mismatch"]
    assert "Score" in page.read_text() or "score" in page.read_text()


def test_a_changed_score_is_a_mismatch_and_exit_1(warehouse, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(REPORT.read_text().replace("Score 4/21", "Score 5/21", 1))
    result = CliRunner().invoke(app, ["factcheck", str(draft), "--inspection", INSPECTION, "--warehouse", warehouse])
    assert result.exit_code == 1
    assert "mismatch" in result.output and "5/21" in result.output


def test_an_unknown_inspection_is_a_usage_error(warehouse):
    result = CliRunner().invoke(
        app, ["factcheck", str(REPORT), "--inspection", "no-such-2025", "--warehouse", warehouse]
    )
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
