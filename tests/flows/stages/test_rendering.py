"""Annexes rendered in worker processes are byte for byte those rendered in this process."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages import rendering
from flows.stages.aggregate import aggregate
from flows.stages.ingest import ingest
from flows.stages.validate import validate
from flows.store import staging
from tests.conftest import LANDING

IDS = ["dyfed-powys-2025", "east-vale-2024", "north-shire-2025"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> dict:
    """Three inspections' computed tables in one staged batch, and the publication settings per inspection."""
    warehouse = str(tmp_path_factory.mktemp("rendering") / "warehouse")
    config = settings(landing=str(LANDING), warehouse=warehouse)
    folder = staging.batch_folders(staging.claim(warehouse, "run-1"), 1)[0]
    ingest(config.landing, warehouse, folder, IDS, DEFAULT_FRAMEWORKS)
    validate(warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
    aggregate(warehouse, folder, DEFAULT_FRAMEWORKS, config.suppression_threshold)
    release = {
        "published_on": dt.date(2026, 11, 30),
        "statistics_status": "Official statistics in development",
        "next_update": "None planned",
        "report_url": None,
        "revisions": [],
    }
    jobs = {i: {**config.publication, "release": release, "national": None} for i in IDS}
    return {"warehouse": warehouse, "folder": folder, "jobs": jobs}


def test_two_processes_render_what_this_process_renders(staged, monkeypatch):
    here = rendering.render_chunk(staged["warehouse"], staged["folder"], DEFAULT_FRAMEWORKS, staged["jobs"])
    monkeypatch.setenv(rendering.PROCESSES_SETTING, "2")
    assert rendering.processes() == 2
    there = rendering.render_batch(staged["warehouse"], staged["folder"], DEFAULT_FRAMEWORKS, staged["jobs"])
    workers = [p.pid for p in rendering._pools[2]._processes.values()]
    assert len(workers) == 2 and os.getpid() not in workers
    assert sorted(there) == IDS
    assert {i: sorted(files) for i, files in there.items()} == {
        i: ["data-annexe.html", "data-annexe.xlsx"] for i in IDS
    }
    assert there == here
    assert b"Dyfed Powys" in there["dyfed-powys-2025"]["data-annexe.html"]
    rendering.shutdown()
    assert rendering._pools == {}


def test_the_number_of_processes_comes_from_the_setting(monkeypatch):
    for setting, expected in (("1", 1), ("3", 3), ("0", min(2, os.cpu_count() or 1)), ("x", min(2, os.cpu_count()))):
        monkeypatch.setenv(rendering.PROCESSES_SETTING, setting)
        assert rendering.processes() == expected, setting


def test_a_worker_ends_itself_when_the_process_that_started_it_is_killed(tmp_path):
    program = (
        "import os, sys\n"
        "from flows.stages import rendering\n"
        "pool = rendering._pool(1)\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "sys.stdin.read()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
