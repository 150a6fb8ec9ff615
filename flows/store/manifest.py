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
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from flows.store import rebuild, shards
from flows.store.rebuild import json_chunks
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


def _read_root(warehouse: Warehouse) -> dict:
    """datapackage.json as last rebuilt, with the files idle runs listed since (an empty package before the first
    publication)."""
    if not warehouse.exists(MANIFEST):
        return empty()
    manifest = _parse_root(warehouse)
    later = (read_package(warehouse) or {}).get("later")
    if later:
        paths = {r["path"] for r in later}
        manifest["resources"] = [r for r in manifest["resources"] if r["path"] not in paths] + later
    return manifest


def _parse_root(warehouse: Warehouse) -> dict:
    """datapackage.json as it is."""
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


def _overlay(manifest: dict, found: dict[str, dict | None]) -> dict:
    """The manifest with the given inspections' part replaced by their shards (None: the inspection has none)."""
    resources = [r for r in manifest["resources"] if r.get("inspection_id") not in found]
    inspections = {i: state for i, state in manifest["inspections"].items() if i not in found}
    for inspection_id, shard in found.items():
        if shard is not None:
            resources += shard["resources"]
            inspections[inspection_id] = shard["state"]
    return {**manifest, "resources": resources, "inspections": inspections}


def read(warehouse: Warehouse) -> dict:
    """The manifest as committed: datapackage.json with the shards of inspections committed since its rebuild."""
    root = _read_root(warehouse)
    waiting = shards.markers(warehouse)
    return _overlay(root, {i: shards.read_shard(warehouse, i) for i in waiting}) if waiting else root


def read_inspections(warehouse: Warehouse, inspection_ids: list[str], as_rebuilt: bool = False) -> dict:
    """The committed state and file entries of some inspections only, from their shards (a manifest's shape);
    `as_rebuilt`: as datapackage.json lists them."""
    found = _listing(warehouse, as_rebuilt) if as_rebuilt else lambda ids: shards.read_many(warehouse, ids)
    return _overlay({"resources": [], "inspections": {}}, dict(found(inspection_ids)))


def read_package(warehouse: Warehouse) -> dict | None:
    """datapackage.json's part that belongs to no inspection (shared and period files, pending periods), read
    without the whole manifest; None when it has to be rebuilt first (see restore)."""
    return shards.read_package(warehouse, MANIFEST)


def restore(warehouse: Warehouse) -> str | None:
    """Make datapackage.json and the shards agree, whatever a crash, an older version or damage left.

    A warehouse from before the shards gets them from its datapackage.json; a datapackage.json changed or lost
    since its shards were written is rebuilt from them. An unreadable one is moved aside (kept for inspection)
    with the shards, so that the run republishes every inspection; returns where it went.
    """
    if read_package(warehouse) is not None or not (warehouse.exists(MANIFEST) or warehouse.exists(shards.FOLDER)):
        return None
    with warehouse.lock("manifest"):
        try:
            root = _read_root(warehouse)
        except ManifestUnreadable:
            aside = f"{MANIFEST}.damaged-{uuid.uuid4().hex[:8]}"
            warehouse.write_atomic(aside, warehouse.read_bytes(MANIFEST))
            warehouse.remove(MANIFEST)
            warehouse.remove(shards.FOLDER)
            return aside
        found = shards.all_shards(warehouse)
        for inspection_id, state in root["inspections"].items():
            if inspection_id not in found:
                own = [r for r in root["resources"] if r.get("inspection_id") == inspection_id]
                shards.write_shard(warehouse, inspection_id, state, own)
        waiting = set(shards.markers(warehouse))  # consolidate() lists these, with the periods they touch
        _write(warehouse, _overlay(root, {i: s for i, s in found.items() if i not in waiting}))
    return None


def _write(warehouse: Warehouse, manifest: dict) -> bool:
    """Swap in a whole manifest held in memory in one atomic write (a repair); unchanged content is not rewritten."""
    manifest["resources"] = sorted(manifest["resources"], key=lambda r: r["path"])
    manifest["inspections"] = dict(sorted(manifest["inspections"].items()))
    changed = warehouse.write_stream_if_changed(MANIFEST, json_chunks(manifest))
    shards.write_package(warehouse, package_of(manifest), MANIFEST)
    return changed


