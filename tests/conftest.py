"""Test settings: Prefect offline, quiet and inside the project; one temporary Prefect API per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(PROJECT / ".prefect" / "tests"))
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
