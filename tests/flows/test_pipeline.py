"""The whole run through Prefect: broken extracts are quarantined with reasons, the good ones still publish."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.warehouse import read_table
from tests.broken import BREAKAGES, make_broken
from tests.conftest import SAMPLES


def _tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def broken_run(prefect_api, tmp_path_factory):
    """One run over the five samples plus one inspection per kind of breakage."""
    root = tmp_path_factory.mktemp("broken-run")
    landing = root / "landing"
    import shutil

    from tests.conftest import LANDING

    shutil.copytree(LANDING, landing)
    broken = {b.name: make_broken(landing, b) for b in BREAKAGES}
    before = _tree_hashes(landing)
    result = CliRunner().invoke(app, ["run", "--landing", str(landing), "--warehouse", str(root / "warehouse"),
                                      "--no-progress"], env={"COLUMNS": "250"})
    return {"result": result, "landing": landing, "warehouse": root / "warehouse", "broken": broken,
            "before": before}


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
        pl.col("inspection_id") == "dyfed-powys-2025")
    assert ratings["rating"].to_list() == ["Good", "Requires improvement", "Requires improvement",
                                           "Inadequate", "Inadequate", "Inadequate", "Inadequate"]
    summary = read_table(str(broken_run["warehouse"]), "inspections").filter(
        pl.col("inspection_id") == "dyfed-powys-2025").row(0, named=True)
    assert (summary["score"], summary["overall_rating"]) == (4, "Requires improvement")


def test_landing_zone_is_never_modified(broken_run):
    assert _tree_hashes(broken_run["landing"]) == broken_run["before"]


def test_fixed_extract_is_published_and_leaves_quarantine(broken_run):
    landing, warehouse = broken_run["landing"], broken_run["warehouse"]
    inspection_id = broken_run["broken"]["bad-answer"]
    fixed = (landing.parent / "fixed")
    import shutil

    shutil.copytree(landing, fixed)
    source = (landing / "dyfed-powys-2025" / "cases.csv").read_bytes()
    (fixed / inspection_id / "cases.csv").write_bytes(source)
    result = CliRunner().invoke(app, ["backfill", inspection_id, "--landing", str(fixed), "--warehouse",
                                      str(warehouse), "--no-progress"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "1 published, 0 rejected" in result.output
    quarantine = read_table(str(warehouse), "quarantine")
    assert inspection_id not in quarantine["inspection_id"].to_list()
    assert inspection_id in read_table(str(warehouse), "inspections")["inspection_id"].to_list()
