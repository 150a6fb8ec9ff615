"""The quality gate between aggregation and publication: a wrong figure stops its inspection, not the others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages.aggregate import aggregate
from flows.stages.gate import chunks, gate
from flows.stages.ingest import ingest
from flows.stages.national import national
from flows.stages.periods import refresh
from flows.stages.publish import publish
from flows.stages.validate import validate
from flows.store import staging
from flows.store.warehouse import Warehouse, read_table
from tests.conftest import LANDING

PROJECT = Path(__file__).resolve().parents[3]


def test_quality_gate_blocks_a_corrupted_aggregate_and_names_the_expectation(tmp_path):
    config = settings(landing=str(LANDING), warehouse=str(tmp_path / "warehouse"))
    folder = staging.batch_folders(staging.claim(config.warehouse, "test"), 1)[0]
    ids = ["dyfed-powys-2025", "north-shire-2025"]
    ingest(config.landing, config.warehouse, folder, ids, DEFAULT_FRAMEWORKS)
    validate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
    aggregate(config.warehouse, folder, DEFAULT_FRAMEWORKS, 5)
    batch = staging.Batch(Warehouse(config.warehouse), folder)
    tables = batch.read_tables()
    tables["key_question_results"] = tables["key_question_results"].with_columns(
        published_percentage=pl.when(
            (pl.col("inspection_id") == "dyfed-powys-2025") & (pl.col("question_id") == "P2.1.3")
        )
        .then(pl.col("published_percentage") + 1)
        .otherwise(pl.col("published_percentage"))
    )
    batch.write_tables(tables)
    gate(config.warehouse, [folder], DEFAULT_FRAMEWORKS)
    national(config.warehouse, [folder])
    publish(config.warehouse, folder, "test-run", DEFAULT_FRAMEWORKS, config.publication)
    refresh(config.warehouse, "test-run", DEFAULT_FRAMEWORKS, config.publication)

    published = read_table(config.warehouse, "inspections")["inspection_id"].to_list()
    assert published == ["north-shire-2025"]
    quarantine = read_table(config.warehouse, "quarantine")
    assert quarantine["inspection_id"].unique().to_list() == ["dyfed-powys-2025"]
    messages = " ".join(quarantine["message"].to_list())
    assert "rounded half up" in messages and '"question_id":"P2.1.3"' in messages
    assert "expect_column_pair_values_to_be_equal" in quarantine["check"].to_list()


def test_batches_are_gated_in_groups_of_a_bounded_number_of_inspections():
    assert chunks([50, 50, 50, 20], limit=100) == [[0, 1], [2, 3]]
    assert chunks([120, 30, 80], limit=100) == [[0], [1], [2]]  # a batch bigger than the limit goes alone
    assert chunks([], limit=100) == []
    assert chunks([5] * 7, limit=500) == [list(range(7))]


GATED_ELSEWHERE = """
import json, sys
import polars as pl
from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages import gate
from flows.stages.aggregate import aggregate
from flows.stages.ingest import ingest
from flows.stages.validate import validate
from flows.store import staging
from flows.store.warehouse import Warehouse

config = settings(landing=sys.argv[1], warehouse=sys.argv[2])
folders = staging.batch_folders(staging.claim(config.warehouse, "test"), 2)
gate.warm()
for folder, inspection_id in zip(folders, ["dyfed-powys-2025", "north-shire-2025"]):
    ingest(config.landing, config.warehouse, folder, [inspection_id], DEFAULT_FRAMEWORKS)
    validate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
    aggregate(config.warehouse, folder, DEFAULT_FRAMEWORKS, 5)
batch = staging.Batch(Warehouse(config.warehouse), folders[1])
tables = batch.read_tables()
tables["key_question_results"] = tables["key_question_results"].with_columns(
    published_percentage=pl.when(pl.col("question_id") == "P2.1.3")
    .then(pl.col("published_percentage") + 1).otherwise(pl.col("published_percentage"))
)
batch.write_tables(tables)
started, warm = [], gate.warm

def counting():
    before = gate._worker
    warm()
    if gate._worker is not before:
        started.append(gate._worker)

gate.warm = counting
gate.gate_elsewhere(config.warehouse, folders, DEFAULT_FRAMEWORKS, limit=1)
quality = [staging.Batch(Warehouse(config.warehouse), f).read_quality() for f in folders]
print(json.dumps({
    "failing": [sorted(set(q["inspection_id"])) for q in quality],
    "expectations": sorted(set(quality[1]["expectation"])),
    "loaded_here": sorted(m for m in sys.modules if m.split(".")[0] == "great_expectations"),
    "processes_started_for_later_groups": len(started),
    "stopped": gate._worker is None,
}))
"""


def test_the_gate_runs_each_group_in_a_fresh_process_and_the_run_process_never_loads_gx(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", GATED_ELSEWHERE, str(LANDING), str(tmp_path / "warehouse")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["failing"] == [[], ["north-shire-2025"]]  # each group gated, in its own process
    assert any(e.startswith("expect_column_pair_values_to_be_equal") for e in found["expectations"])
    assert found["loaded_here"] == []  # Great Expectations loaded in the gate's processes only
    assert found["processes_started_for_later_groups"] == 1
    assert found["stopped"] is True
