"""datapackage.json, the commit point of the warehouse, and the only code that writes it.

A reader who follows the manifest never sees a half-published inspection: new files are written under new
names first, the manifest is swapped in one atomic write, and only then are replaced files removed.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from flows.store.warehouse import ANNEXE, FILES, Warehouse, fault, parquet_bytes
from schemas.comparison_tables import COMPARISON_TABLES
from schemas.tables import SCHEMA_VERSION, TABLES

MANIFEST = "datapackage.json"
PENDING = ".pending"
PERIODS_PENDING = "periods_pending"
PARTITION = re.compile(r"/inspection_id=([^/]+)/")
NATIONAL = f"{FILES}/national"  # the national overviews, one folder a period (never an inspection's folder)
FILE_OWNER = re.compile(r"^annexe/files/(?!national/)([^/]+)/")
MEDIATYPES = {
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "md": "text/markdown",
    "json": "application/json",
}


class ManifestUnreadable(ValueError):
    """datapackage.json exists but is not a manifest this pipeline wrote."""


def empty() -> dict:
    """The manifest of a warehouse where nothing is published yet."""
    return {"profile": "data-package", "name": "probation-inspection-annexe", "resources": [], "inspections": {}}


def read(warehouse: Warehouse) -> dict:
    """The manifest as committed (an empty package before the first publication)."""
    if not warehouse.exists(MANIFEST):
        return empty()
    try:
        manifest = json.loads(warehouse.read_bytes(MANIFEST))
        if not isinstance(manifest.get("resources"), list) or not isinstance(manifest.get("inspections"), dict):
            raise ValueError("no resources list or inspections table")
        for entry in manifest["resources"]:  # written by schema 1.0 (Frictionless's own hash and bytes keys)
            if "hash" in entry and "sha256" not in entry:
                entry["sha256"], entry["size"] = entry.pop("hash").removeprefix("sha256:"), entry.pop("bytes")
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestUnreadable(
            f"{warehouse.path(MANIFEST)} cannot be read ({error}); the next `annexe run` "
            "sets it aside and republishes every inspection from the landing zone"
        ) from None
    return manifest


def set_aside_if_unreadable(warehouse: Warehouse) -> str | None:
    """Move an unreadable manifest aside (kept for inspection) so the run can rebuild; return where it went."""
    try:
        read(warehouse)
        return None
    except ManifestUnreadable:
        with warehouse.lock("manifest"):
            aside = f"{MANIFEST}.damaged-{uuid.uuid4().hex[:8]}"
            warehouse.write_atomic(aside, warehouse.read_bytes(MANIFEST))
            warehouse.remove(MANIFEST)
        return aside


def _write(warehouse: Warehouse, manifest: dict) -> bool:
    """Swap in a new manifest in one atomic write (the commit point); unchanged content is not rewritten."""
    manifest["resources"] = sorted(manifest["resources"], key=lambda r: r["path"])
    manifest["inspections"] = dict(sorted(manifest["inspections"].items()))
    return warehouse.write_if_changed(MANIFEST, (json.dumps(manifest, indent=2, default=str) + "\n").encode())


def schema_path(table: str) -> str:
    """Where a table's Frictionless schema lives (one file per table, referenced by every partition)."""
    return f"{ANNEXE}/schemas/{table}.json"


def partition_path(table: str, inspection_id: str, fingerprint: str) -> str:
    """Where one inspection's rows of a table live (hive style, named by input fingerprint)."""
    return f"{ANNEXE}/{table}/inspection_id={inspection_id}/part-{fingerprint[:16]}.parquet"


def resource_name(path: str) -> str:
    """A Frictionless resource name (lower-case, url-safe) for a path."""
    return path.replace("/", "-").replace("=", "-").replace(".", "-").replace("_", "-").lower()


