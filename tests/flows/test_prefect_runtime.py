"""Prefect's runtime: the temporary API ends with the run that started it, leftovers are found, cold start is a step.

Every process started here is stopped by its PID in the test that started it.
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
import psutil
import pytest

from flows import prefect_runtime
from flows.prefect_runtime import SERVER_APP, LifelinePopen, PrefectUnavailable, leftover_servers

BIN = Path(sys.executable).parent
# Starts its arguments as a process in a session of its own, prints its PID and exits: that process is an orphan.
ORPHAN = (
    "import subprocess, sys; print(subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.DEVNULL, start_new_session=True).pid)"
)
SLEEP = "import time; time.sleep(120)"


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _ends(process: psutil.Process, within: float = 30) -> bool:
    """Whether a process is gone (or a zombie) within a generous time."""
    deadline = time.monotonic() + within
    while _alive(process) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(process)


def _kill(*processes: psutil.Process) -> None:
    """SIGKILL processes this test started; psutil refuses a PID that has since been reused."""
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _answering_server(run: subprocess.Popen, log: Path, within: float = 600) -> psutil.Process:
    """The run's temporary API once it answers (a first run on a new Prefect home migrates its database first)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert run.poll() is None, f"annexe run ended before its temporary API answered:\n{_tail(log)}"
        for child in psutil.Process(run.pid).children(recursive=True):
            try:
                command = child.cmdline()
            except psutil.Error:
                continue
            if SERVER_APP in command:
                try:
                    url = f"http://127.0.0.1:{command[command.index('--port') + 1]}/api/health"
                    if httpx.get(url, timeout=2).status_code == 200:
                        return child
                except httpx.HTTPError:
                    pass
        time.sleep(0.2)
    pytest.fail(f"no temporary API answered:\n{_tail(log)}")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_temporary_api_ends_with_the_run_that_started_it(sig, landing, tmp_path):
    # The session's Prefect home: its database is prepared once, not per test.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "ANNEXE_", "PYTEST_"))}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = LifelinePopen(
            [
                sys.executable,
                BIN / "annexe",
                "run",
                "--landing",
                landing,
                "--warehouse",
                tmp_path / "warehouse",
                "--no-progress",
            ],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = None
    try:
        server = _answering_server(run, log)
        assert server.pid not in [s["pid"] for s in leftover_servers()]  # its run is alive: not a leftover
        run.send_signal(sig)
        run.wait(60)
        assert _ends(server), f"the temporary API (PID {server.pid}) outlived its run"
    finally:
        run.kill()  # a no-op once it has ended
        run.wait(10)
        _kill(*([server] if server else []))


def test_a_lifeline_child_and_its_session_end_when_its_parent_is_killed(tmp_path):
    child = tmp_path / "child.py"
    child.write_text(
        f"import subprocess, sys, time\nprint(subprocess.Popen([sys.executable, '-c', {SLEEP!r}]).pid, "
        f"flush=True)\n{SLEEP}\n"
    )
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from flows.prefect_runtime import LifelinePopen; "
            f"print(LifelinePopen([sys.executable, sys.argv[1]], start_new_session=True).pid, flush=True); {SLEEP}",
            str(child),
        ],
        cwd=prefect_runtime.PROJECT,
        stdout=subprocess.PIPE,
        text=True,
    )
    started = [psutil.Process(int(parent.stdout.readline())) for _ in range(2)]  # the child, then what it started
    try:
        parent.kill()
        parent.wait(10)
        assert all(_ends(process) for process in started)
    finally:
        _kill(*started)
        parent.stdout.close()


