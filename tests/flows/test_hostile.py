"""One `annexe run` over the samples and a hostile extract of every kind that once crashed or steered a run."""

# The run completes; each hostile extract is quarantined with its reason, or reported; the good ones publish;
# nothing is read outside the landing zone and nothing in it changes.

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from flows.store.landing import discover_report, stand_in
from flows.store.warehouse import read_table
from tests.broken import BREAKAGES, SOURCE, make_broken
from tests.conftest import LANDING, SAMPLES, tree_hashes

# One breakage of each class from tests/broken.py (all of them also run in tests/flows/test_pipeline.py).
CLASSES = (
    "xlsx-huge-dimension",
    "xlsx-zip-bomb",
    "oversized-file",
    "framework-path",
    "cases-linked-outside",
    "manifest-linked-outside",
    "duplicate-header",
    "duplicate-header-xlsx",
    "future-fieldwork",
    "fieldwork-datetime",
    "tiny-sample",
)
# Folder names that are not ids: too long for a warehouse path (one of them matches the id pattern), or odd.
BAD_NAMES = ("a" * 245, "x" * 255, "Bad Name!", "evil\nname-2025", "café-2025", "a--b")
UNREAD = (".hidden-2025", "_drafts-2025", "linked-2025")
NO_PROMPTS = "no-prompts-2025"


def _without_prompts(folder: Path) -> None:
    """A valid extract without any prompt column (prompts are optional in the contract)."""
    frame = pl.read_csv(folder / "cases.csv", infer_schema=False)
    frame.select([c for c in frame.columns if c.count(".") < 3]).write_csv(folder / "cases.csv")
    manifest = folder / "inspection.toml"
    manifest.write_text(manifest.read_text().replace('"dyfed-powys-2025"', f'"{NO_PROMPTS}"'))


def _hostile_landing(root: Path) -> dict:
    landing = root / "landing"
    shutil.copytree(LANDING, landing)
    broken = {b.name: make_broken(landing, b) for b in BREAKAGES if b.name in CLASSES}
    for name in BAD_NAMES + UNREAD[:2]:
        shutil.copytree(SOURCE, landing / name)
    shutil.copytree(SOURCE, root / "elsewhere")
    (landing / "linked-2025").symlink_to(root / "elsewhere", target_is_directory=True)
    shutil.copytree(SOURCE, landing / "fifo-2025")
    (landing / "fifo-2025" / "cases.csv").unlink()
    os.mkfifo(landing / "fifo-2025" / "cases.csv")  # reading it would wait for ever
    shutil.copytree(SOURCE, landing / NO_PROMPTS)
    _without_prompts(landing / NO_PROMPTS)
    return {"landing": landing, "broken": broken}


@pytest.fixture(scope="module")
def hostile_run(prefect_api, tmp_path_factory):
    """One `annexe run` over the hostile landing zone."""
    from typer.testing import CliRunner

    from flows.cli import app

    root = tmp_path_factory.mktemp("hostile-run")
    made = _hostile_landing(root)
    before = tree_hashes(made["landing"])
    result = CliRunner().invoke(
        app,
        ["run", "--landing", str(made["landing"]), "--warehouse", str(root / "warehouse"), "--no-progress"],
        env={"COLUMNS": "250"},
    )
    return {**made, "result": result, "warehouse": root / "warehouse", "before": before}


def _quarantine(run: dict, inspection_id: str) -> pl.DataFrame:
    return read_table(str(run["warehouse"]), "quarantine").filter(pl.col("inspection_id") == inspection_id)


def test_the_run_completes_and_says_some_were_rejected(hostile_run):
    result = hostile_run["result"]
    assert result.exit_code == 1, result.output
    rejected = len(CLASSES) + len(BAD_NAMES) + 1  # and the named pipe
    assert f"published, {rejected} rejected" in result.output and "Run failed" not in result.output


def test_good_inspections_publish_the_golden_figures(hostile_run):
    inspections = read_table(str(hostile_run["warehouse"]), "inspections")
    assert set(inspections["inspection_id"].to_list()) - {NO_PROMPTS} == set(SAMPLES)
    dyfed = inspections.filter(pl.col("inspection_id") == "dyfed-powys-2025").row(0, named=True)
    assert (dyfed["score"], dyfed["overall_rating"]) == (4, "Requires improvement")


def test_an_extract_without_prompt_columns_publishes_with_no_prompt_results(hostile_run):
    warehouse = str(hostile_run["warehouse"])
    assert NO_PROMPTS in read_table(warehouse, "inspections")["inspection_id"].to_list(), _quarantine(
        hostile_run, NO_PROMPTS
    )["message"].to_list()
    assert read_table(warehouse, "prompt_results").filter(pl.col("inspection_id") == NO_PROMPTS).height == 0
    assert read_table(warehouse, "key_question_results").filter(pl.col("inspection_id") == NO_PROMPTS).height == 12


@pytest.mark.parametrize("name", CLASSES)
def test_each_hostile_extract_is_quarantined_with_its_reason(hostile_run, name):
    breakage = next(b for b in BREAKAGES if b.name == name)
    inspection_id = hostile_run["broken"][name]
    rows = _quarantine(hostile_run, inspection_id).filter(pl.col("check") == breakage.check)
    assert rows.height >= 1, _quarantine(hostile_run, inspection_id)
    assert breakage.message in rows["message"][0]
    assert f"{inspection_id}: not published" in hostile_run["result"].output


def test_a_folder_whose_name_is_not_an_id_is_quarantined_under_a_stand_in(hostile_run):
    for name in BAD_NAMES:
        rows = _quarantine(hostile_run, stand_in(name))
        assert rows["check"].to_list() == ["folder_name"], name
        assert "is not a valid inspection id" in rows["message"][0]
        assert f"{stand_in(name)}: not published" in hostile_run["result"].output


def test_no_name_from_the_landing_zone_becomes_an_unsafe_warehouse_path(hostile_run):
    paths = [p.relative_to(hostile_run["warehouse"]) for p in hostile_run["warehouse"].rglob("*")]
    assert paths and max(len(part.encode()) for p in paths for part in p.parts) <= 100
    assert not [p for p in paths for name in BAD_NAMES if name in str(p)]


def test_hidden_and_linked_folders_are_reported_and_not_read(hostile_run):
    report = discover_report(str(hostile_run["landing"]))
    assert {a["folder"] for a in report.set_aside} == set(UNREAD)
    published = (
        read_table(str(hostile_run["warehouse"]), "quarantine")["inspection_id"].to_list()
        + read_table(str(hostile_run["warehouse"]), "inspections")["inspection_id"].to_list()
    )
    assert not set(UNREAD) & set(published)


def test_a_named_pipe_is_refused_without_waiting(hostile_run):
    rows = _quarantine(hostile_run, "fifo-2025").filter(pl.col("check") == "regular_file")
    assert rows["message"].to_list() == ["cases.csv is not a plain file (other): put the file itself in the folder"]


def test_the_landing_zone_is_byte_identical_afterwards(hostile_run):
    assert tree_hashes(hostile_run["landing"]) == hostile_run["before"]
