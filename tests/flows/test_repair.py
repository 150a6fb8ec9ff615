"""Damage is found and repaired: truncated, deleted and rewritten files, an unreadable manifest, and runs killed
between the ledger, the index page and the manifest."""

from __future__ import annotations

import json
import subprocess

import polars as pl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from flows.cli import app
from flows.store.manifest import MANIFEST
from flows.store.verify import verify
from tests.flows.test_operations import (
    ANNEXE_BIN,
    BROKEN,
    CHANGED,
    all_tables,
    assert_consistent,
    copy_state,
    flip_answer,
    ledger,
    manifest_of,
    subprocess_env,
)


def _same_tables(warehouse, published) -> None:
    for table, frame in all_tables(warehouse).items():
        assert_frame_equal(frame, published["tables"][table], check_row_order=False)


def test_truncated_and_deleted_files_are_found_and_republished(published, tmp_path):
    from flows.pipeline import nightly, run_summary

    landing, warehouse = copy_state(published, tmp_path)
    entries = manifest_of(warehouse)["resources"]
    truncated = next(
        e["path"] for e in entries if e.get("table") == "key_question_results" and e["inspection_id"] == CHANGED
    )
    deleted = "annexe/files/south-moor-2025/data-annexe.html"
    data = (warehouse / truncated).read_bytes()
    (warehouse / truncated).write_bytes(data[: len(data) // 2])
    (warehouse / deleted).unlink()
    found = {(f["kind"], f["path"]) for f in verify(str(warehouse))}
    assert found == {("damaged", truncated), ("missing", deleted)}

    summary = run_summary(nightly, landing=str(landing), warehouse=str(warehouse))

    assert summary["reasons"] == {CHANGED: "repair", "south-moor-2025": "repair"}
    assert sorted(o["inspection_id"] for o in summary["outcomes"]) == [CHANGED, "south-moor-2025"]
    assert_consistent(warehouse)
    assert verify(str(warehouse)) == []
    assert (warehouse / truncated).read_bytes() == data  # same inputs, same bytes
    _same_tables(warehouse, published)


def test_same_size_damage_is_found_by_verify_with_the_command_that_repairs_it(published, tmp_path):
    _, warehouse = copy_state(published, tmp_path)
    path = warehouse / "annexe/files/south-moor-2025/data-annexe.xlsx"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["verify", "--warehouse", str(warehouse)])
    assert result.exit_code == 1
    assert "damaged: annexe/files/south-moor-2025/data-annexe.xlsx" in result.output
    assert "`annexe backfill south-moor-2025 --force`" in result.output


def test_an_unreadable_manifest_is_set_aside_and_rebuilt_from_the_landing_zone(published, tmp_path):
    from flows.pipeline import nightly, run_summary

    landing, warehouse = copy_state(published, tmp_path)
    (warehouse / MANIFEST).write_text('{"resources": [')
    status = CliRunner().invoke(app, ["status", "--warehouse", str(warehouse)])
    assert status.exit_code == 1 and "Traceback" not in status.output
    assert "datapackage.json cannot be read" in status.output and len(status.output.strip().splitlines()) == 1

    summary = run_summary(nightly, landing=str(landing), warehouse=str(warehouse))

    assert summary["manifest_set_aside"].startswith("datapackage.json.damaged-")
    assert (warehouse / summary["manifest_set_aside"]).read_text() == '{"resources": ['
    assert {o["inspection_id"]: o["outcome"] for o in summary["outcomes"]}[BROKEN] == "rejected"
    assert_consistent(warehouse)
    assert verify(str(warehouse)) == []
    _same_tables(warehouse, published)


def _killed_run(published, tmp_path, point: str):
    landing, warehouse = copy_state(published, tmp_path)
    flip_answer(landing)
    command = [ANNEXE_BIN, "run", "--landing", str(landing), "--warehouse", str(warehouse), "--no-progress"]
    process = subprocess.run(
        command,
        env=subprocess_env(tmp_path, ANNEXE_FAULT=point),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 86, process.stdout + process.stderr
    return landing, warehouse


def test_runs_killed_around_the_ledger_and_index_page_leave_a_true_manifest_after_the_next_run(published, tmp_path):
    from flows.pipeline import nightly, run_summary

    for point in ("before_ledger", "after_ledger", "after_index"):
        landing, warehouse = _killed_run(published, tmp_path / point, point)
        crashed_runs = {p.name for p in (warehouse / "_staging").iterdir()}
        assert len(crashed_runs) == 1, point  # killed in finalize: its staging is still there

        run_summary(nightly, landing=str(landing), warehouse=str(warehouse))

        manifest = assert_consistent(warehouse)
        assert verify(str(warehouse)) == [], point
        assert not (warehouse / "_staging").exists() or not any((warehouse / "_staging").iterdir())
        runs = ledger(warehouse)
        crashed = runs.filter(pl.col("run_id") == crashed_runs.pop())
        assert crashed.select("inspection_id", "outcome").rows() == [(CHANGED, "published")], point
        listed_ledger = {e["path"] for e in manifest["resources"] if e.get("table") == "runs"}
        assert len(listed_ledger) == runs["run_id"].n_unique()
        assert not list(warehouse.rglob("*.tmp-*"))
        page = (warehouse / "annexe/files/index.html").read_bytes()
        entry = next(e for e in manifest["resources"] if e["path"] == "annexe/files/index.html")
        assert entry["size"] == len(page)
        assert json.loads((warehouse / MANIFEST).read_text())["inspections"][CHANGED]["fingerprint"]