def package_of(manifest: dict) -> dict:
    """A manifest's part that belongs to no inspection."""
    package = {key: value for key, value in manifest.items() if key not in ("inspections", "root", "later")}
    package["resources"] = [r for r in manifest["resources"] if not r.get("inspection_id")]
    return package


def shared_part(warehouse: Warehouse) -> dict:
    """datapackage.json's part that belongs to no inspection: its small copy, or (a repair) read from it whole."""
    package = read_package(warehouse)
    return package_of(_read_root(warehouse) if package is None else package)


def _listing(warehouse: Warehouse, as_rebuilt: bool = False) -> rebuild.Listing:
    """Each inspection's state and entries from its shard, or from datapackage.json when its shard is damaged
    (and, `as_rebuilt`, for those committed since the last rebuild); datapackage.json is read whole only then."""
    root: dict = {}
    waiting = set(shards.markers(warehouse)) if as_rebuilt else set()

    def listed(inspection_ids: list[str]) -> Iterator[tuple[str, dict | None]]:
        for inspection_id, shard in shards.read_many(warehouse, inspection_ids):
            if shard is None or inspection_id in waiting:
                if not root:
                    root.update(_read_root(warehouse))
                shard = _shard_of(root, inspection_id)
            yield inspection_id, shard

    return listed


def _rebuild(warehouse: Warehouse, package: dict, as_rebuilt: bool = False) -> bool:
    """Write datapackage.json from the package's own part and the shards, a shard at a time, and the package's
    part stamped with it; `as_rebuilt`: inspections committed since the last rebuild stay as it listed them."""
    package = package_of(package)
    chunks = rebuild.chunks(warehouse, package, _listing(warehouse, as_rebuilt))
    changed = warehouse.write_stream_if_changed(MANIFEST, chunks)
    shards.write_package(warehouse, package, MANIFEST)
    return changed


def published(warehouse: Warehouse, as_rebuilt: bool = False) -> dict:
    """Every published inspection's place and inspections-table entry, and the tables with a partition (see
    rebuild.published): what the periods stage and finalize need, without the whole manifest."""
    return rebuild.published(warehouse, _listing(warehouse, as_rebuilt))


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


def commit(warehouse: Warehouse, publications: list[Publication]) -> None:
    """Swap each inspection's shard to its new files in one atomic write (its commit point).

    Costs the same however many inspections the warehouse holds: datapackage.json is rebuilt from the shards once
    a run (consolidate), which also moves the annexe files to their stable names and deletes replaced files, so
    that every file datapackage.json lists stays on disk with the listed bytes until then.
    """
    fault("before_swap")
    # Under the manifest lock: consolidate() never reads a marker whose shard is not yet written.
    with warehouse.lock("manifest"):
        for p in publications:
            before = shards.read_shard(warehouse, p.inspection_id)
            shard = before or {"state": {}, "resources": []}
            kept = [r for r in shard["resources"] if p.replaces is not None and r.get("table") not in p.replaces]
            # "pending" names the fingerprint whose annexe files wait in .pending/ until consolidate().
            state = {**shard["state"], **p.state, "pending": p.fingerprint}
            shards.mark(warehouse, p.inspection_id, touches_periods=p.replaces is None, listed=rebuild.brief(before))
            shards.write_shard(warehouse, p.inspection_id, state, kept + p.resources)
            fault("between_shards")
    fault("after_swap")


