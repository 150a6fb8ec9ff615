"""Reading the landing zone (a local folder or an fsspec URL) without ever writing to it."""

from __future__ import annotations

import hashlib
import io
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import version

import fsspec
import polars as pl

from schemas.extract import MANIFEST_FILE, problem
from transforms.framework import framework_path

CASES_FILES = ("cases.csv", "cases.xlsx", "cases.parquet")
PIPELINE_VERSION = version("annexe")


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and root path behind a folder path or fsspec URL."""
    fs, root = fsspec.core.url_to_fs(str(url))
    fs.invalidate_cache()  # fsspec reuses instances: drop listings cached by an earlier run in this process
    return fs, root.rstrip("/")


def discover(landing: str) -> list[str]:
    """Inspection folders in the landing zone, by name."""
    fs, root = filesystem(landing)
    if not fs.exists(root):
        return []
    names = []
    for entry in fs.ls(root, detail=True):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        if entry["type"] == "directory" and not name.startswith((".", "_")):
            names.append(name)
    return sorted(names)


@dataclass
class Extract:
    """One inspection's files as found: raw bytes, parsed manifest and cases, and read problems."""

    inspection_id: str
    manifest: dict | None = None
    cases: pl.DataFrame | None = None
    cases_file: str | None = None
    header_rows: int = 1
    fingerprint: str = ""
    problems: list[dict] = field(default_factory=list)


def _read_cases(data: bytes, name: str) -> tuple[pl.DataFrame, int]:
    """Parse a cases file with every column as text, so bad values are reported, not coerced."""
    if name.endswith(".csv"):
        return pl.read_csv(io.BytesIO(data), infer_schema=False), 1
    if name.endswith(".xlsx"):
        frame = pl.read_excel(io.BytesIO(data), engine="calamine", infer_schema_length=0)
        return frame.with_columns(pl.all().cast(pl.String)), 1
    frame = pl.read_parquet(io.BytesIO(data))
    return frame.with_columns(pl.all().cast(pl.String)), 0


def fingerprint(parts: list[bytes]) -> str:
    """sha256 over the inputs of an inspection and the pipeline version."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _gather(fs, folder: str) -> tuple[bytes | None, list[str], bytes | None]:
    """The manifest's bytes, the cases files present, and the cases bytes when exactly one is present."""
    manifest_path = f"{folder}/{MANIFEST_FILE}"
    manifest = fs.cat_file(manifest_path) if fs.exists(manifest_path) else None
    present = [name for name in CASES_FILES if fs.exists(f"{folder}/{name}")]
    cases = fs.cat_file(f"{folder}/{present[0]}") if len(present) == 1 else None
    return manifest, present, cases


def _parse_manifest(data: bytes | None, framework_override: str | None) -> dict | None:
    """The manifest as TOML, with the framework overridden when asked; None when unreadable."""
    if data is None:
        return None
    try:
        manifest = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    if framework_override:
        manifest["framework"] = framework_override
    return manifest


def _framework_bytes(manifest: dict | None, frameworks_dir: str | None) -> bytes | None:
    framework_id = (manifest or {}).get("framework")
    path = framework_path(str(framework_id), frameworks_dir) if framework_id else None
    return path.read_bytes() if path is not None and path.exists() else None


def inspection_fingerprint(landing: str, inspection_id: str, frameworks_dir: str | None = None,
                           framework_override: str | None = None) -> tuple[str, dict | None]:
    """An inspection's input fingerprint and manifest, without parsing its cases."""
    fs, root = filesystem(landing)
    manifest_data, _, cases_data = _gather(fs, f"{root}/{inspection_id}")
    manifest = _parse_manifest(manifest_data, framework_override)
    parts = [p for p in (manifest_data, cases_data, _framework_bytes(manifest, frameworks_dir)) if p is not None]
    return fingerprint(parts), manifest


def read_extract(landing: str, inspection_id: str, frameworks_dir: str | None = None,
                 framework_override: str | None = None) -> Extract:
    """Read one inspection's manifest and cases file; problems reading them become quarantine rows."""
    fs, root = filesystem(landing)
    extract = Extract(inspection_id)
    manifest_data, present, cases_data = _gather(fs, f"{root}/{inspection_id}")
    manifest_file = f"{inspection_id}/{MANIFEST_FILE}"
    if manifest_data is None:
        extract.problems.append(problem(inspection_id, manifest_file, "manifest_present",
                                        f"{MANIFEST_FILE} is missing: every inspection folder needs one"))
    else:
        try:
            tomllib.loads(manifest_data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            extract.problems.append(problem(inspection_id, manifest_file, "readable",
                                            f"{MANIFEST_FILE} is not valid TOML: {error}"))
        extract.manifest = _parse_manifest(manifest_data, framework_override)

    if not present:
        extract.problems.append(problem(inspection_id, f"{inspection_id}/", "cases_present",
                                        f"no cases file: add one of {', '.join(CASES_FILES)}"))
    elif len(present) > 1:
        extract.problems.append(problem(inspection_id, f"{inspection_id}/", "one_cases_file",
                                        f"more than one cases file ({', '.join(present)}): keep only the current one"))
    else:
        name = present[0]
        extract.cases_file = f"{inspection_id}/{name}"
        kind = name.rsplit(".", 1)[-1].upper()
        if not cases_data.strip():
            extract.problems.append(problem(inspection_id, extract.cases_file, "not_empty",
                                            f"{name} is empty: it needs a header row and one row per case"))
        else:
            try:
                extract.cases, extract.header_rows = _read_cases(cases_data, name)
            except Exception as error:  # any parser failure means the file cannot be used as it is
                lines = str(error).strip().splitlines()
                extract.problems.append(problem(inspection_id, extract.cases_file, "readable",
                                                f"{name} cannot be read as {kind}: "
                                                f"{lines[0] if lines else type(error).__name__}"))
            else:
                if extract.cases.height == 0:
                    extract.problems.append(problem(inspection_id, extract.cases_file, "not_empty",
                                                    f"{name} has no cases: it has a header but no rows"))
    parts = [p for p in (manifest_data, cases_data, _framework_bytes(extract.manifest, frameworks_dir))
             if p is not None]
    extract.fingerprint = fingerprint(parts)
    return extract
