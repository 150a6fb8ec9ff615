"""The warehouse: content-addressed Parquet partitions, the datapackage.json manifest that commits them, and healing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import uuid
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import polars as pl
from fsspec.implementations.local import LocalFileSystem

from flows.landing import filesystem
from flows.locks import locked
from schemas.tables import SCHEMA_VERSION, TABLES

MANIFEST = "datapackage.json"
PARTITION = re.compile(r"/inspection_id=([^/]+)/")
FILE_OWNER = re.compile(r"^annexe/files/([^/]+)/")
ANNEXE = "annexe"
FILES = f"{ANNEXE}/files"
PENDING = ".pending"
MEDIATYPES = {
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "md": "text/markdown",
    "json": "application/json",
}


def fault(point: str) -> None:
    """Crash the process here when ANNEXE_FAULT names this point (for crash-safety tests only)."""
    if os.environ.get("ANNEXE_FAULT") == point:
        os._exit(86)


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    """A frame as Parquet bytes; the same frame always gives the same bytes."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True)
    return buffer.getvalue()


@dataclass
class Warehouse:
    """A warehouse folder or fsspec URL."""

    url: str

    def __post_init__(self) -> None:
        self.fs, self.root = filesystem(self.url)
        self.local = isinstance(self.fs, LocalFileSystem)

    def path(self, relative: str) -> str:
        """Absolute path of a warehouse-relative path."""
        return f"{self.root}/{relative}"

    def write_atomic(self, relative: str, data: bytes) -> None:
        """Write a file so that a reader sees the old bytes or the new, never a part."""
        target = self.path(relative)
        if self.local:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            temporary = f"{target}.tmp-{uuid.uuid4().hex}"
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        else:
            self.fs.pipe_file(target, data)  # a single PUT is atomic on object stores

    def write_if_changed(self, relative: str, data: bytes) -> bool:
        """Write only when the content differs, so an unchanged run leaves files and times alone."""
        if self.exists(relative) and self.fs.cat_file(self.path(relative)) == data:
            return False
        self.write_atomic(relative, data)
        return True

    def exists(self, relative: str) -> bool:
        return self.fs.exists(self.path(relative))

    def read_bytes(self, relative: str) -> bytes:
        return self.fs.cat_file(self.path(relative))

    def remove(self, relative: str) -> None:
        try:
            self.fs.rm(self.path(relative), recursive=True)
        except FileNotFoundError:
            pass

    def list_files(self, relative: str) -> list[str]:
        """Warehouse-relative paths of every file below a folder."""
        base = self.path(relative)
        if not self.fs.exists(base):
            return []
        prefix = f"{self.root}/"
        return sorted(p[len(prefix):] if p.startswith(prefix) else p for p in self.fs.find(base))

    def lock(self, name: str, timeout: float = 600.0):
        """A lock that serialises one piece of work across runs."""
        return locked(self.fs, self.path(f"_locks/{name}.lock"), timeout=timeout)

    @contextmanager
    def locks(self, names: list[str], timeout: float = 600.0):
        """Several locks, always taken in the same (sorted) order so that two runs cannot deadlock."""
        with ExitStack() as stack:
            for name in sorted(set(names)):
                stack.enter_context(self.lock(name, timeout))
            yield

    # The manifest is the commit point: a reader who follows it never sees a half-published inspection.
    def read_manifest(self) -> dict:
        if not self.exists(MANIFEST):
            return {"profile": "data-package", "name": "probation-inspection-annexe", "resources": [],
                    "inspections": {}}
        return json.loads(self.read_bytes(MANIFEST))

    def write_manifest(self, manifest: dict) -> bool:
        manifest["resources"] = sorted(manifest["resources"], key=lambda r: r["path"])
        manifest["inspections"] = dict(sorted(manifest["inspections"].items()))
        return self.write_if_changed(MANIFEST, (json.dumps(manifest, indent=2, default=str) + "\n").encode())


def partition_path(table: str, inspection_id: str, fingerprint: str) -> str:
    """Where one inspection's rows of a table live (hive style, named by input fingerprint)."""
    return f"{ANNEXE}/{table}/inspection_id={inspection_id}/part-{fingerprint[:16]}.parquet"


def resource_name(path: str) -> str:
    """A Frictionless resource name (lower-case, url-safe) for a path."""
    return path.replace("/", "-").replace("=", "-").replace(".", "-").replace("_", "-").lower()