def resource(path: str, data: bytes, **extra) -> dict:
    """A Frictionless resource entry for one published file."""
    fmt = path.rsplit(".", 1)[-1]
    return {
        "name": resource_name(path),
        "path": path,
        "format": fmt,
        "mediatype": MEDIATYPES.get(fmt, "application/octet-stream"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        **extra,
    }


def stage_files(
    warehouse: Warehouse,
    inspection_id: str,
    fingerprint: str,
    run_id: str,
    tables: dict[str, pl.DataFrame],
    annexe_files: dict[str, bytes],
) -> list[dict]:
    """Write an inspection's new files where no manifest reader looks yet; return their resource entries."""
    resources = []
    for table, frame in tables.items():
        data = parquet_bytes(frame.drop("inspection_id"))
        path = partition_path(table, inspection_id, fingerprint)
        warehouse.write_atomic(path, data)
        resources.append(
            resource(
                path,
                data,
                type="table",
                schema=schema_path(table),
                table=table,
                inspection_id=inspection_id,
                rows=frame.height,
                schema_version=SCHEMA_VERSION,
                run_id=run_id,
                fingerprint=fingerprint,
            )
        )
        fault("between_files")
    for name, data in annexe_files.items():
        # Listed at their pending path until finish() has copied them to their stable name.
        path = f"{FILES}/{inspection_id}/{PENDING}/{fingerprint[:16]}/{name}"
        warehouse.write_atomic(path, data)
        resources.append(
            resource(
                path, data, table="annexe_file", inspection_id=inspection_id, run_id=run_id, fingerprint=fingerprint
            )
        )
    return resources


@dataclass
class Publication:
    """One inspection's part of a commit: its new files, its new state, and which of its tables they replace."""

    inspection_id: str
    fingerprint: str
    state: dict
    resources: list[dict]
    replaces: set[str] | None = None  # None: every table of the inspection


def commit(warehouse: Warehouse, publications: list[Publication], touches: PeriodToucher | None = None) -> None:
    """Swap the manifest to the inspections' new files in one write (the commit point), then tidy up.

    Each inspection's new files appear to manifest readers all at once, never half of them. `touches`, when
    given, names the periods whose cross-inspection files the change makes out of date: they are added to the
    manifest's `periods_pending`, which `commit_periods` clears once it has restaged them (once a run, not once a
    batch: a period's figures and overview are computed from all its inspections).
    """
    fault("before_swap")
    with warehouse.lock("manifest"):
        before = read(warehouse)
        # A copy of the two containers this commit changes; entries are replaced, never changed in place.
        manifest = {**before, "resources": list(before["resources"]), "inspections": dict(before["inspections"])}
        by_id = {p.inspection_id: p for p in publications}

        def replaced(entry: dict) -> bool:
            publication = by_id.get(entry.get("inspection_id"))
            return publication is not None and (
                publication.replaces is None or entry.get("table") in publication.replaces
            )

        manifest["resources"] = [r for r in manifest["resources"] if not replaced(r)]
        for p in publications:
            manifest["resources"] += p.resources
            # "pending" names the fingerprint whose annexe files still wait in .pending/ until finish().
            manifest["inspections"][p.inspection_id] = {
                **manifest["inspections"].get(p.inspection_id, {}),
                **p.state,
                "pending": p.fingerprint,
            }
        touched = touches(before, manifest) if touches else set()
        if touched:
            manifest[PERIODS_PENDING] = sorted(set(before.get(PERIODS_PENDING) or []) | touched)
        _write(warehouse, manifest)
    fault("after_swap")
    finish(warehouse, list(by_id))


def periods_pending(state: dict) -> list[str]:
    """Periods whose cross-inspection files a commit has made out of date and no run has restaged yet."""
    return list(state.get(PERIODS_PENDING) or [])


def commit_periods(warehouse: Warehouse, stage: PeriodStager) -> list[str]:
    """Restage every pending period from the manifest as committed and swap them in by one write; return them.

    Under the manifest lock throughout: no commit can change a period's inspections between its reading and
    the swap, and every write of a period's files is made under it.
    """
    with warehouse.lock("manifest"):
        manifest = read(warehouse)
        pending = periods_pending(manifest)
        if not pending:
            return []
        staged = stage(manifest, pending)
        for p in staged:
            manifest["resources"] = [r for r in manifest["resources"] if r.get("period") != p.period] + p.resources
        manifest.pop(PERIODS_PENDING, None)
        _write(warehouse, manifest)
        fault("after_period_swap")
        finish_periods(warehouse, [p.period for p in staged])
    return pending


def record(
    warehouse: Warehouse, resources: list[dict], package: dict | None = None, holding_lock: bool = False
) -> None:
    """List files that belong to no inspection (ledger, dictionary, index page, schemas), replacing their old
    entries, and set the package's own properties (title, licences, sources)."""
    if not holding_lock:
        with warehouse.lock("manifest"):
            return record(warehouse, resources, package, holding_lock=True)
    manifest = read(warehouse)
    paths = {r["path"] for r in resources}
    # An entry {"path": ..., "drop": True} takes a file off the list (a placeholder no longer needed).
    manifest["resources"] = [r for r in manifest["resources"] if r["path"] not in paths] + [
        r for r in resources if not r.get("drop")
    ]
    _write(warehouse, {**manifest, **(package or {})})


@dataclass
class PeriodPublication:
    """One period's part of a commit: every file of its cross-inspection tables and overview (none: all go)."""

    period: str
    resources: list[dict]


# Called under the manifest lock with the manifest before and after the inspections' part of a commit; returns
# the periods whose cross-inspection files that change makes out of date (flows/stages/periods.py).
PeriodToucher = Callable[[dict, dict], set[str]]
# Called under the manifest lock with the manifest and its pending periods; returns each period's new files,
# already written under new names (flows/stages/periods.py).
PeriodStager = Callable[[dict, list[str]], list[PeriodPublication]]


def period_folders(period: str) -> list[str]:
    """Every folder holding a period's files: its partition of each comparison table and its overview."""
    return [f"{ANNEXE}/{table}/period={period}" for table in COMPARISON_TABLES] + [f"{NATIONAL}/{period}"]


def finish_periods(warehouse: Warehouse, periods: list[str]) -> None:
    """Put periods' pending overview files at their stable names, then delete their unlisted files.

    Called holding the manifest lock (every write of a period's files is made under it, so no other run can
    stage a newer version between the listing and the deletions); every step can be repeated.
    """
    manifest = read(warehouse)
    moved = False
    for entry in manifest["resources"]:
        if entry.get("period") in periods and f"/{PENDING}/" in entry["path"]:
            stable = re.sub(rf"/{re.escape(PENDING)}/[^/]+/", "/", entry["path"])
            warehouse.write_atomic(stable, warehouse.read_bytes(entry["path"]))
            entry["path"], entry["name"], moved = stable, resource_name(stable), True
    if moved:
        _write(warehouse, manifest)
    listed = {entry["path"] for entry in manifest["resources"]}
    for period in periods:
        for folder in period_folders(period):
            for path in warehouse.list_files(folder):
                if path not in listed:
                    warehouse.remove(path)
        warehouse.remove(f"{NATIONAL}/{period}/{PENDING}")


def heal_periods(warehouse: Warehouse) -> list[str]:
    """Finish or roll back the period files a crash interrupted; return the periods healed."""
    with warehouse.lock("manifest"):
        manifest = read(warehouse)
        listed = {entry["path"] for entry in manifest["resources"]}
        broken = {e["period"] for e in manifest["resources"] if e.get("period") and f"/{PENDING}/" in e["path"]}
        for table in COMPARISON_TABLES:
            broken |= {p.split("period=", 1)[1].split("/", 1)[0]
                       for p in warehouse.list_files(f"{ANNEXE}/{table}") if p not in listed}  # fmt: skip
        broken |= {p.split("/")[3] for p in warehouse.list_files(NATIONAL) if p not in listed and p.count("/") > 3}
        if broken:
            finish_periods(warehouse, sorted(broken))
    return sorted(broken)


def finish(warehouse: Warehouse, inspection_ids: list[str]) -> None:
    """Complete committed publications: put annexe files at their stable names, then delete what is not listed.

    Every step can be repeated, so a crash part-way is healed by running this again.
    """
    manifest = read(warehouse)
    prefixes = {
        i: f"{FILES}/{i}/{PENDING}/{manifest['inspections'][i]['pending'][:16]}/"
        for i in inspection_ids
        if (manifest["inspections"].get(i) or {}).get("pending")
    }
    if prefixes:
        for entry in manifest["resources"]:
            prefix = prefixes.get(entry.get("inspection_id"))
            if prefix and entry["path"].startswith(prefix):
                stable = f"{FILES}/{entry['inspection_id']}/"
                warehouse.write_atomic(entry["path"].replace(prefix, stable), warehouse.read_bytes(entry["path"]))
        with warehouse.lock("manifest"):
            manifest = read(warehouse)
            for entry in manifest["resources"]:
                prefix = prefixes.get(entry.get("inspection_id"))
                if prefix and entry["path"].startswith(prefix):
                    entry["path"] = entry["path"].replace(prefix, f"{FILES}/{entry['inspection_id']}/")
                    entry["name"] = resource_name(entry["path"])
            for inspection_id in prefixes:
                manifest["inspections"][inspection_id].pop("pending", None)
            _write(warehouse, manifest)
    listed = defaultdict(set)
    for entry in manifest["resources"]:
        listed[entry.get("inspection_id")].add(entry["path"])
    for inspection_id in inspection_ids:
        remove_orphans(warehouse, inspection_id, listed[inspection_id])


def remove_orphans(warehouse: Warehouse, inspection_id: str, listed: set[str]) -> None:
    """Delete an inspection's files that the manifest does not list (left by a crash or a replaced version)."""
    folders = [f"{ANNEXE}/{table}/inspection_id={inspection_id}" for table in TABLES]
    for folder in folders:
        for path in warehouse.list_files(folder):
            if path not in listed:
                warehouse.remove(path)
    for path in warehouse.list_files(f"{FILES}/{inspection_id}"):
        if path not in listed:
            warehouse.remove(path)
    warehouse.remove(f"{FILES}/{inspection_id}/{PENDING}")


def _on_disk(warehouse: Warehouse) -> dict[str, int]:
    """Size of every file below the published tables and annexe files, by warehouse-relative path."""
    sizes = {}
    prefix = f"{warehouse.root}/"
    for folder in [f"{ANNEXE}/{table}" for table in TABLES] + [FILES]:
        base = warehouse.path(folder)
        if warehouse.fs.exists(base):
            for path, info in warehouse.fs.find(base, detail=True).items():
                sizes[path[len(prefix) :] if path.startswith(prefix) else path] = info["size"]
    return sizes


def inspect(warehouse: Warehouse, inspection_ids: list[str], state: dict | None = None) -> dict[str, list[str]]:
    """Inspections whose publication a crash interrupted, and those whose published files are damaged; read only.

    One listing of the published folders serves both: a file on disk that nobody lists is an interrupted
    publication; a listed file that is missing or of the wrong size is damage. Same-size damage is found by
    `annexe verify`, which hashes every file.
    """
    manifest = read(warehouse) if state is None else state
    listed = defaultdict(set)
    damaged = set()
    sizes = _on_disk(warehouse)
    for entry in manifest["resources"]:
        owner = entry.get("inspection_id")
        listed[owner].add(entry["path"])
        if owner is not None and sizes.get(entry["path"]) != entry["size"] and PENDING not in entry["path"]:
            damaged.add(owner)
    on_disk = defaultdict(set)
    for path in sizes:
        match = PARTITION.search(path) or FILE_OWNER.search(path)
        if match:
            on_disk[match.group(1)].add(path)
    interrupted = [
        i for i in inspection_ids if (manifest["inspections"].get(i) or {}).get("pending") or on_disk[i] - listed[i]
    ]
    return {"interrupted": interrupted, "damaged": sorted(damaged & set(inspection_ids))}


def heal(warehouse: Warehouse, inspection_ids: list[str]) -> dict[str, list[str]]:
    """Finish or roll back publications a crash interrupted; return them and the inspections found damaged.

    Periods' cross-inspection files are finished or rolled back first (heal_periods).
    """
    periods = heal_periods(warehouse)
    found = inspect(warehouse, inspection_ids)
    if found["interrupted"]:
        with warehouse.locks([f"inspection-{i}" for i in found["interrupted"]]):
            finish(warehouse, found["interrupted"])
    return {"finished": found["interrupted"], "damaged": found["damaged"], "periods_finished": periods}


def shared_files_damaged(warehouse: Warehouse, state: dict | None = None) -> bool:
    """Whether a listed file of no inspection (index page, dictionary, ledger) is missing or of the wrong size."""
    for entry in (read(warehouse) if state is None else state)["resources"]:
        if entry.get("inspection_id") is None and entry.get("period") is None:  # periods: see verify._repair
            try:
                if warehouse.fs.size(warehouse.path(entry["path"])) != entry["size"]:
                    return True
            except FileNotFoundError:
                return True
    return False
