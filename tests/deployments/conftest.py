"""Services started as their operators would start them (a Prefect server, Dask's scheduler and workers).

Every process started here leads its own session; `stop` ends it by its PID (SIGTERM, then SIGKILL) and then
any process left in that session, by PID. Each is also on a lifeline (flows.prefect_runtime): if pytest itself
is killed, it ends with everything in its session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.prefect_runtime import LifelinePopen

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A local TCP port nobody listens on now."""
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


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without Prefect's, the project's or pytest's settings; Prefect offline and quiet."""
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


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a service's log, for a failure message."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def start(command: list, log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """Start a long-running service in its own session, on a lifeline, its output in `log`."""
    with log.open("wb") as out:
        return LifelinePopen(
            [str(c) for c in command], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture
def prefect_server(tmp_path):
    """`prefect server start` on a free local port with its own SQLite database; yields the API URL."""
    port = free_port()
    log = tmp_path / "server.log"
    env = clean_env(
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
            assert process.poll() is None, f"prefect server exited:\n{tail(log)}"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"prefect server not healthy:\n{tail(log)}"
            time.sleep(1)
        yield url
    finally:
        stop(process)
