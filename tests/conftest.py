"""Test settings: Prefect offline, quiet and inside the project; one temporary Prefect API per session."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(PROJECT / ".prefect" / "tests"))
os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

LANDING = PROJECT / "data" / "landing"
SAMPLES = sorted(p.name for p in LANDING.iterdir() if p.is_dir())


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect API shared by every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """A private copy of the bundled landing zone, free to break."""
    target = tmp_path / "landing"
    shutil.copytree(LANDING, target)
    return target


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file below a folder, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def broken_run(prefect_api, tmp_path_factory):
    """One `annexe run` over the five samples plus one inspection per kind of breakage, shared by the suite."""
    from typer.testing import CliRunner

    from flows.cli import app
    from tests.broken import BREAKAGES, make_broken

    root = tmp_path_factory.mktemp("broken-run")
    landing = root / "landing"
    shutil.copytree(LANDING, landing)
    broken = {b.name: make_broken(landing, b) for b in BREAKAGES}
    before = tree_hashes(landing)
    result = CliRunner().invoke(app, ["run", "--landing", str(landing), "--warehouse", str(root / "warehouse"),
                                      "--no-progress"], env={"COLUMNS": "250"})
    return {"result": result, "landing": landing, "warehouse": root / "warehouse", "broken": broken,
            "before": before}