def consolidate(warehouse: Warehouse, touches: PeriodToucher) -> list[str]:
    """Rebuild datapackage.json from the shards committed since its last rebuild, then tidy up; return them.

    Once a run. The periods the commits make out of date (`touches`) go into `periods_pending`, which
    commit_periods clears once it has restaged them. datapackage.json is written twice: first listing the new
    annexe files where they wait, so that copying them over their stable names never changes a listed file, then
    listing them at their stable names; only then are unlisted files deleted. Every step can be repeated.
    """
    waiting = shards.markers(warehouse)
    if not waiting:
        return []
    # Each inspection's lock first (as publish takes them): no run is staging its files while they are tidied.
    with warehouse.locks([f"inspection-{i}" for i in waiting]), warehouse.lock("manifest"):
        ids = sorted(set(waiting) & set(shards.markers(warehouse)))
        package = shared_part(warehouse)
        after = published(warehouse)
        marks = {i: shards.read_marker(warehouse, i) for i in ids}
        changed = {i for i, mark in marks.items() if mark.get("touches_periods", True)}
        touched = touches(_published_before(warehouse, after, marks), after, changed)
        if touched:
            package[PERIODS_PENDING] = sorted(set(package.get(PERIODS_PENDING) or []) | touched)
        _rebuild(warehouse, package)
        fault("after_consolidate")
        # a chunk of shards at a time: a backfill commits every inspection of the warehouse
        for inspection_id, shard in shards.read_many(warehouse, ids):
            if shard is not None:
                moved = _to_stable_names(warehouse, shard["resources"])
                if shard["state"].pop("pending", None) or moved:
                    shards.write_shard(warehouse, inspection_id, shard["state"], shard["resources"])
        _rebuild(warehouse, package)
        for inspection_id, listed in _listing(warehouse)(ids):
            remove_orphans(warehouse, inspection_id, {r["path"] for r in (listed or {"resources": []})["resources"]})
            shards.unmark(warehouse, inspection_id)
    return ids


def _published_before(warehouse: Warehouse, after: dict, marks: dict[str, dict]) -> dict:
    """`published` as datapackage.json had it before the marked inspections' commits: their markers kept where it
    placed them; a marker that did not (unreadable, or from an older version) makes it read datapackage.json."""
    if all("listed" in mark for mark in marks.values()):
        return _overlay(after, {i: mark["listed"] for i, mark in marks.items()})
    root = _read_root(warehouse)
    return _overlay(after, {i: rebuild.brief(_shard_of(root, i)) for i in marks})


def _shard_of(manifest: dict, inspection_id: str) -> dict | None:
    """An inspection's state and entries as a whole manifest lists them (None: it does not)."""
    if inspection_id not in manifest["inspections"]:
        return None
    own = [r for r in manifest["resources"] if r.get("inspection_id") == inspection_id]
    return {"state": manifest["inspections"][inspection_id], "resources": own}


def _to_stable_names(warehouse: Warehouse, entries: list[dict]) -> bool:
    """Copy the entries' files waiting in a .pending/ folder to their stable names and say so in the entries."""
    moved = False
    for entry in entries:
        if f"/{PENDING}/" in entry["path"]:
            stable = re.sub(rf"/{re.escape(PENDING)}/[^/]+/", "/", entry["path"])
            warehouse.write_atomic(stable, warehouse.read_bytes(entry["path"]))
            entry["path"], entry["name"], moved = stable, resource_name(stable), True
    return moved


def periods_pending(state: dict) -> list[str]:
    """Periods whose cross-inspection files a commit has made out of date and no run has restaged yet."""
    return list(state.get(PERIODS_PENDING) or [])


def commit_periods(warehouse: Warehouse, stage: PeriodStager) -> list[str]:
    """Restage every pending period from the manifest as committed and swap them in by one write; return them.

    Under the manifest lock throughout: no commit can change a period's inspections between its reading and
    the swap, and every write of a period's files is made under it.
    """
    with warehouse.lock("manifest"):
        package = shared_part(warehouse)
        pending = periods_pending(package)
        if not pending:
            return []
        staged = stage(package, pending)
        for p in staged:
            package["resources"] = [r for r in package["resources"] if r.get("period") != p.period] + p.resources
        package.pop(PERIODS_PENDING, None)
        # As last rebuilt: another run's commits since are restaged by that run, once it has consolidated them.
        _rebuild(warehouse, package, as_rebuilt=True)
        fault("after_period_swap")
        finish_periods(warehouse, [p.period for p in staged], package)
    return pending


