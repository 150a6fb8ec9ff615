"""A backfill on a Dask cluster started as an operator would start one on two machines (scheduler, two workers).

Run by `.ci/run` (`uv run pytest -m integration`). The scheduler and each worker are separate processes
started with Dask's own command line, reporting to a real `prefect server start`; the backfill is the
`annexe backfill --dask` command. What it publishes must be byte for byte what the thread-pool run publishes:
the manifests list the same files with the same sha256, apart from each run's own ledger entry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import LANDING, PROJECT
from tests.deployments.conftest import BIN, clean_env, free_port, start, stop, tail

pytestmark = pytest.mark.integration


def _checksums(warehouse: Path) -> dict[str, str]:
    """Every listed file but the run ledger's (named by run id), with its sha256."""
    manifest = json.loads((warehouse / "datapackage.json").read_text())
    return {r["path"]: r["sha256"] for r in manifest["resources"] if not r["path"].startswith("ledger/")}


def _backfill(warehouse: Path, landing: Path, env: dict[str, str], log: Path, *extra: str) -> None:
    done = subprocess.run(
        [
            BIN / "annexe",
            "backfill",
            "--all",
            "--force",
            "--batch-size",
            "1",
            "--landing",
            landing,
            "--warehouse",
            warehouse,
        ]
        + list(extra),
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{tail(log)}"


def test_a_backfill_on_a_dask_scheduler_and_two_workers_publishes_what_the_thread_pool_publishes(
    prefect_server, tmp_path
):
    from distributed import Client

    landing = tmp_path / "landing"
    shutil.copytree(LANDING, landing)
    env = clean_env(tmp_path / "home", PREFECT_API_URL=prefect_server)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = {name: tmp_path / f"{name}.log" for name in ("scheduler", "worker-1", "worker-2")}
    services = [
        start(
            [sys.executable, BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            logs["scheduler"],
            env,
            tmp_path,
        )
    ]
    try:
        for name in ("worker-1", "worker-2"):
            services.append(
                start(
                    [
                        sys.executable,
                        BIN / "dask",
                        "worker",
                        address,
                        "--name",
                        name,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--local-directory",
                        tmp_path / name,
                    ],  # fmt: skip
                    logs[name],
                    env,
                    tmp_path,
                )
            )
        deadline = time.monotonic() + 120
        with Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=120)
            assert time.monotonic() < deadline
            _backfill(tmp_path / "on-dask", landing, env, logs["scheduler"], "--dask", address)
            executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
        _backfill(tmp_path / "on-threads", landing, env, logs["scheduler"])
    finally:
        for service in reversed(services):
            stop(service)

    # Both worker processes ran the pipeline's tasks (one inspection a batch: six batches a stage).
    assert len(executed) == 2 and all(count > 0 for count in executed.values()), executed
    on_dask, on_threads = _checksums(tmp_path / "on-dask"), _checksums(tmp_path / "on-threads")
    assert sum(p.endswith(".parquet") for p in on_dask) > 5 * 7
    assert on_dask == on_threads
