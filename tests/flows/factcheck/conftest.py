"""A warehouse built from the bundled landing zone by running the stages without Prefect, shared by these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.config import PROJECT
from tests.stages import run_stages

REPORT = PROJECT / "data" / "reference" / "dyfed-powys-pdu-2025.txt"
INSPECTION = "dyfed-powys-2025"


def build_warehouse(landing: Path, warehouse: Path, ids: list[str]) -> list[dict]:
    """Run every stage over the given inspections of a landing zone; return the outcomes."""
    return run_stages(landing, warehouse, ids)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> str:
    """The Dyfed Powys sample published to a fresh warehouse."""
    root = tmp_path_factory.mktemp("factcheck")
    outcomes = build_warehouse(PROJECT / "data" / "landing", root / "warehouse", [INSPECTION])
    assert [o["outcome"] for o in outcomes] == ["published"], outcomes
    return str(root / "warehouse")


@pytest.fixture(scope="session")
def report_text() -> str:
    """The seed report's text."""
    return REPORT.read_text(encoding="utf-8")
