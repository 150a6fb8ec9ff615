"""Test settings: Prefect offline, quiet and inside the project; one temporary Prefect API per session."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from flows import prefect_runtime

PROJECT = Path(__file__).resolve().parent.parent
prefect_runtime.configure(PROJECT / ".prefect" / "tests")  # before any test module imports prefect
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

LANDING = PROJECT / "data" / "landing"
SAMPLES = sorted(p.name for p in LANDING.iterdir() if p.is_dir())


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect API shared by every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    prefect_runtime.install_lifeline()
    # None: configure()'s generous start-up limit, as the harness migrates a new database while its API starts.
    with prefect_test_harness(server_startup_timeout=None):
        yield


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """A private copy of the bundled landing zone, free to break."""
    target = tmp_path / "landing"
    shutil.copytree(LANDING, target)
    return target


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file below a folder, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


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
    result = CliRunner().invoke(
        app,
        ["run", "--landing", str(landing), "--warehouse", str(root / "warehouse"), "--no-progress"],
        env={"COLUMNS": "250"},
    )
    return {"result": result, "landing": landing, "warehouse": root / "warehouse", "broken": broken, "before": before}