def record(
    warehouse: Warehouse, resources: list[dict], package: dict | None = None, holding_lock: bool = False
) -> None:
    """List files that belong to no inspection (ledger, dictionary, index page, schemas), replacing their old
    entries, and set the package's own properties (title, licences, sources)."""
    if not holding_lock:
        with warehouse.lock("manifest"):
            return record(warehouse, resources, package, holding_lock=True)
    if _record_later(warehouse, resources, package or {}):
        return None
    own = shared_part(warehouse)
    paths = {r["path"] for r in resources}
    # An entry {"path": ..., "drop": True} takes a file off the list (a placeholder no longer needed).
    own["resources"] = [r for r in own["resources"] if r["path"] not in paths] + [
        r for r in resources if not r.get("drop")
    ]
    _rebuild(warehouse, {**own, **(package or {})}, as_rebuilt=True)


def _record_later(warehouse: Warehouse, resources: list[dict], properties: dict) -> bool:
    """List new files of no inspection in the package part only (say whether it could), so that an idle run
    (its ledger entry) costs the same in any warehouse; datapackage.json lists them from its next rewrite."""
    package = read_package(warehouse)
    if package is None or shards.markers(warehouse) or any(r.get("drop") for r in resources):
        return False
    if any(package.get(key) != value for key, value in properties.items()):
        return False
    listed = {r["path"]: r for r in package["resources"]}
    if any(r["path"] in listed and listed[r["path"]] != r for r in resources):
        return False  # a listed file changed (the dictionary, the index page): rewrite datapackage.json
    shards.write_later(warehouse, package, [r for r in resources if r["path"] not in listed])
    return True


@dataclass
class PeriodPublication:
    """One period's part of a commit: every file of its cross-inspection tables and overview (none: all go)."""

    period: str
    resources: list[dict]


# Called under the manifest lock with `published` before and after consolidating some inspections' commits, and
# those whose tables changed; returns the periods that change makes out of date (flows/stages/periods.py).
PeriodToucher = Callable[[dict, dict, set[str]], set[str]]
# Called under the manifest lock with the package's own part and its pending periods; returns each period's new
# files, already written under new names (flows/stages/periods.py).
PeriodStager = Callable[[dict, list[str]], list[PeriodPublication]]


def period_folders(period: str) -> list[str]:
    """Every folder holding a period's files: its partition of each comparison table and its overview."""
    return [f"{ANNEXE}/{table}/period={period}" for table in COMPARISON_TABLES] + [f"{NATIONAL}/{period}"]


def finish_periods(warehouse: Warehouse, periods: list[str], package: dict | None = None) -> None:
    """Put periods' pending overview files at their stable names, then delete their unlisted files.

    Called holding the manifest lock (every write of a period's files is made under it, so no other run can
    stage a newer version between the listing and the deletions), with the package part just written if the
    caller has it; every step can be repeated.
    """
    package = shared_part(warehouse) if package is None else package
    if _to_stable_names(warehouse, [e for e in package["resources"] if e.get("period") in periods]):
        _rebuild(warehouse, package, as_rebuilt=True)
    listed = {entry["path"] for entry in package["resources"]}
    for period in periods:
        for folder in period_folders(period):
            for path in warehouse.list_files(folder):
                if path not in listed:
                    warehouse.remove(path)
        warehouse.remove(f"{NATIONAL}/{period}/{PENDING}")


def heal_periods(warehouse: Warehouse) -> list[str]:
    """Finish or roll back the period files a crash interrupted; return the periods healed."""
    with warehouse.lock("manifest"):
        package = read_package(warehouse) or _read_root(warehouse)
        listed = {entry["path"] for entry in package["resources"]}
        broken = {e["period"] for e in package["resources"] if e.get("period") and f"/{PENDING}/" in e["path"]}
        for table in COMPARISON_TABLES:
            broken |= {p.split("period=", 1)[1].split("/", 1)[0]
                       for p in warehouse.list_files(f"{ANNEXE}/{table}") if p not in listed}  # fmt: skip
        broken |= {p.split("/")[3] for p in warehouse.list_files(NATIONAL) if p not in listed and p.count("/") > 3}
        if broken:
            finish_periods(warehouse, sorted(broken))
    return sorted(broken)


