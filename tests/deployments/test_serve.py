"""`annexe serve` against a real `prefect server start`: both deployments appear, a triggered backfill publishes.

Run by `.ci/run` (`uv run pytest -m integration`); the services are started and stopped by conftest.py.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time
import zoneinfo

import httpx
import polars as pl
import pytest

from flows.prefect_runtime import LifelinePopen
from flows.store.warehouse import read_table
from schemas.tables import COMPUTED_TABLES
from tests.conftest import LANDING, PROJECT
from tests.deployments.conftest import BIN, clean_env, stop, tail

OPTIONAL_TABLES = ("prompt_results", "unrated_results")

pytestmark = pytest.mark.integration

CHOSEN = ["dyfed-powys-2025", "south-moor-2025"]


def _deployments(url: str) -> dict[str, dict]:
    response = httpx.post(f"{url}/deployments/filter", json={}, timeout=10)
    response.raise_for_status()
    return {d["name"]: d for d in response.json()}


def test_serve_registers_both_deployments_and_runs_a_triggered_backfill(prefect_server, tmp_path):
    url = prefect_server
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(LANDING, landing)
    log = tmp_path / "serve.log"
    env = clean_env(
        tmp_path / "serve-home", PREFECT_API_URL=url, ANNEXE_LANDING=str(landing), ANNEXE_WAREHOUSE=str(warehouse)
    )
    with log.open("wb") as out:
        serve = LifelinePopen(
            [sys.executable, BIN / "annexe", "serve"],
            env=env,
            cwd=PROJECT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while len(found := _deployments(url)) < 2:
            assert serve.poll() is None, f"annexe serve exited:\n{tail(log)}"
            assert time.monotonic() < deadline, f"deployments not registered:\n{tail(log)}"
            time.sleep(1)
        assert sorted(found) == ["annexe-backfill", "annexe-nightly"]

        nightly, backfill = found["annexe-nightly"], found["annexe-backfill"]
        assert [(s["schedule"]["cron"], s["schedule"]["timezone"], s["active"]) for s in nightly["schedules"]] == [
            ("0 2 * * *", "Europe/London", True)
        ]
        assert nightly["parameters"] == {"trigger": "schedule"}
        assert backfill["schedules"] == [] and backfill["parameters"] == {"force": False}
        for deployment in (nightly, backfill):
            flow = httpx.get(f"{url}/flows/{deployment['flow_id']}", timeout=10).json()
            assert flow["name"] == deployment["name"]

        for _ in range(10):  # SQLite behind a busy server answers 503 while it is locked: ask again
            created = httpx.post(
                f"{url}/deployments/{backfill['id']}/create_flow_run",
                json={"parameters": {"inspection_ids": CHOSEN, "force": True}},
                timeout=30,
            )
            if created.status_code != 503:
                break
            time.sleep(3)
        created.raise_for_status()
        run_id = created.json()["id"]
        deadline = time.monotonic() + 180
        while True:
            state = httpx.get(f"{url}/flow_runs/{run_id}", timeout=10).json()["state"]
            if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            assert serve.poll() is None, f"annexe serve exited:\n{tail(log)}"
            assert time.monotonic() < deadline, f"backfill still {state['type']}:\n{tail(log)}"
            time.sleep(2)
        assert state["type"] == "COMPLETED", f"{state}\n{tail(log)}"

        # the run published the chosen inspections in the warehouse `annexe serve` was given
        inspections = read_table(str(warehouse), "inspections")
        assert sorted(inspections["inspection_id"]) == CHOSEN
        assert dict(inspections.select("inspection_id", "score").iter_rows())["dyfed-powys-2025"] == 4
        for table in COMPUTED_TABLES:
            published = sorted(read_table(str(warehouse), table)["inspection_id"].unique())
            # Optional parts (prompts, unrated measures) have rows only where the extract supplied them.
            assert published == CHOSEN if table not in OPTIONAL_TABLES else set(published) <= set(CHOSEN)
        runs = pl.read_parquet(warehouse / "ledger" / "runs" / "*" / "part-0.parquet", hive_partitioning=True)
        assert runs.select("run_id", "trigger").unique().rows() == [(run_id, "backfill")]
        manifest = json.loads((warehouse / "datapackage.json").read_text())
        assert {manifest["inspections"][i]["run_id"] for i in CHOSEN} == {run_id}

        # the server scheduled the nightly for 02:00 on London's clocks
        london = zoneinfo.ZoneInfo("Europe/London")
        deadline = time.monotonic() + 60
        while True:
            scheduled = httpx.post(
                f"{url}/flow_runs/filter",
                timeout=10,
                json={
                    "deployments": {"id": {"any_": [nightly["id"]]}},
                    "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                },
            ).json()
            if scheduled or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert scheduled, "no nightly run scheduled"
        for flow_run in scheduled:
            start = dt.datetime.fromisoformat(flow_run["expected_start_time"]).astimezone(london)
            assert (start.hour, start.minute) == (2, 0)
            assert flow_run["parameters"] == {"trigger": "schedule"}
    finally:
        stop(serve)
