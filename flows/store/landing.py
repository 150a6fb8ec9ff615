"""Reading the landing zone (a local folder or an fsspec URL) without ever writing to it, nor reading outside it."""

# Nothing in the landing zone is trusted: folder names become warehouse paths only once they are valid ids, files
# are read only when they are plain files inside the landing zone and within the contract's limits, and cases are
# parsed in a child process (flows.store.cases_reader). Every refusal is a quarantine row, never an exception.

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tomllib
from dataclasses import dataclass, field

import polars as pl
from fsspec.implementations.local import LocalFileSystem

from flows.config import PIPELINE_VERSION
from flows.store.cases_reader import read_cases
from flows.store.filesystem import filesystem
from schemas.contract import (
    CASES_FILES,
    INSPECTION_ID,
    MANIFEST_FILE,
    MAX_CASES_BYTES,
    MAX_ID_LENGTH,
    MAX_MANIFEST_BYTES,
    MAX_MANIFEST_DEPTH,
)
from schemas.quarantine import problem
from transforms.framework import FrameworkError, framework_path

# Ids cannot contain "--", so the stand-in of a folder whose name is not an id never collides with an inspection.
STAND_IN = "invalid--"


def stand_in(name: str) -> str:
    """The id under which a folder whose name is not a valid id is quarantined: its name is never made a path."""
    return STAND_IN + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def shown(name: str) -> str:
    """A folder name safe to print: characters that are not printable replaced, long names shortened."""
    text = "".join(c if c.isprintable() else "?" for c in name)
    return text if len(text) <= 80 else f"{text[:60]}...{text[-12:]}"


@dataclass(frozen=True)
class Discovery:
    """What the landing zone holds: ids to process (stand-ins for invalid names) and folders left unread, why."""

    inspection_ids: list[str]
    set_aside: list[dict]


def _local(fs) -> bool:
    """Whether a filesystem is the local disk, the only one with symbolic links."""
    return isinstance(fs, LocalFileSystem)


def discover_report(landing: str) -> Discovery:
    """Inspection folders in the landing zone, and the hidden or symbolically linked folders it will not read."""
    fs, root = filesystem(landing)
    if not fs.exists(root):
        return Discovery([], [])
    ids, aside = [], []
    for entry in fs.ls(root, detail=True):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        if entry.get("islink"):
            aside.append(
                {
                    "folder": shown(name),
                    "reason": "a symbolic link, not read: an inspection folder must be "
                    "a real folder inside the landing zone",
                }
            )
        elif entry["type"] != "directory":
            continue
        elif name.startswith((".", "_")):
            aside.append(
                {
                    "folder": shown(name),
                    "reason": "a hidden folder (its name starts with '.' or '_'), "
                    "not read: rename it to its inspection id to publish it",
                }
            )
        else:
            ids.append(name if INSPECTION_ID.match(name) else stand_in(name))
    return Discovery(sorted(ids), sorted(aside, key=lambda a: a["folder"]))


def discover(landing: str) -> list[str]:
    """Inspection ids in the landing zone (stand-ins for folders whose names are not valid ids)."""
    return discover_report(landing).inspection_ids


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


def fingerprint(parts: list[bytes]) -> str:
    """sha256 over the inputs of an inspection and the pipeline version."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


@dataclass
class _Files:
    """What was taken from one inspection folder: bytes read, cases files present, and files refused."""

    folder: str | None = None
    manifest: bytes | None = None
    present: list[str] = field(default_factory=list)
    cases: bytes | None = None
    refused: list[dict] = field(default_factory=list)

    def parts(self) -> list[bytes]:
        """What the fingerprint covers: the bytes read and the reason for each refusal."""
        return [p for p in (self.manifest, self.cases) if p is not None] + [
            r["message"].encode("utf-8", "surrogateescape") for r in self.refused
        ]


def _folder_name(fs, root: str, inspection_id: str) -> str:
    """The folder an id stands for: the invalid name a stand-in was made from, or the id itself."""
    if inspection_id.startswith(STAND_IN):
        for name in (p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(root, detail=False)):
            if stand_in(name) == inspection_id:
                return name
    return inspection_id


def _info(fs, path: str) -> dict | None:
    """A file's type, size and link status, or None when absent (a broken link is present, as 'other')."""
    try:
        return fs.info(path)
    except FileNotFoundError:
        if _local(fs) and os.path.islink(path):
            return {"type": "other", "size": 0, "islink": True}
        return None