def resource(path: str, data: bytes, **extra) -> dict:
    """A Frictionless resource entry for one published file."""
    fmt = path.rsplit(".", 1)[-1]
    return {"name": resource_name(path), "path": path, "format": fmt, "mediatype": MEDIATYPES.get(fmt, "application/octet-stream"),
            "hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "bytes": len(data), **extra}


def stage_files(warehouse: Warehouse, inspection_id: str, fingerprint: str, run_id: str,
                tables: dict[str, pl.DataFrame], annexe_files: dict[str, bytes]) -> list[dict]:
    """Write an inspection's new files where no manifest reader looks yet; return their resource entries."""
    resources = []
    for table, frame in tables.items():
        data = parquet_bytes(frame.drop("inspection_id"))
        path = partition_path(table, inspection_id, fingerprint)
        warehouse.write_atomic(path, data)
        resources.append(resource(path, data, table=table, inspection_id=inspection_id, rows=frame.height,
                                  schema_version=SCHEMA_VERSION, run_id=run_id, fingerprint=fingerprint))
        fault("between_files")
    for name, data in annexe_files.items():
        # Listed at their pending path until finish() has copied them to their stable name.
        path = f"{FILES}/{inspection_id}/{PENDING}/{fingerprint[:16]}/{name}"
        warehouse.write_atomic(path, data)
        resources.append(resource(path, data, table="annexe_file", inspection_id=inspection_id, run_id=run_id,
                                  fingerprint=fingerprint))
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
    """Swap the manifest to the inspections' new files in one write (the commit point), then tidy up.

    Each inspection's new files appear to manifest readers all at once, never half of them.
    """
    fault("before_swap")
    with warehouse.lock("manifest"):
        manifest = warehouse.read_manifest()
        by_id = {p.inspection_id: p for p in publications}

        def replaced(entry: dict) -> bool:
            publication = by_id.get(entry.get("inspection_id"))
            return publication is not None and (publication.replaces is None
                                                or entry.get("table") in publication.replaces)

        manifest["resources"] = [r for r in manifest["resources"] if not replaced(r)]
        for p in publications:
            manifest["resources"] += p.resources
            # "pending" names the fingerprint whose annexe files still wait in .pending/ until finish().
            manifest["inspections"][p.inspection_id] = {**manifest["inspections"].get(p.inspection_id, {}),
                                                        **p.state, "pending": p.fingerprint}
        warehouse.write_manifest(manifest)
    fault("after_swap")
    finish(warehouse, list(by_id))


def finish(warehouse: Warehouse, inspection_ids: list[str]) -> None:
    """Complete committed publications: put annexe files at their stable names, then delete what is not listed.

    Every step can be repeated, so a crash part-way is healed by running this again.
    """
    manifest = warehouse.read_manifest()
    prefixes = {i: f"{FILES}/{i}/{PENDING}/{manifest['inspections'][i]['pending'][:16]}/" for i in inspection_ids
                if (manifest["inspections"].get(i) or {}).get("pending")}
    if prefixes:
        for entry in manifest["resources"]:
            prefix = prefixes.get(entry.get("inspection_id"))
            if prefix and entry["path"].startswith(prefix):
                stable = f"{FILES}/{entry['inspection_id']}/"
                warehouse.write_atomic(entry["path"].replace(prefix, stable), warehouse.read_bytes(entry["path"]))
        with warehouse.lock("manifest"):
            manifest = warehouse.read_manifest()
            for entry in manifest["resources"]:
                prefix = prefixes.get(entry.get("inspection_id"))
                if prefix and entry["path"].startswith(prefix):
                    entry["path"] = entry["path"].replace(prefix, f"{FILES}/{entry['inspection_id']}/")
                    entry["name"] = resource_name(entry["path"])
            for inspection_id in prefixes:
                manifest["inspections"][inspection_id].pop("pending", None)
            warehouse.write_manifest(manifest)
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


def heal(warehouse: Warehouse, inspection_ids: list[str]) -> list[str]:
    """Finish or roll back any publication a crash interrupted; return the inspections healed."""
    manifest = warehouse.read_manifest()
    listed = defaultdict(set)
    for entry in manifest["resources"]:
        listed[entry.get("inspection_id")].add(entry["path"])
    on_disk = defaultdict(set)
    for folder in [f"{ANNEXE}/{table}" for table in TABLES] + [FILES]:
        for path in warehouse.list_files(folder):
            match = PARTITION.search(path) if folder != FILES else FILE_OWNER.search(path)
            if match:
                on_disk[match.group(1)].add(path)
    broken = [i for i in inspection_ids
              if (manifest["inspections"].get(i) or {}).get("pending") or on_disk[i] - listed[i]]
    if broken:
        with warehouse.locks([f"inspection-{i}" for i in broken]):
            finish(warehouse, broken)
    return broken


def read_table(warehouse_url: str, table: str) -> pl.DataFrame:
    """A published table as the manifest lists it: every committed inspection, never a half-written one."""
    warehouse = Warehouse(warehouse_url)
    spec = TABLES[table]
    manifest = warehouse.read_manifest()
    frames = []
    for entry in manifest["resources"]:
        if entry.get("table") == table:
            frame = pl.read_parquet(io.BytesIO(warehouse.read_bytes(entry["path"])))
            frames.append(frame.with_columns(inspection_id=pl.lit(entry["inspection_id"])))
    if not frames:
        return pl.DataFrame(schema=spec.polars_schema)
    return spec.conform(pl.concat(frames)).sort("inspection_id", maintain_order=True)
