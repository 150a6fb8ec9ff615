"""Every stage over one batch, as the flow runs them but without Prefect: shared by the stage tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages.aggregate import aggregate
from flows.stages.finalize import finalize
from flows.stages.gate import gate
from flows.stages.ingest import ingest
from flows.stages.national import national
from flows.stages.periods import refresh, touches
from flows.stages.publish import publish
from flows.stages.validate import validate
from flows.store import manifest, staging
from flows.store.warehouse import Warehouse


def run_stages(landing: Path, warehouse: Path, ids: list[str], run_id: str = "run-1", periods: bool = True) -> list:
    """Run every stage over the inspections; return the outcomes (none when `periods` is False: a run that died
    before restaging its periods)."""
    config = settings(landing=str(landing), warehouse=str(warehouse))
    [folder] = staging.batch_folders(staging.claim(config.warehouse, run_id), 1)
    manifest.heal(Warehouse(config.warehouse), ids, touches(Warehouse(config.warehouse)))
    ingest(config.landing, config.warehouse, folder, ids, DEFAULT_FRAMEWORKS)
    validate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
    aggregate(config.warehouse, folder, DEFAULT_FRAMEWORKS, config.suppression_threshold)
    gate(config.warehouse, [folder], DEFAULT_FRAMEWORKS)
    national(config.warehouse, [folder])
    publish(config.warehouse, folder, run_id, DEFAULT_FRAMEWORKS, config.publication)
    if not periods:
        return []
    refresh(config.warehouse, run_id, DEFAULT_FRAMEWORKS, config.publication)
    return finalize(config.warehouse, [folder], run_id, "manual", dt.datetime.now(dt.UTC), config.publication)