def _outside(root: str, path: str) -> bool:
    """Whether a local path resolves (through symbolic links) to somewhere outside the landing zone."""
    base = os.path.realpath(root)
    return os.path.commonpath([base, os.path.realpath(path)]) != base


def _refusal(fs, root: str, path: str, info: dict, limit: int) -> tuple[str, str] | None:
    """Why a file in an inspection folder is not read (check, message), or None when it may be."""
    name = path.rsplit("/", 1)[-1]
    if info.get("islink") and _local(fs) and _outside(root, path):
        return "inside_landing", (
            f"{name} is a symbolic link to a file outside the landing zone: it is not read; "
            "put the file itself in the folder"
        )
    if info["type"] != "file":
        return "regular_file", f"{name} is not a plain file ({info['type']}): put the file itself in the folder"
    if info["size"] > limit:
        return "within_limits", f"{name} is {info['size']:,} bytes: the limit is {limit:,} (extract contract)"
    return None


def _read(fs, root: str, inspection_id: str, name: str, limit: int, files: _Files) -> bytes | None:
    """One file's bytes when it is present and may be read; a refusal is added to files.refused."""
    path = f"{root}/{files.folder}/{name}"
    info = _info(fs, path)
    if info is None:
        return None
    refusal = _refusal(fs, root, path, info, limit)
    if refusal is None:
        data = fs.cat_file(path, start=0, end=limit + 1)  # bounded even if the file grew since it was listed
        if len(data) <= limit:
            return data
        refusal = "within_limits", f"{name} is over {limit:,} bytes: the limit is {limit:,} (extract contract)"
    files.refused.append(problem(inspection_id, f"{inspection_id}/{name}", refusal[0], refusal[1]))
    return None


def _gather(fs, root: str, inspection_id: str) -> _Files:
    """Read an inspection folder's manifest and (when exactly one is present) cases file, refusing what is unsafe."""
    name = _folder_name(fs, root, inspection_id)
    files = _Files()
    if not INSPECTION_ID.match(name):
        files.refused.append(
            problem(
                inspection_id,
                f"{shown(name)}/",
                "folder_name",
                f"folder name {shown(name)!r} is not a valid inspection id: use lower-case letters, digits and single "
                f"hyphens, at most {MAX_ID_LENGTH} characters, e.g. dyfed-powys-2025 (nothing in it was read)",
            )
        )
        return files
    if _local(fs) and os.path.islink(f"{root}/{name}"):
        files.refused.append(
            problem(
                inspection_id,
                f"{inspection_id}/",
                "inside_landing",
                "the folder is a symbolic link: it is not read; an inspection folder must be a "
                "real folder inside the landing zone",
            )
        )
        return files
    files.folder = name
    files.manifest = _read(fs, root, inspection_id, MANIFEST_FILE, MAX_MANIFEST_BYTES, files)
    files.present = [n for n in CASES_FILES if _info(fs, f"{root}/{name}/{n}") is not None]
    if len(files.present) == 1:
        files.cases = _read(fs, root, inspection_id, files.present[0], MAX_CASES_BYTES, files)
    return files


def _too_deep(value, levels: int) -> bool:
    """Whether tables and arrays nest more than `levels` deep."""
    if not isinstance(value, dict | list):
        return False
    children = value.values() if isinstance(value, dict) else value
    return levels == 0 or any(_too_deep(child, levels - 1) for child in children)


def _load_manifest(data: bytes) -> tuple[dict | None, str | None]:
    """The manifest as TOML, or why it cannot be used."""
    try:
        manifest = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as error:
        return None, f"{MANIFEST_FILE} is not valid TOML: {error}"
    if _too_deep(manifest, MAX_MANIFEST_DEPTH):
        return None, (
            f"{MANIFEST_FILE} nests tables or arrays more than {MAX_MANIFEST_DEPTH} deep: "
            "see extract contract v1 for its keys"
        )
    # Times and date-times are never valid in a manifest: as text they are carried to validation and reported.
    return {k: v.isoformat() if isinstance(v, dt.datetime | dt.time) else v for k, v in manifest.items()}, None


