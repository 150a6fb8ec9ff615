"""The quality gate between aggregation and publication: a wrong figure stops its inspection, not the others."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages.aggregate import aggregate
from flows.stages.gate import chunks, gate, gate_elsewhere
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


# One inspection a batch, gated one inspection at a time: three groups, the second batch's figures corrupted.
BATCH_IDS = ["dyfed-powys-2025", "north-shire-2025", "east-vale-2024"]
FAILING = [[], ["north-shire-2025"], []]
# A child process's guard against hanging: generous, for a busy 2-core machine loading GX once per group.
HANG_SECONDS = 600


@pytest.fixture(scope="module")
def aggregated(tmp_path_factory) -> dict:
    """A warehouse whose run has three aggregated, ungated batches of one inspection each."""
    config = settings(landing=str(LANDING), warehouse=str(tmp_path_factory.mktemp("gate") / "warehouse"))
    folders = staging.batch_folders(staging.claim(config.warehouse, "test"), len(BATCH_IDS))
    for folder, inspection_id in zip(folders, BATCH_IDS, strict=True):
        ingest(config.landing, config.warehouse, folder, [inspection_id], DEFAULT_FRAMEWORKS)
        validate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
        aggregate(config.warehouse, folder, DEFAULT_FRAMEWORKS, 5)
    batch = staging.Batch(Warehouse(config.warehouse), folders[1])
    tables = batch.read_tables()
    tables["key_question_results"] = tables["key_question_results"].with_columns(
        published_percentage=pl.when(pl.col("question_id") == "P2.1.3")
        .then(pl.col("published_percentage") + 1)
        .otherwise(pl.col("published_percentage"))
    )
    batch.write_tables(tables)
    return {"warehouse": config.warehouse, "folders": folders}


@pytest.fixture
def ungated(aggregated, tmp_path) -> str:
    """A copy of the aggregated warehouse, for one test to gate."""
    return shutil.copytree(aggregated["warehouse"], tmp_path / "warehouse")


def _quality(warehouse: str, folders: list[str]) -> list[pl.DataFrame]:
    return [staging.Batch(Warehouse(str(warehouse)), f).read_quality() for f in folders]


def _failing(quality: list[pl.DataFrame]) -> list[list[str]]:
    return [sorted(set(q["inspection_id"])) for q in quality]


GATED_ELSEWHERE = """
import json, sys
from flows import prefect_runtime
from flows.config import DEFAULT_FRAMEWORKS
from flows.stages import gate

warehouse, folders = sys.argv[1], json.loads(sys.argv[2])
pools, worker_pool = [], prefect_runtime.worker_pool

def counting(*args):
    pools.append(worker_pool(*args))
    return pools[-1]

prefect_runtime.worker_pool = counting
gate.warm(warehouse)
gate.gate_elsewhere(warehouse, folders, DEFAULT_FRAMEWORKS, limit=1)
print(json.dumps({
    "loaded_here": sorted(m for m in sys.modules if m.split(".")[0] == "great_expectations"),
    "processes": [pool._max_workers for pool in pools],
    "stopped": gate._worker is None,
}))
"""


@pytest.fixture(scope="module")
def gated_elsewhere(aggregated, tmp_path_factory) -> dict:
    """The normal path: the run's process gates the three groups in gate processes, in a fresh interpreter."""
    warehouse = shutil.copytree(aggregated["warehouse"], tmp_path_factory.mktemp("elsewhere") / "warehouse")
    result = subprocess.run(
        [sys.executable, "-c", GATED_ELSEWHERE, str(warehouse), json.dumps(aggregated["folders"])],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return {**found, "quality": _quality(warehouse, aggregated["folders"])}


def test_three_groups_are_gated_in_a_fresh_process_each_and_the_run_process_never_loads_gx(gated_elsewhere):
    assert _failing(gated_elsewhere["quality"]) == FAILING  # each group's failures staged in its own batches
    expectations = set(gated_elsewhere["quality"][1]["expectation"])
    assert any(e.startswith("expect_column_pair_values_to_be_equal") for e in expectations)
    assert gated_elsewhere["loaded_here"] == []  # Great Expectations loaded in the gate's processes only
    assert gated_elsewhere["processes"] == [1, 1, 1]  # one gate process per group, the first started by warm
    assert gated_elsewhere["stopped"] is True


def test_inside_a_daemonic_process_the_gate_runs_in_that_process_with_the_same_failures(
    aggregated, ungated, gated_elsewhere
):
    # A daemonic process may not start one: were the gate not run in it, it would end with an error.
    process = multiprocessing.get_context("spawn").Process(
        target=gate_elsewhere,
        args=(str(ungated), aggregated["folders"], DEFAULT_FRAMEWORKS, 1),
        daemon=True,
    )
    process.start()
    process.join(HANG_SECONDS)
    if process.is_alive():
        process.kill()
    assert process.exitcode == 0
    quality = _quality(ungated, aggregated["folders"])
    assert _failing(quality) == FAILING
    for here, elsewhere in zip(quality, gated_elsewhere["quality"], strict=True):
        assert here.equals(elsewhere)


DIES_MID_GROUP = """
import json, sys
from flows.config import DEFAULT_FRAMEWORKS
from flows.stages import gate

try:
    gate.gate_elsewhere(sys.argv[1], json.loads(sys.argv[2]), DEFAULT_FRAMEWORKS, limit=1)
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error), "stopped": gate._worker is None}))
"""


def test_a_gate_process_that_dies_mid_group_fails_the_gate_with_an_error_naming_it(aggregated, ungated):
    folders = aggregated["folders"]
    result = subprocess.run(
        [sys.executable, "-c", DIES_MID_GROUP, str(ungated), json.dumps(folders)],
        cwd=PROJECT,
        env={**os.environ, "ANNEXE_FAULT": "mid_gate"},  # the gate process exits once it has gated its group
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["error"] == "BrokenProcessPool"
    assert "quality gate's process ended abruptly" in found["message"] and folders[0] in found["message"]
    assert found["stopped"] is True
    assert [Warehouse(str(ungated)).exists(f"{f}/quality.parquet") for f in folders] == [False] * 3
