"""Prefect's environment for this project: its settings, its local database, its temporary API and that API's lifeline.

Prefect reads its settings when it is imported, so `configure()` (or `prepare()`, which calls it) runs before anything
imports prefect. This module imports only the standard library at its top because it is also the small program that
runs a child process with a lifeline: `python flows/prefect_runtime.py PARENT_PID -m module ...` (or `script ...`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SELF = Path(__file__).resolve()
PROJECT = SELF.parent.parent
DEFAULT_HOME = PROJECT / ".prefect"
# Start-up of the temporary API once its database is migrated: generous, for a busy 2-core machine.
STARTUP_TIMEOUT_SECONDS = 300
SERVER_APP = "prefect.server.api.server:create_app"
PREPARING = "Preparing Prefect's local database (first run only)..."
POLL_SECONDS = 0.5
GRACE_SECONDS = 10


class PrefectUnavailable(RuntimeError):
    """No Prefect API can be reached; the message says why and what to do, in one line."""


def configure(home: str | Path | None = None) -> None:
    """Keep Prefect offline, quiet, without its UI and inside the project, unless the environment says otherwise."""
    os.environ.setdefault("PREFECT_HOME", str(home or DEFAULT_HOME))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT_SECONDS))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(SELF.parent / "prefect_logging.yml"))
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)


def prepare(say: Callable[[str], object] = print) -> str:
    """Make Prefect ready to run a flow in this process and return its API URL; raises PrefectUnavailable."""
    return begin(say).wait()


class Starting:
    """A Prefect API on its way: `wait()` returns its URL once it answers (raises PrefectUnavailable)."""

    def __init__(self, url: str, process: subprocess.Popen | None = None, timeout: float = 0) -> None:
        self.url, self.process, self.timeout = url, process, timeout

    def wait(self) -> str:
        """The API's URL, once it answers."""
        if self.process is not None:
            _wait_until_healthy(self.url, self.process, self.timeout)
            self.process = None
        return self.url