def test_leftover_servers_lists_an_orphaned_temporary_api_of_its_prefect_home_only(tmp_path):
    home = tmp_path / "home"
    fake_server = [sys.executable, "-c", SLEEP, "--factory", SERVER_APP, "--port", "8765"]
    env = {**os.environ, "PREFECT_HOME": str(home)}
    orphan = psutil.Process(
        int(
            subprocess.run(
                [sys.executable, "-c", ORPHAN, *fake_server], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    )
    owned = subprocess.Popen(fake_server, env=env)  # its parent, this test, is alive
    try:
        if orphan.ppid() != 1:
            pytest.skip("orphans are adopted by a subreaper here, not by init")
        found = leftover_servers(home)
        assert [(s["pid"], s["port"], s["prefect_home"]) for s in found] == [(orphan.pid, 8765, str(home.resolve()))]
        assert found[0]["memory_mb"] >= 0 and found[0]["started"].tzinfo is not None
        assert leftover_servers(tmp_path / "another-home") == []
    finally:
        _kill(orphan)
        owned.kill()
        owned.wait(10)


def test_local_database_is_prepared_once_per_prefect_version(tmp_path, monkeypatch):
    import prefect
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    database = tmp_path / "prefect.db"
    migrations = []

    def migrate() -> None:
        migrations.append(1)
        database.touch()

    monkeypatch.setattr(prefect_runtime, "_migrate", migrate)
    said = []
    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{database}"}):
        assert prefect_runtime.prepare_database(said.append)
        assert said == [prefect_runtime.PREPARING] and len(migrations) == 1
        marker = tmp_path / "prefect.db.prepared"
        assert marker.read_text() == f"prefect {prefect.__version__}\n"
        assert not prefect_runtime.prepare_database(said.append)
        assert len(said) == len(migrations) == 1

        marker.write_text("prefect 3.0.0\n")  # another Prefect: its migrations may be new
        assert prefect_runtime.prepare_database(said.append)
        database.unlink()  # the database was removed, its marker left behind
        assert prefect_runtime.prepare_database(said.append)
        assert len(said) == len(migrations) == 3

    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: "postgresql+asyncpg://u:p@db:5432/prefect"}):
        assert not prefect_runtime.prepare_database(said.append)  # a database server migrates itself
    assert len(said) == 3


def test_a_failed_preparation_says_why_and_is_tried_again(tmp_path, monkeypatch):
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    def fail() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(prefect_runtime, "_migrate", fail)
    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"}):
        for _ in range(2):
            with pytest.raises(PrefectUnavailable, match="could not be prepared \\(disk full\\)") as raised:
                prefect_runtime.prepare_database(lambda line: None)
            assert "\n" not in str(raised.value)


def test_an_unreachable_api_is_one_line_saying_what_to_do():
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with socket.socket() as bound:  # bound, never listening: connections to it are refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with (
            temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}),
            pytest.raises(PrefectUnavailable) as raised,
        ):
            prefect_runtime.prepare(lambda line: None)
    message = str(raised.value)
    assert "\n" not in message and f"127.0.0.1:{port}/api" in message and "PREFECT_API_URL" in message


def test_the_sessions_temporary_api_is_on_a_lifeline_to_pytest(prefect_api):
    from prefect.settings import PREFECT_API_URL

    port = PREFECT_API_URL.value().rsplit(":", 1)[1].split("/")[0]
    (server,) = [c.cmdline() for c in psutil.Process().children() if SERVER_APP in c.cmdline() and port in c.cmdline()]
    assert server[1:3] == [str(prefect_runtime.SELF), str(os.getpid())]


def _quick_start_possible(home: Path, **env: str) -> bool:
    """prefect_runtime._quick_start_possible() in a fresh interpreter (Prefect not imported) with this home."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ANNEXE_", "PYTEST_"))}
    program = "from flows import prefect_runtime as r; r.configure(); print(r._quick_start_possible())"
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**environment, "PREFECT_HOME": str(home), **env},
        cwd=prefect_runtime.PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "True"


def test_the_temporary_api_starts_before_prefect_is_imported_only_when_nothing_else_is_configured(tmp_path):
    from importlib.metadata import version

    home = tmp_path / "home"
    home.mkdir()
    assert not _quick_start_possible(home)  # a new home: its database is prepared first, the slow way
    (home / "prefect.db").touch()
    (home / "prefect.db.prepared").write_text(f"prefect {version('prefect')}\n")
    assert _quick_start_possible(home)
    assert not _quick_start_possible(home, PREFECT_API_URL="http://127.0.0.1:4200/api")
    assert not _quick_start_possible(home, PREFECT_SERVER_DATABASE_CONNECTION_URL="postgresql+asyncpg://db/prefect")
    (home / "profiles.toml").write_text(
        'active = "team"\n[profiles.team]\nPREFECT_API_URL = "http://prefect.internal:4200/api"\n'
    )
    assert not _quick_start_possible(home)  # the active profile names a server
    assert _quick_start_possible(home, PREFECT_PROFILE="ephemeral")
    (home / "prefect.db.prepared").write_text("prefect 3.0.0\n")  # another Prefect: its migrations may be new
    assert not _quick_start_possible(home, PREFECT_PROFILE="ephemeral")
