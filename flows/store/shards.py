"""The manifest's per-inspection shards: what a commit writes, so that its cost does not grow with the warehouse.

Each published (or rejected) inspection has one shard, `manifest/inspections/<id>.json`, holding its state and
the entries of its files: the commit point of that inspection. A marker in `manifest/unconsolidated/` names each
inspection committed since datapackage.json was last rebuilt from the shards (once a run, manifest.consolidate),
and keeps where datapackage.json placed it before, so that the rebuild never reads datapackage.json whole.
`manifest/package.json` is datapackage.json without any inspection's part, stamped with the size and time of the
datapackage.json it was written with, so that a plan reads a few small files, never the whole manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flows.store.warehouse import Warehouse

FOLDER = "manifest"
SHARDS = f"{FOLDER}/inspections"
MARKERS = f"{FOLDER}/unconsolidated"
PACKAGE = f"{FOLDER}/package.json"


def shard_path(inspection_id: str) -> str:
    """Where an inspection's shard lives (inspection ids are checked against the contract's pattern on discovery)."""
    return f"{SHARDS}/{inspection_id}.json"


def marker_path(inspection_id: str) -> str:
    """Where the marker of an inspection committed since datapackage.json was last rebuilt lives."""
    return f"{MARKERS}/{inspection_id}.json"


def _load(warehouse: Warehouse, path: str) -> dict | None:
    """A small JSON object this module wrote, or None when it is missing or unreadable."""
    try:
        return _parsed(warehouse.read_bytes(path))
    except FileNotFoundError:
        return None


def _parsed(data: bytes | None) -> dict | None:
    """A JSON object from its bytes, or None when they are missing or not one."""
    try:
        found = json.loads(data) if data is not None else None
    except (ValueError, UnicodeDecodeError):
        return None
    return found if isinstance(found, dict) else None


def _shard(found: dict | None) -> dict | None:
    """A shard as read, or None when it is not one (damaged)."""
    if found is None or not isinstance(found.get("state"), dict) or not isinstance(found.get("resources"), list):
        return None
    return found


def read_shard(warehouse: Warehouse, inspection_id: str) -> dict | None:
    """An inspection's state and file entries ({"state", "resources"}); None when it has none (or it is damaged)."""
    return _shard(_load(warehouse, shard_path(inspection_id)))


def read_many(warehouse: Warehouse, inspection_ids: list[str], chunk: int = 200) -> Iterator[tuple[str, dict | None]]:
    """Inspections' shards in the order given, `chunk` at a time (fetched together on object storage)."""
    for start in range(0, len(inspection_ids), chunk):
        part = inspection_ids[start : start + chunk]
        found = warehouse.read_many([shard_path(i) for i in part])
        for inspection_id in part:
            yield inspection_id, _shard(_parsed(found.get(shard_path(inspection_id))))


def write_shard(warehouse: Warehouse, inspection_id: str, state: dict, resources: list[dict]) -> None:
    """Swap in an inspection's new shard in one atomic write."""
    shard = {"state": state, "resources": sorted(resources, key=lambda r: r["path"])}
    warehouse.write_atomic(shard_path(inspection_id), json.dumps(shard, default=str).encode())


def ids(warehouse: Warehouse) -> list[str]:
    """Every inspection with a shard, in the order of their files' paths (`<id>/` sorts before `<id>-2/`)."""
    found = [p.rsplit("/", 1)[1].removesuffix(".json") for p in warehouse.list_files(SHARDS) if p.endswith(".json")]
    return sorted(found, key=lambda inspection_id: inspection_id + "/")


def all_shards(warehouse: Warehouse) -> dict[str, dict]:
    """Every inspection's shard (a repair reads them all; a run never needs to)."""
    return {i: shard for i, shard in read_many(warehouse, ids(warehouse)) if shard is not None}


def markers(warehouse: Warehouse) -> list[str]:
    """Inspections committed since datapackage.json was last rebuilt."""
    return sorted(
        p.rsplit("/", 1)[1].removesuffix(".json") for p in warehouse.list_files(MARKERS) if p.endswith(".json")
    )


def mark(warehouse: Warehouse, inspection_id: str, touches_periods: bool, listed: dict | None) -> None:
    """Name an inspection as committed; `touches_periods`: its tables changed (not only its quarantine).

    The first commit since the last rebuild keeps `listed`, where datapackage.json still places the inspection
    (None: it does not list it), so that the rebuild knows which periods move without reading datapackage.json.
    """
    path = marker_path(inspection_id)
    found = _load(warehouse, path)
    # an unreadable marker is older than this commit: where datapackage.json places the inspection is lost
    kept = found if found is not None else ({"touches_periods": True} if warehouse.exists(path) else {"listed": listed})
    marker = {**kept, "touches_periods": bool(touches_periods or kept.get("touches_periods"))}
    if marker != found:
        warehouse.write_atomic(path, json.dumps(marker, default=str).encode())


def read_marker(warehouse: Warehouse, inspection_id: str) -> dict:
    """An inspection's marker: `touches_periods`, whether its commits since the last rebuild changed its tables,
    and `listed`, where datapackage.json placed it before them (absent when not kept). An unreadable marker
    says its tables changed and keeps no place."""
    return _load(warehouse, marker_path(inspection_id)) or {"touches_periods": True}


def unmark(warehouse: Warehouse, inspection_id: str) -> None:
    """Clear an inspection's marker once datapackage.json lists its shard."""
    warehouse.remove(marker_path(inspection_id))


def read_package(warehouse: Warehouse, manifest_name: str) -> dict | None:
    """datapackage.json without inspections, when it was written with the datapackage.json now there (else None)."""
    package = _load(warehouse, PACKAGE)
    if package is None or not isinstance(package.get("resources"), list):
        return None
    return package if package.get("root") == stamp(warehouse, manifest_name) else None


def stamp(warehouse: Warehouse, path: str) -> list | None:
    """A file's size and modification time (any change to it, by this pipeline or anyone, changes them)."""
    try:
        info = warehouse.fs.info(warehouse.path(path))
    except FileNotFoundError:
        return None
    return [info["size"], str(info.get("mtime") or info.get("LastModified") or info.get("ETag"))]


def write_later(warehouse: Warehouse, package: dict, entries: list[dict]) -> None:
    """List files of no inspection in the package part only, until datapackage.json is next rewritten (`later`)."""
    later = {r["path"]: r for r in package.get("later", [])} | {r["path"]: r for r in entries}
    resources = [r for r in package["resources"] if r["path"] not in later] + list(later.values())
    package = {**package, "resources": sorted(resources, key=lambda r: r["path"])}
    package["later"] = sorted(later.values(), key=lambda r: r["path"])
    warehouse.write_if_changed(PACKAGE, (json.dumps(package, indent=1, default=str) + "\n").encode())


def write_package(warehouse: Warehouse, package: dict, manifest_name: str) -> None:
    """Write datapackage.json's part that belongs to no inspection, stamped with the datapackage.json written."""
    package = {**package, "root": stamp(warehouse, manifest_name)}
    warehouse.write_if_changed(PACKAGE, (json.dumps(package, indent=1, default=str) + "\n").encode())
