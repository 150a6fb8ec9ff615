"""The whole run through Prefect: broken extracts are quarantined with reasons, the good ones still publish."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.store.warehouse import read_table
from tests.broken import BREAKAGES
from tests.conftest import SAMPLES, tree_hashes


def test_run_exits_one_when_any_inspection_is_rejected(broken_run):
    result = broken_run["result"]
    assert result.exit_code == 1, result.output
    assert f"{len(SAMPLES)} published, {len(BREAKAGES)} rejected" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.name)
def test_each_breakage_is_quarantined_with_its_reason_and_printed(broken_run, breakage):
    inspection_id = broken_run["broken"][breakage.name]
    quarantine = read_table(str(broken_run["warehouse"]), "quarantine").filter(pl.col("inspection_id") == inspection_id)
    rows = quarantine.filter(pl.col("check") == breakage.check)
    assert rows.height >= 1, quarantine
    first = rows.row(0, named=True)
    assert breakage.message in first["message"]
    assert (first["column"], first["row"]) == (breakage.column, breakage.row)
    assert first["file"].startswith(f"{inspection_id}/")
    assert first["fingerprint"] and len(first["fingerprint"]) == 64
    output = " ".join(broken_run["result"].output.split())
    assert f"{inspection_id}: not published" in output
    assert " ".join(breakage.message.split()) in output


def test_nothing_is_published_for_a_rejected_inspection(broken_run):
    inspections = read_table(str(broken_run["warehouse"]), "inspections")
    assert sorted(inspections["inspection_id"].to_list()) == SAMPLES
    for inspection_id in broken_run["broken"].values():
        for table in ("inspections", "key_question_results", "standard_ratings", "breakdowns"):
            assert not (broken_run["warehouse"] / "annexe" / table / f"inspection_id={inspection_id}").exists()
        assert not (broken_run["warehouse"] / "annexe" / "files" / inspection_id).exists()


def test_good_inspections_of_the_same_run_publish_the_golden_figures(broken_run):
    ratings = read_table(str(broken_run["warehouse"]), "standard_ratings").filter(
        pl.col("inspection_id") == "dyfed-powys-2025"
    )
    assert ratings["rating"].to_list() == [
        "Good",
        "Requires improvement",
        "Requires improvement",
        "Inadequate",
        "Inadequate",
        "Inadequate",
        "Inadequate",
    ]
    summary = (
        read_table(str(broken_run["warehouse"]), "inspections")
        .filter(pl.col("inspection_id") == "dyfed-powys-2025")
        .row(0, named=True)
    )
    assert (summary["score"], summary["overall_rating"]) == (4, "Requires improvement")


def test_landing_zone_is_never_modified(broken_run):
    assert tree_hashes(broken_run["landing"]) == broken_run["before"]


def test_fixed_extract_is_published_and_leaves_quarantine(broken_run, tmp_path):
    import shutil

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(broken_run["landing"], landing)
    shutil.copytree(broken_run["warehouse"], warehouse)
    inspection_id = broken_run["broken"]["bad-answer"]
    assert inspection_id in read_table(str(warehouse), "quarantine")["inspection_id"].to_list()
    (landing / inspection_id / "cases.csv").write_bytes((landing / "dyfed-powys-2025" / "cases.csv").read_bytes())
    result = CliRunner().invoke(
        app,
        ["backfill", inspection_id, "--landing", str(landing), "--warehouse", str(warehouse), "--no-progress"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "1 published, 0 rejected" in result.output
    assert inspection_id not in read_table(str(warehouse), "quarantine")["inspection_id"].to_list()
    assert inspection_id in read_table(str(warehouse), "inspections")["inspection_id"].to_list()
    assert not list((warehouse / "annexe" / "quarantine").glob(f"inspection_id={inspection_id}/*"))


def test_prefect_shows_a_run_with_a_rejection_as_failed_with_its_artifacts(prefect_api, landing, tmp_path):
    """Through the Prefect client, as the UI and automations see it: Failed, counted, and two table artifacts."""
    import json
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    from flows.pipeline import nightly, run_summary
    from tests.broken import make_broken

    breakage = next(b for b in BREAKAGES if b.name == "bad-answer")
    rejected = make_broken(landing, breakage)
    summary = run_summary(nightly, landing=str(landing), warehouse=str(tmp_path / "warehouse"))
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(uuid.UUID(summary["run_id"]))
        assert run.state.type.value == "FAILED"
        assert run.state.message.startswith("1 inspection(s) rejected and in quarantine; 5 published, 1 rejected")
        artifacts = {
            a.key: a
            for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["annexe-published", "annexe-quarantine"]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]),
                )
            )
        }
    published = json.loads(artifacts["annexe-published"].data)
    assert sorted(row["inspection"] for row in published) == SAMPLES
    dyfed = next(row for row in published if row["inspection"] == "dyfed-powys-2025")
    assert (dyfed["pdu"], dyfed["score"], dyfed["overall rating"]) == ("Dyfed Powys", "4/21", "Requires improvement")
    quarantine = json.loads(artifacts["annexe-quarantine"].data)
    assert [(row["inspection"], row["row"], row["column"], row["check"]) for row in quarantine] == [
        (rejected, 4, "P2.1.1", "allowed_values")
    ]
