"""A warehouse that checks itself: every listed file as listed, nothing unlisted, nothing left behind."""

from __future__ import annotations

import hashlib
import json

from flows.store import manifest
from flows.store.ledger import LEDGER
from flows.store.locks import DEFAULT_STALE_SECONDS, is_stale
from flows.store.staging import OWNER, STAGING
from flows.store.warehouse import ANNEXE, Warehouse

REPAIR_BY_RUN = "run `annexe run` (it republishes damaged inspections from the landing zone)"


def _finding(kind: str, path: str, detail: str, repair: str) -> dict:
    return {"kind": kind, "path": path, "detail": detail, "repair": repair}


def _listed(warehouse: Warehouse, state: dict) -> list[dict]:
    """Every listed file present, of the listed size and sha256."""
    found = []
    for entry in state["resources"]:
        path = entry["path"]
        try:
            data = warehouse.read_bytes(path)
        except FileNotFoundError:
            found.append(_finding("missing", path, "listed in the manifest but not on disk", _repair(entry)))
            continue
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            found.append(
                _finding(
                    "damaged",
                    path,
                    f"{len(data)} bytes on disk, {entry['size']} listed; checksum differs",
                    _repair(entry),
                )
            )
    return found


def _repair(entry: dict) -> str:
    """The command that repairs a listed file."""
    if entry.get("inspection_id"):
        return f"`annexe backfill {entry['inspection_id']} --force`"
    if entry.get("period"):  # rewritten whenever one of the period's inspections is republished
        start = int(entry["period"][:4])
        return f"`annexe backfill --fieldwork-from {start}-04-01 --fieldwork-to {start + 1}-03-31 --force`"
    return REPAIR_BY_RUN


def _leftovers(warehouse: Warehouse, listed: set[str]) -> list[dict]:
    """Files nobody lists, staging of runs that died, locks of holders that died, half-written files."""
    found = []
    for folder in (ANNEXE, LEDGER):
        for path in warehouse.list_files(folder):
            if ".tmp-" in path:
                found.append(_finding("temporary", path, "half-written file of a killed run", REPAIR_BY_RUN))
            elif path not in listed:
                found.append(_finding("unlisted", path, "on disk but not in the manifest", REPAIR_BY_RUN))
    for path in warehouse.glob("*.tmp-*"):
        found.append(_finding("temporary", path, "half-written file of a killed run", REPAIR_BY_RUN))
    for path in warehouse.glob(f"{STAGING}/*"):
        try:
            owner = json.loads(warehouse.read_bytes(f"{path}/{OWNER}"))
        except (FileNotFoundError, ValueError):
            owner = {}
        if not owner or is_stale(owner, DEFAULT_STALE_SECONDS):
            found.append(
                _finding("staging", path, "staging of a run that died (copies of case-level data)", REPAIR_BY_RUN)
            )
    for path in warehouse.glob("_locks/*.lock"):
        try:
            holder = json.loads(warehouse.read_bytes(path))
        except (FileNotFoundError, ValueError):
            holder = {}
        if not holder or is_stale(holder, DEFAULT_STALE_SECONDS):
            found.append(_finding("lock", path, "lock of a holder that died", "the next run breaks it"))
    return found


def verify(warehouse_url: str) -> list[dict]:
    """Every problem with the warehouse (kind, path, detail, repair); none when it is sound."""
    warehouse = Warehouse(warehouse_url)
    if not warehouse.exists(manifest.MANIFEST) and not warehouse.exists(ANNEXE):
        return [
            _finding(
                "empty",
                warehouse.path(""),
                "no warehouse here: nothing has been published",
                "check --warehouse, or run `annexe run`",
            )
        ]
    try:
        state = manifest.read(warehouse)
    except manifest.ManifestUnreadable as error:
        return [_finding("manifest", manifest.MANIFEST, str(error), REPAIR_BY_RUN)]
    listed = {entry["path"] for entry in state["resources"]}
    return _listed(warehouse, state) + _leftovers(warehouse, listed)
