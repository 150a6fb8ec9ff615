"""A warehouse built from the bundled landing zone by running the stages without Prefect, shared by these tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.config import DEFAULT_FRAMEWORKS, PROJECT, settings
from flows.stages.aggregate import aggregate
from flows.stages.finalize import finalize
from flows.stages.gate import gate
from flows.stages.ingest import ingest
from flows.stages.national import national
from flows.stages.periods import refresh
from flows.stages.publish import publish
from flows.stages.validate import validate
from flows.store import staging

REPORT = PROJECT / "data" / "reference" / "dyfed-powys-pdu-2025.txt"
INSPECTION = "dyfed-powys-2025"


def build_warehouse(landing: Path, warehouse: Path, ids: list[str]) -> list[dict]:
    """Run every stage over the given inspections of a landing zone; return the outcomes."""
    config = settings(landing=str(landing), warehouse=str(warehouse))
    [folder] = staging.batch_folders(staging.claim(config.warehouse, "run-1"), 1)
    ingest(config.landing, config.warehouse, folder, ids, DEFAULT_FRAMEWORKS)
    validate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
    aggregate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.suppression_threshold)
    gate(config.warehouse, [folder], DEFAULT_FRAMEWORKS)
    national(config.warehouse, [folder])
    publish(config.warehouse, folder, "run-1", DEFAULT_FRAMEWORKS, config.publication)
    refresh(config.warehouse, "run-1", DEFAULT_FRAMEWORKS, config.publication)
    return finalize(config.warehouse, [folder], "run-1", "manual", dt.datetime.now(dt.UTC), config.publication)


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
