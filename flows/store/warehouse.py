"""The warehouse: a folder or fsspec URL with atomic writes, locks, and published tables read as listed."""

from __future__ import annotations

import glob
import hashlib
import io
import multiprocessing
import os
import uuid
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import polars as pl
from fsspec.implementations.local import LocalFileSystem

from flows.store.filesystem import filesystem
from flows.store.locks import locked
from schemas.tables import TABLES

ANNEXE = "annexe"
FILES = f"{ANNEXE}/files"
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
STREAM_BUFFER = 1 << 20


def _sha256(path: str) -> bytes:
    """A local file's SHA-256, read a buffer at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(STREAM_BUFFER):
            digest.update(block)
    return digest.digest()


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

    def write_atomic(self, relative: str, data: bytes, private: bool = False) -> None:
        """Write a file so that a reader sees the old bytes or the new, never a part (private: owner only)."""
        target = self.path(relative)
        if self.local:
            folder = os.path.dirname(target)
            if private:
                os.makedirs(folder, mode=PRIVATE_FOLDER, exist_ok=True)
            else:
                os.makedirs(folder, exist_ok=True)
            temporary = f"{target}.tmp-{uuid.uuid4().hex}"
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE if private else 0o666)
            with os.fdopen(descriptor, "wb") as handle:
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

    def write_stream_if_changed(self, relative: str, chunks: Iterable[bytes]) -> bool:
        """write_if_changed for content given piece by piece: a local file is streamed (never whole in memory)."""
        if not self.local:  # one PUT of the whole object: object stores have no rename
            return self.write_if_changed(relative, b"".join(chunks))
        target = self.path(relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        temporary = f"{target}.tmp-{uuid.uuid4().hex}"
        digest, size = hashlib.sha256(), 0
        with open(temporary, "xb", buffering=STREAM_BUFFER) as handle:
            for chunk in chunks:
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.isfile(target) and os.path.getsize(target) == size and _sha256(target) == digest.digest():
            os.remove(temporary)
            return False
        os.replace(temporary, target)
        return True

    def exists(self, relative: str) -> bool:
        """Whether a file or folder exists."""
        return self.fs.exists(self.path(relative))

    def read_bytes(self, relative: str) -> bytes:
        """A file's bytes."""
        return self.fs.cat_file(self.path(relative))

    def read_many(self, relatives: list[str]) -> dict[str, bytes]:
        """Several files' bytes by relative path, missing ones left out: on object storage the requests go
        together, not one after another."""
        if not relatives:
            return {}
        stripped = {self.fs._strip_protocol(self.path(relative)): relative for relative in relatives}
        found = self.fs.cat(list(stripped), on_error="omit")
        return {stripped[self.fs._strip_protocol(path)]: data for path, data in found.items()}

    def remove(self, relative: str) -> None:
        """Delete a file or a folder and everything below it, if present."""
        try:
            self.fs.rm(self.path(relative), recursive=True)
        except FileNotFoundError:
            pass

    def list_files(self, relative: str) -> list[str]:
        """Warehouse-relative paths of every file below a folder."""
        return sorted(self.sizes(relative))

    def sizes(self, relative: str) -> dict[str, int]:
        """Size of every file below a folder, by warehouse-relative path."""
        base, prefix = self.path(relative), f"{self.root}/"
        if self.local:  # os.walk: fsspec's find stats every entry several times over
            found = {}
            for folder, _, names in os.walk(base):
                for name in names:
                    path = os.path.join(folder, name)
                    try:
                        found[path[len(prefix) :]] = os.stat(path).st_size
                    except FileNotFoundError:  # deleted meanwhile by another run tidying up
                        continue
            return found
        if not self.fs.exists(base):
            return {}
        return {
            (p[len(prefix) :] if p.startswith(prefix) else p): info["size"]
            for p, info in self.fs.find(base, detail=True).items()
        }

    def glob(self, pattern: str) -> list[str]:
        """Warehouse-relative paths matching a glob pattern."""
        prefix = f"{self.root}/"
        if self.local:  # names only, no stat of every entry of a large folder
            found = glob.glob(self.path(pattern), include_hidden=True)
        else:
            found = self.fs.glob(self.path(pattern))
        return sorted(p[len(prefix) :] if p.startswith(prefix) else p for p in found)

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


def worker_folder(url: str) -> str | None:
    """The warehouse's absolute folder for worker processes to open, or None where its work stays in this process:
    on object storage, whose credentials and settings are this process's, and in a daemonic process (a Dask
    worker), which may not start processes."""
    if multiprocessing.current_process().daemon:
        return None
    warehouse = Warehouse(url)
    return warehouse.root if warehouse.local else None


def read_entries(warehouse: Warehouse, entries: list[dict], table: str) -> pl.DataFrame:
    """One table's rows in the files the given manifest entries list, with their partition column restored.

    Tables of one inspection are partitioned by inspection_id, tables comparing inspections by period (kept as a
    column even where the table has none, as for trends). Columns added since a file was written read as null.
    """
    from schemas.comparison_tables import COMPARISON_TABLES

    spec = TABLES[table] if table in TABLES else COMPARISON_TABLES[table]
    key = "period" if table in COMPARISON_TABLES else "inspection_id"
    frames = []
    for entry in entries:
        if entry.get("table") == table and entry.get(key):  # not an empty table's placeholder
            frame = pl.read_parquet(io.BytesIO(warehouse.read_bytes(entry["path"])))
            frames.append(frame.with_columns(pl.lit(entry[key]).alias(key)))
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=spec.polars_schema)
    frame = frame.with_columns(pl.lit(None, c.dtype).alias(c.name) for c in spec.columns if c.name not in frame.columns)
    conformed = spec.conform(frame)
    if key not in conformed.columns:
        conformed = conformed.with_columns(frame.get_column(key, default=pl.Series(key, [], pl.String)))
    return conformed.sort(key, maintain_order=True)


def read_table(warehouse_url: str, table: str) -> pl.DataFrame:
    """A published table as the manifest lists it: every committed inspection (or period), never a half-written one."""
    from flows.store import manifest

    warehouse = Warehouse(warehouse_url)
    return read_entries(warehouse, manifest.read(warehouse)["resources"], table)