def _parse_manifest(data: bytes | None, framework_override: str | None) -> dict | None:
    """The manifest, with the framework overridden when asked; None when absent or unusable."""
    manifest = _load_manifest(data)[0] if data is not None else None
    if manifest is not None and framework_override:
        manifest["framework"] = framework_override
    return manifest


def _framework_bytes(manifest: dict | None, frameworks_dir: str | None) -> bytes | None:
    """The framework file a manifest names, when it names one that exists (never a path of its choosing)."""
    framework_id = (manifest or {}).get("framework")
    try:
        path = framework_path(framework_id, frameworks_dir) if framework_id else None
    except FrameworkError:
        return None
    return path.read_bytes() if path is not None and path.is_file() else None


def inspection_fingerprint(
    landing: str, inspection_id: str, frameworks_dir: str | None = None, framework_override: str | None = None
) -> tuple[str, dict | None]:
    """An inspection's input fingerprint and manifest, without parsing its cases."""
    fs, root = filesystem(landing)
    files = _gather(fs, root, inspection_id)
    manifest = _parse_manifest(files.manifest, framework_override)
    framework = _framework_bytes(manifest, frameworks_dir)
    return fingerprint(files.parts() + ([framework] if framework is not None else [])), manifest


def _read_manifest(extract: Extract, files: _Files, framework_override: str | None) -> None:
    """The extract's manifest, or the problem that it is missing or unreadable (a refused one is reported once)."""
    file, data = f"{extract.inspection_id}/{MANIFEST_FILE}", files.manifest
    if data is None and any(r["file"] == file for r in files.refused):
        return
    if data is None:
        extract.problems.append(
            problem(
                extract.inspection_id,
                file,
                "manifest_present",
                f"{MANIFEST_FILE} is missing: every inspection folder needs one",
            )
        )
        return
    _, reason = _load_manifest(data)
    if reason:
        extract.problems.append(problem(extract.inspection_id, file, "readable", reason))
    extract.manifest = _parse_manifest(data, framework_override)


def _read_cases(extract: Extract, files: _Files) -> None:
    """The extract's cases, parsed in the child process, or the problems that keep them from being used."""
    inspection_id, present = extract.inspection_id, files.present
    if not present:
        extract.problems.append(
            problem(
                inspection_id,
                f"{inspection_id}/",
                "cases_present",
                f"no cases file: add one of {', '.join(CASES_FILES)}",
            )
        )
    elif len(present) > 1:
        extract.problems.append(
            problem(
                inspection_id,
                f"{inspection_id}/",
                "one_cases_file",
                f"more than one cases file ({', '.join(present)}): keep only the current one",
            )
        )
    elif files.cases is not None:
        name = present[0]
        extract.cases_file = f"{inspection_id}/{name}"
        if not files.cases.strip():
            extract.problems.append(
                problem(
                    inspection_id,
                    extract.cases_file,
                    "not_empty",
                    f"{name} is empty: it needs a header row and one row per case",
                )
            )
            return
        parsed = read_cases(files.cases, name)
        extract.header_rows = parsed.header_rows
        extract.problems += [
            problem(inspection_id, extract.cases_file, p["check"], p["message"], column=p["column"], value=p["value"])
            for p in parsed.problems
        ]
        if parsed.frame is not None and parsed.frame.height == 0:
            extract.problems.append(
                problem(
                    inspection_id, extract.cases_file, "not_empty", f"{name} has no cases: it has a header but no rows"
                )
            )
        elif parsed.frame is not None:
            extract.cases = parsed.frame


def read_extract(
    landing: str, inspection_id: str, frameworks_dir: str | None = None, framework_override: str | None = None
) -> Extract:
    """Read one inspection's manifest and cases file; problems reading them become quarantine rows."""
    fs, root = filesystem(landing)
    files = _gather(fs, root, inspection_id)
    extract = Extract(inspection_id, problems=list(files.refused))
    if files.folder is not None:
        _read_manifest(extract, files, framework_override)
        _read_cases(extract, files)
    framework = _framework_bytes(extract.manifest, frameworks_dir)
    extract.fingerprint = fingerprint(files.parts() + ([framework] if framework is not None else []))
    return extract