def remove_orphans(warehouse: Warehouse, inspection_id: str, listed: set[str]) -> None:
    """Delete an inspection's files that its shard does not list (left by a crash or a replaced version)."""
    for folder in _folders(inspection_id):
        for path in warehouse.list_files(folder):
            if path not in listed:
                warehouse.remove(path)
    warehouse.remove(f"{FILES}/{inspection_id}/{PENDING}")


def _folders(inspection_id: str) -> list[str]:
    """Every folder holding an inspection's files: its partition of each table and its annexe files."""
    return [f"{ANNEXE}/{table}/inspection_id={inspection_id}" for table in TABLES] + [f"{FILES}/{inspection_id}"]


def _on_disk(warehouse: Warehouse, inspection_ids: list[str]) -> dict[str, int]:
    """Size of every file of the inspections, by warehouse-relative path."""
    return {
        path: size for i in inspection_ids for folder in _folders(i) for path, size in warehouse.sizes(folder).items()
    }


def inspect(warehouse: Warehouse, inspection_ids: list[str], state: dict | None = None) -> dict[str, list[str]]:
    """Inspections whose publication a crash interrupted, and those whose published files are damaged; read only.

    Looks only at the given inspections and those committed since datapackage.json was last rebuilt, so its cost
    does not grow with the warehouse. A file on disk that the inspection's shard does not list is an interrupted
    publication; a listed file that is missing or of the wrong size is damage. Same-size damage is found by
    `annexe verify`, which hashes every file.
    """
    waiting = shards.markers(warehouse)
    manifest = read_inspections(warehouse, inspection_ids) if state is None else state
    listed = defaultdict(set)
    damaged = set()
    sizes = _on_disk(warehouse, inspection_ids)
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
    interrupted = {
        i for i in inspection_ids if (manifest["inspections"].get(i) or {}).get("pending") or on_disk[i] - listed[i]
    }
    return {"interrupted": sorted(interrupted | set(waiting)), "damaged": sorted(damaged & set(inspection_ids))}


def heal(warehouse: Warehouse, inspection_ids: list[str], touches: PeriodToucher) -> dict[str, list[str]]:
    """Finish or roll back what a crash interrupted; return the inspections finished and those found damaged.

    Periods' cross-inspection files are finished or rolled back first (heal_periods), then the commits of runs
    that died before consolidating them, then the files staged by runs that died before committing them.
    """
    periods = heal_periods(warehouse)
    consolidated = consolidate(warehouse, touches)
    found = inspect(warehouse, inspection_ids)
    interrupted = [i for i in found["interrupted"] if i not in consolidated]
    if interrupted:
        with warehouse.locks([f"inspection-{i}" for i in interrupted]):
            waiting = set(shards.markers(warehouse))  # a run committed meanwhile: its own consolidation tidies up
            interrupted = [i for i in interrupted if i not in waiting]
            for inspection_id in interrupted:
                remove_orphans(warehouse, inspection_id, {r["path"] for r in _entries_of(warehouse, inspection_id)})
    return {
        "finished": sorted(set(consolidated) | set(interrupted)),
        "damaged": found["damaged"],
        "periods_finished": periods,
    }


def _entries_of(warehouse: Warehouse, inspection_id: str) -> list[dict]:
    """An inspection's file entries: its shard's, or, when the shard is lost or damaged, what datapackage.json
    lists of it (read whole, a repair only), so that healing never deletes a file a reader is following."""
    [(_, listed)] = _listing(warehouse)([inspection_id])
    return (listed or {"resources": []})["resources"]


def shared_files_damaged(warehouse: Warehouse, state: dict | None = None) -> bool:
    """Whether a listed file of no inspection (index page, dictionary, ledger) is missing or of the wrong size."""
    for entry in (read_package(warehouse) or _read_root(warehouse) if state is None else state)["resources"]:
        if entry.get("inspection_id") is None and entry.get("period") is None:  # periods: see verify._repair
            try:
                if warehouse.fs.size(warehouse.path(entry["path"])) != entry["size"]:
                    return True
            except FileNotFoundError:
                return True
    return False
