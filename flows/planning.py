"""Which inspections a run should process: new or changed inputs, or those a backfill asks for."""

from __future__ import annotations

import datetime as dt

import json

from flows.landing import discover, inspection_fingerprint
from flows.locks import DEFAULT_STALE_SECONDS, holder, is_stale
from flows.warehouse import Warehouse, heal

STAGING = "_staging"


def claim_staging(warehouse_url: str, run_id: str) -> str:
    """Mark a run's staging folder as this live process's, so other runs leave it alone."""
    warehouse = Warehouse(warehouse_url)
    warehouse.write_atomic(f"{STAGING}/{run_id}/owner.json", json.dumps(holder()).encode())
    return f"{STAGING}/{run_id}"


def clear_abandoned_staging(warehouse: Warehouse) -> list[str]:
    """Delete staging left by crashed runs (it holds copies of case-level data); return the run ids cleared."""
    if not warehouse.exists(STAGING):
        return []
    cleared = []
    for entry in warehouse.fs.ls(warehouse.path(STAGING), detail=True):
        run_id = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        owner = f"{STAGING}/{run_id}/owner.json"
        alive = warehouse.exists(owner) and not is_stale(json.loads(warehouse.read_bytes(owner)),
                                                         DEFAULT_STALE_SECONDS)
        if not alive:
            warehouse.remove(f"{STAGING}/{run_id}")
            cleared.append(run_id)
    return cleared


def plan(landing: str, warehouse_url: str, frameworks_dir: str, inspection_ids: list[str] | None = None,
         fieldwork_from: dt.date | None = None, fieldwork_to: dt.date | None = None, force: bool = False,
         framework_override: str | None = None) -> dict:
    """Inspections to process and those left as they are, with the reason for each."""
    warehouse = Warehouse(warehouse_url)
    clear_abandoned_staging(warehouse)
    found = discover(landing)
    heal(warehouse, sorted(set(found) | set(warehouse.read_manifest()["inspections"])))
    published = warehouse.read_manifest()["inspections"]
    wanted = found if inspection_ids is None else [i for i in inspection_ids if i in found]
    missing = [] if inspection_ids is None else [i for i in inspection_ids if i not in found]
    to_process, unchanged, out_of_range = [], [], []
    for inspection_id in wanted:
        fingerprint, manifest = inspection_fingerprint(landing, inspection_id, frameworks_dir, framework_override)
        start = (manifest or {}).get("fieldwork_start")
        if (fieldwork_from or fieldwork_to) and isinstance(start, dt.date):
            if (fieldwork_from and start < fieldwork_from) or (fieldwork_to and start > fieldwork_to):
                out_of_range.append(inspection_id)
                continue
        state = published.get(inspection_id, {})
        rejected = state.get("rejected_fingerprint")
        if not force and fingerprint == (rejected or state.get("fingerprint")):
            unchanged.append(inspection_id)
        else:
            to_process.append(inspection_id)
    still_rejected = [i for i in unchanged if published[i].get("rejected_fingerprint")]
    return {"process": to_process, "unchanged": unchanged, "out_of_range": out_of_range, "missing": missing,
            "still_rejected": still_rejected}


def batches(inspection_ids: list[str], batch_size: int) -> list[list[str]]:
    """Split inspections into batches of at most batch_size."""
    size = max(1, batch_size)
    return [inspection_ids[i:i + size] for i in range(0, len(inspection_ids), size)]
