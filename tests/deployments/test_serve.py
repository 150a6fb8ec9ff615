"""`annexe serve` against a real `prefect server start`: both deployments appear, a triggered backfill publishes.

Run by `.ci/run` (`uv run pytest -m integration`). Every process started here leads its own session; the
fixtures stop it by its PID (SIGTERM, then SIGKILL) and then any process left in that session, by PID. Each is
also on a lifeline (flows.prefect_runtime): if pytest itself is killed, it ends with everything in its session.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import httpx
import polars as pl
import pytest

from flows.prefect_runtime import LifelinePopen
from flows.store.warehouse import read_table
from schemas.tables import COMPUTED_TABLES
from tests.conftest import LANDING, PROJECT

OPTIONAL_TABLES = ("prompt_results", "unrated_results")

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
CHOSEN = ["dyfed-powys-2025", "south-moor-2025"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_members(session: int) -> list[int]:
    """Live (not zombie) processes in a session, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, _ppid, _pgrp, sid = stat[stat.rindex(")") + 2 :].split()[:4]
        if int(sid) == session and state not in ("Z", "X"):
            members.append(int(entry))
    return members


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop(process: subprocess.Popen, grace: float = 20.0) -> None:
    """Stop a process we started and everything it started: SIGTERM, then SIGKILL; assert none is left."""
    session = process.pid  # started with start_new_session=True, so it leads session `pid`
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    deadline = time.monotonic() + grace
    while (left := _session_members(session)) and time.monotonic() < deadline:
        for pid in left:
            _signal(pid, signal.SIGTERM)
        time.sleep(0.5)
    for pid in _session_members(session):
        _signal(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert _session_members(session) == [], "processes left behind"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ANNEXE_", "PYTEST_"))}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "GX_ANALYTICS_ENABLED": "false",
            **extra,
        }
    )
    return env


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture
def prefect_server(tmp_path):
    """`prefect server start` on a free local port with its own SQLite database; yields the API URL."""
    port = _free_port()
    log = tmp_path / "server.log"
    env = _env(
        tmp_path / "server-home",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
    )
    with log.open("wb") as out:
        process = LifelinePopen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert process.poll() is None, f"prefect server exited:\n{_tail(log)}"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"prefect server not healthy:\n{_tail(log)}"
            time.sleep(1)
        yield url
    finally:
        stop(process)


def _deployments(url: str) -> dict[str, dict]:
    response = httpx.post(f"{url}/deployments/filter", json={}, timeout=10)
    response.raise_for_status()
    return {d["name"]: d for d in response.json()}


def test_serve_registers_both_deployments_and_runs_a_triggered_backfill(prefect_server, tmp_path):
    url = prefect_server
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(LANDING, landing)
    log = tmp_path / "serve.log"
    env = _env(
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
            assert serve.poll() is None, f"annexe serve exited:\n{_tail(log)}"
            assert time.monotonic() < deadline, f"deployments not registered:\n{_tail(log)}"
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
            assert serve.poll() is None, f"annexe serve exited:\n{_tail(log)}"
            assert time.monotonic() < deadline, f"backfill still {state['type']}:\n{_tail(log)}"
            time.sleep(2)
        assert state["type"] == "COMPLETED", f"{state}\n{_tail(log)}"

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
