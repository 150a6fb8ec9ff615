"""The warehouse: content-addressed Parquet partitions, the datapackage.json manifest that commits them, and healing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from dataclasses import dataclass

import polars as pl
from fsspec.implementations.local import LocalFileSystem

from flows.landing import filesystem
from flows.locks import locked
from schemas.tables import SCHEMA_VERSION, TABLES

MANIFEST = "datapackage.json"
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


def commit(warehouse: Warehouse, inspection_id: str, fingerprint: str, state: dict, resources: list[dict],
           replaces: set[str] | None = None) -> None:
    """Swap the manifest to the inspection's new files (the commit point), then tidy up.

    `replaces` names the tables whose entries the new resources replace (default: all of the inspection's).
    """
    fault("before_swap")
    with warehouse.lock("manifest"):
        manifest = warehouse.read_manifest()
        manifest["resources"] = [
            r for r in manifest["resources"]
            if r.get("inspection_id") != inspection_id or (replaces is not None and r.get("table") not in replaces)
        ] + resources
        # "pending" names the fingerprint whose annexe files still wait in .pending/ until finish().
        manifest["inspections"][inspection_id] = {**manifest["inspections"].get(inspection_id, {}), **state,
                                                  "pending": fingerprint}
        warehouse.write_manifest(manifest)
    fault("after_swap")
    finish(warehouse, inspection_id)


def finish(warehouse: Warehouse, inspection_id: str) -> None:
    """Complete a committed publication: put annexe files at their stable names, then delete what is not listed.

    Every step can be repeated, so a crash part-way is healed by running this again.
    """
    state = warehouse.read_manifest()["inspections"].get(inspection_id) or {}
    if state.get("pending"):
        prefix = f"{FILES}/{inspection_id}/{PENDING}/{state['pending'][:16]}/"
        stable = f"{FILES}/{inspection_id}/"
        for entry in warehouse.read_manifest()["resources"]:
            if entry.get("inspection_id") == inspection_id and entry["path"].startswith(prefix):
                warehouse.write_atomic(entry["path"].replace(prefix, stable), warehouse.read_bytes(entry["path"]))
        with warehouse.lock("manifest"):
            manifest = warehouse.read_manifest()
            for entry in manifest["resources"]:
                if entry.get("inspection_id") == inspection_id and entry["path"].startswith(prefix):
                    entry["path"] = entry["path"].replace(prefix, stable)
                    entry["name"] = resource_name(entry["path"])
            manifest["inspections"][inspection_id].pop("pending", None)
            warehouse.write_manifest(manifest)
    manifest = warehouse.read_manifest()
    remove_orphans(warehouse, inspection_id,
                   {r["path"] for r in manifest["resources"] if r.get("inspection_id") == inspection_id})


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
    healed = []
    for inspection_id in inspection_ids:
        listed = {r["path"] for r in manifest["resources"] if r.get("inspection_id") == inspection_id}
        state = manifest["inspections"].get(inspection_id, {})
        on_disk = set()
        for table in TABLES:
            on_disk.update(warehouse.list_files(f"{ANNEXE}/{table}/inspection_id={inspection_id}"))
        on_disk.update(warehouse.list_files(f"{FILES}/{inspection_id}"))
        if state.get("pending") or on_disk - listed:
            with warehouse.lock(f"inspection-{inspection_id}"):
                finish(warehouse, inspection_id)
            healed.append(inspection_id)
    return healed


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