def begin(say: Callable[[str], object] = print) -> Starting:
    """Start making Prefect ready and return at once: a temporary API boots in its own process meanwhile.

    In the usual case (no API configured, the local database already prepared for this Prefect) the temporary
    API is started before prefect is even imported here, so this process's imports overlap its start-up; in every
    other case this is `prepare()` as before.
    """
    configure()
    if _quick_start_possible():
        port = _free_port()
        url = f"http://127.0.0.1:{port}/api"
        process = _launch_temporary_api(port)
        os.environ["PREFECT_API_URL"] = url  # Prefect, imported after this, talks to that API
        return Starting(url, process, float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    return Starting(_prepare_slowly(say))


def _prepare_slowly(say: Callable[[str], object]) -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if url:
        check_api(url)
        return url
    install_lifeline()
    prepare_database(say)
    return start_temporary_api()


def _active_profile() -> dict:
    """The settings of Prefect's active profile in PREFECT_HOME (empty when there is no profiles file)."""
    import tomllib

    path = Path(os.environ["PREFECT_HOME"]) / "profiles.toml"
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    name = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    return profiles.get("profiles", {}).get(name) or {}


def _quick_start_possible() -> bool:
    """Prefect not imported yet (its settings are read then), no API or database configured anywhere, and the
    local database prepared for this Prefect."""
    from importlib.metadata import version

    if "prefect" in sys.modules:
        return False

    configured = ("PREFECT_API_URL", "PREFECT_SERVER_DATABASE", "PREFECT_API_DATABASE")
    configured += ("PREFECT_SERVER_EPHEMERAL_ENABLED",)
    if any(k.startswith(configured) for k in [*os.environ, *_active_profile()]):
        return False
    database = Path(os.environ["PREFECT_HOME"]) / "prefect.db"
    marker = database.with_name(f"{database.name}.prepared")
    return _prepared(database, marker, f"prefect {version('prefect')}\n")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch_temporary_api(port: int) -> subprocess.Popen:
    """Prefect's temporary API (the command Prefect's own SubprocessASGIServer runs), on a lifeline to us."""
    import atexit
    from importlib.util import find_spec

    prefect_dir = Path(find_spec("prefect").origin).parent
    environment = {
        **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_dir.parent), "--factory", SERVER_APP]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    process = LifelinePopen(command, env=environment)
    atexit.register(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise PrefectUnavailable(
                    f"Prefect's temporary API exited with code {process.returncode} while starting; start a server "
                    "with `prefect server start`, set PREFECT_API_URL=http://127.0.0.1:4200/api and try again."
                )
            try:
                if client.get(f"{url}/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    _stop(process)
    raise PrefectUnavailable(
        f"Prefect's temporary API did not answer within {timeout:.0f} s; start a server with `prefect server "
        "start`, set PREFECT_API_URL=http://127.0.0.1:4200/api and try again."
    )


def check_api(url: str) -> None:
    """Raise PrefectUnavailable when nothing listens at this Prefect API URL."""
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=httpx.Timeout(60, connect=10))
    except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
        pass  # something is listening: a busy server is for Prefect's client to wait for
    except httpx.HTTPError as error:
        raise PrefectUnavailable(
            f"No Prefect API answers at {url} ({type(error).__name__}): start that server, or "
            "unset PREFECT_API_URL to use a temporary local one."
        ) from error


def start_temporary_api() -> str:
    """Start Prefect's temporary local API, the one its clients in this process then use, and return its URL."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    ephemeral = get_current_settings().server.ephemeral
    if not ephemeral.enabled:
        raise PrefectUnavailable(
            "No Prefect API: PREFECT_API_URL is not set and the temporary one is switched off "
            "(PREFECT_SERVER_EPHEMERAL_ENABLED); set PREFECT_API_URL to a running server's API."
        )
    server = SubprocessASGIServer()  # Prefect's clients look up this same instance (no port given)
    try:
        server.start(timeout=ephemeral.startup_timeout_seconds)
    except Exception as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise PrefectUnavailable(
            f"Prefect's temporary API did not start ({reason}); start a server with `prefect server start`, "
            "set PREFECT_API_URL=http://127.0.0.1:4200/api and try again."
        ) from error
    return server.api_url


def database_file() -> Path | None:
    """Prefect's local SQLite database file, or None when Prefect is set up with a database server."""
    from prefect.settings import get_current_settings
    from sqlalchemy.engine import make_url

    secret = get_current_settings().server.database.connection_url
    url = make_url(secret.get_secret_value()) if secret else None
    if url is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


def prepare_database(say: Callable[[str], object] = print) -> bool:
    """Migrate Prefect's local SQLite database once per Prefect version, saying so first; True when it did."""
    import prefect

    database = database_file()
    if database is None:
        return False  # a database server: Prefect's API migrates it when it starts, as usual
    marker = database.with_name(f"{database.name}.prepared")
    expected = f"prefect {prefect.__version__}\n"
    if _prepared(database, marker, expected):
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    with marker.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one process migrates; the others wait, then find it done
        if _prepared(database, marker, expected):
            return False
        say(PREPARING)
        try:
            _migrate()
        except Exception as error:
            raise PrefectUnavailable(
                f"Prefect's local database {database} could not be prepared ({error}); move it aside to start "
                "afresh, or set PREFECT_API_URL to a running server's API."
            ) from error
        handle.truncate(0)
        handle.write(expected)
    return True


def _prepared(database: Path, marker: Path, expected: str) -> bool:
    return database.exists() and marker.exists() and marker.read_text() == expected


def _migrate() -> None:
    """Bring the database to this Prefect's schema in this process, where no start-up time limit applies."""
    import asyncio

    from prefect.server.database import provide_database_interface

    async def upgrade() -> None:
        database = provide_database_interface()
        await database.create_db()
        await (await database.engine()).dispose()  # its connections belong to this short-lived event loop

    asyncio.run(upgrade())


def lifeline(args: list[str | os.PathLike]) -> list[str]:
    """The command line that runs [python, '-m', module, ...] or [python, script, ...] on a lifeline to this process."""
    python, *rest = map(os.fspath, args)
    return [python, str(SELF), str(os.getpid()), *rest]


class LifelinePopen(subprocess.Popen):
    """A Python child process that ends itself, and its process group if it leads one, once this process is gone."""

    def __init__(self, args: list[str | os.PathLike], *more, **kwargs) -> None:
        super().__init__(lifeline(args), *more, **kwargs)


def install_lifeline() -> None:
    """Put every temporary Prefect API this process starts on a lifeline; Prefect's installed files stay as they are."""
    from prefect.server.api import server

    if server.subprocess.Popen is not LifelinePopen:
        # SubprocessASGIServer builds its uvicorn command itself: giving its module a `subprocess` whose Popen adds
        # the lifeline wraps whatever that command holds, and leaves every other user of subprocess alone.
        patched = types.ModuleType("subprocess")
        patched.__dict__.update(vars(subprocess))
        patched.Popen = LifelinePopen
        server.subprocess = patched


def leftover_servers(prefect_home: str | Path | None = None) -> list[dict]:
    """Temporary Prefect APIs of this Prefect home whose starter died: pid, port, prefect_home, started, memory_mb."""
    import psutil

    home = _resolved(prefect_home or os.environ.get("PREFECT_HOME") or DEFAULT_HOME)
    found = []
    for process in psutil.process_iter(["ppid", "cmdline", "status", "create_time", "memory_info"]):
        info = process.info
        command = info["cmdline"] or []
        if SERVER_APP not in command or info["status"] == psutil.STATUS_ZOMBIE or not _orphaned(info["ppid"], command):
            continue
        try:
            environment = process.environ()
        except psutil.Error:
            continue  # gone meanwhile, or another user's: not ours to report
        if _resolved(environment.get("PREFECT_HOME", "~/.prefect")) == home:
            found.append(
                {
                    "pid": process.pid,
                    "port": _port(command),
                    "prefect_home": str(home),
                    "started": dt.datetime.fromtimestamp(info["create_time"], dt.UTC),
                    "memory_mb": round(info["memory_info"].rss / 2**20) if info["memory_info"] else None,
                }
            )
    return found


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _orphaned(ppid: int | None, command: list[str]) -> bool:
    """Whether a server's starter is gone: its recorded parent is no longer its parent, or init has adopted it."""
    recorded = _recorded_parent(command)
    return ppid != recorded if recorded else ppid == 1


def _recorded_parent(command: list[str]) -> int | None:
    """The parent a lifeline command line names (see `lifeline`)."""
    if len(command) > 2 and Path(command[1]).name == SELF.name and command[2].isdigit():
        return int(command[2])
    return None


def _port(command: list[str]) -> int | None:
    return int(command[command.index("--port") + 1]) if "--port" in command[:-1] else None


def _live_on(parent: int, command: list[str]) -> None:
    """Run a Python command (`-m module ...` or `script ...`) in this process, until `parent` is gone."""
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()
    if command[0] == "-m":
        sys.argv = command[1:]
        sys.path[0] = os.getcwd()  # as `python -m` has it
        runpy.run_module(command[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = command
        sys.path[0] = str(Path(command[0]).resolve().parent)  # as `python script` has it
        runpy.run_path(command[0], run_name="__main__")


def follow(parent: int) -> None:
    """End this process once `parent` is gone (a worker process's initializer: no orphan outlives a killed run)."""
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()


def worker_pool(size: int, then: Callable[[], object] | None = None) -> ProcessPoolExecutor:
    """`size` worker processes, each a fresh interpreter that follows this process and first runs `then`, if given."""
    # spawn: never a fork of a process running Prefect's threads and event loop
    return ProcessPoolExecutor(
        max_workers=size,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_begin_worker,
        initargs=(os.getpid(), then),
    )


def _begin_worker(parent: int, then: Callable[[], object] | None) -> None:
    follow(parent)
    if then is not None:
        then()


def _watch(parent: int) -> None:
    """End this process (with its process group, if it leads one) once `parent` is no longer its parent."""
    # Polling getppid, not PR_SET_PDEATHSIG: that signal fires when the *thread* that forked us ends, and Prefect
    # may start its temporary API from any short-lived thread.
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    leads_group = os.getpgrp() == os.getpid()
    for sig in (signal.SIGTERM, signal.SIGKILL):  # a clean shutdown first
        if leads_group:
            os.killpg(os.getpid(), sig)
        else:
            os.kill(os.getpid(), sig)
        time.sleep(GRACE_SECONDS)


if __name__ == "__main__":
    _live_on(int(sys.argv[1]), sys.argv[2:])
