"""The stages of a run for one batch of inspections, as plain functions over paths and ids (Prefect wraps them)."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from functools import lru_cache

import polars as pl

from flows.landing import read_extract
from flows.warehouse import Warehouse
from schemas.extract import (check_cases, check_cases_many, check_manifest, check_ratable, check_ratable_many,
                             problems_frame)
from schemas.tables import TABLES
from transforms.framework import Framework, load_framework
from transforms.tables import build_tables

INGESTED = "ingested.json"


@lru_cache(maxsize=32)
def framework_loader(frameworks_dir: str):
    """A cached framework loader for one frameworks folder."""

    @lru_cache(maxsize=64)
    def load(framework_id: str) -> Framework:
        return load_framework(framework_id, frameworks_dir)

    return load


def read_frame(warehouse: Warehouse, relative: str) -> pl.DataFrame:
    """A staged Parquet file as a frame."""
    return pl.read_parquet(io.BytesIO(warehouse.read_bytes(relative)))


def write_frame(warehouse: Warehouse, relative: str, frame: pl.DataFrame) -> None:
    """Stage a frame as Parquet."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="lz4")
    warehouse.write_atomic(relative, buffer.getvalue())


def ingest(landing: str, warehouse_url: str, staging: str, inspection_ids: list[str], frameworks_dir: str,
           framework_override: str | None = None) -> str:
    """Read each inspection's extract from the landing zone into staging, noting anything unreadable."""
    warehouse = Warehouse(warehouse_url)
    records = []
    for inspection_id in inspection_ids:
        extract = read_extract(landing, inspection_id, frameworks_dir, framework_override)
        if extract.cases is not None:
            write_frame(warehouse, f"{staging}/raw/{inspection_id}.parquet", extract.cases)
        records.append({
            "inspection_id": inspection_id, "fingerprint": extract.fingerprint, "cases_file": extract.cases_file,
            "header_rows": extract.header_rows, "has_cases": extract.cases is not None,
            "manifest": _json_safe(extract.manifest), "problems": extract.problems,
        })
    warehouse.write_atomic(f"{staging}/{INGESTED}", json.dumps(records, default=str).encode())
    return staging


def _json_safe(manifest: dict | None) -> str | None:
    """The manifest as TOML-typed JSON text (dates kept as dates on the way back)."""
    if manifest is None:
        return None
    return json.dumps({k: ({"__date__": v.isoformat()} if hasattr(v, "isoformat") else v) for k, v in manifest.items()})


def _manifest_from(text: str | None) -> dict | None:
    if text is None:
        return None
    import datetime as dt

    raw = json.loads(text)
    return {k: (dt.date.fromisoformat(v["__date__"]) if isinstance(v, dict) and "__date__" in v else v)
            for k, v in raw.items()}


def check_extract(inspection_id: str, manifest: dict | None, cases: pl.DataFrame | None, cases_file: str | None,
                  header_rows: int, read_problems: list[dict], load) -> tuple[list[dict], Framework | None]:
    """Every problem with one extract (reading, manifest, cases, ratability) and its framework."""
    found = list(read_problems)
    framework = None
    if manifest is not None:
        manifest_problems, framework = check_manifest(manifest, inspection_id, load)
        found += manifest_problems
    if cases is not None and framework is not None:
        found += check_cases(cases, framework, inspection_id, cases_file, header_rows)
        if not found:
            found += check_ratable(cases, framework, inspection_id, cases_file)
    return found, framework


def _published_columns(cases: pl.DataFrame, framework: Framework) -> list[str]:
    """The columns of a valid extract that the transforms use, in contract order."""
    return ["case_id", *framework.case_characteristics, *framework.question_ids,
            *[p for p in framework.prompt_ids if p in cases.columns]]


def validate(warehouse_url: str, staging: str, frameworks_dir: str) -> str:
    """Check every staged extract against its manifest, its framework and the Pandera schema.

    Pandera runs once per framework and column layout for the whole batch, not once per inspection.
    """
    warehouse = Warehouse(warehouse_url)
    load = framework_loader(frameworks_dir)
    records = json.loads(warehouse.read_bytes(f"{staging}/{INGESTED}"))
    found: dict[str, list[dict]] = {}
    manifests: dict[str, dict] = {}
    by_framework: dict[str, list[tuple[str, pl.DataFrame, str, int]]] = defaultdict(list)
    for record in records:
        inspection_id = record["inspection_id"]
        found[inspection_id] = list(record["problems"])
        manifest = _manifest_from(record["manifest"])
        if manifest is None:
            continue
        manifest_problems, framework = check_manifest(manifest, inspection_id, load)
        found[inspection_id] += manifest_problems
        manifests[inspection_id] = manifest
        if record["has_cases"] and framework is not None:
            cases = read_frame(warehouse, f"{staging}/raw/{inspection_id}.parquet")
            by_framework[framework.id].append((inspection_id, cases, record["cases_file"], record["header_rows"]))

    valid_cases, valid_manifests, organisational = [], [], []
    fingerprints = {r["inspection_id"]: r["fingerprint"] for r in records}
    for framework_id, extracts in by_framework.items():
        framework = load(framework_id)
        for inspection_id, problems in check_cases_many(extracts, framework).items():
            found[inspection_id] += problems
        clean = [(i, cases.select(_published_columns(cases, framework)).with_columns(inspection_id=pl.lit(i)), file)
                 for i, cases, file, _ in extracts if not found[i]]
        if not clean:
            continue
        combined = pl.concat([cases for _, cases, _ in clean], how="diagonal")
        for inspection_id, problems in check_ratable_many(combined, framework, {i: f for i, _, f in clean}).items():
            found[inspection_id] += problems
        for inspection_id, cases, _ in clean:
            if found[inspection_id]:
                continue
            manifest = manifests[inspection_id]
            valid_cases.append(cases)
            valid_manifests.append({
                "inspection_id": inspection_id, "framework": framework.id, "pdu": manifest["pdu"],
                "region": manifest["region"], "fieldwork_start": manifest["fieldwork_start"],
                "fingerprint": fingerprints[inspection_id], "framework_sha256": framework.sha256,
            })
            organisational += [{"inspection_id": inspection_id, "standard_id": s, "rating": r}
                               for s, r in manifest["organisational_ratings"].items()]
    problems = [problems_frame(found[i]).with_columns(fingerprint=pl.lit(fingerprints[i])) for i in found if found[i]]
    quarantine = pl.concat(problems) if problems else problems_frame([]).with_columns(fingerprint=pl.lit(None, pl.String))
    write_frame(warehouse, f"{staging}/quarantine.parquet", TABLES["quarantine"].conform(quarantine))
    write_frame(warehouse, f"{staging}/valid/manifests.parquet", pl.DataFrame(valid_manifests, schema={
        "inspection_id": pl.String, "framework": pl.String, "pdu": pl.String, "region": pl.String,
        "fieldwork_start": pl.Date, "fingerprint": pl.String, "framework_sha256": pl.String}))
    write_frame(warehouse, f"{staging}/valid/organisational_ratings.parquet", pl.DataFrame(
        organisational, schema={"inspection_id": pl.String, "standard_id": pl.String, "rating": pl.String}))
    if valid_cases:
        write_frame(warehouse, f"{staging}/valid/cases.parquet", pl.concat(valid_cases, how="diagonal"))
    return staging


def aggregate(warehouse_url: str, staging: str, frameworks_dir: str, suppression_threshold: int) -> str:
    """Compute every published table for the batch's valid inspections, one framework at a time."""
    warehouse = Warehouse(warehouse_url)
    load = framework_loader(frameworks_dir)
    manifests = read_frame(warehouse, f"{staging}/valid/manifests.parquet")
    parts: dict[str, list[pl.DataFrame]] = defaultdict(list)
    if manifests.height:
        cases = read_frame(warehouse, f"{staging}/valid/cases.parquet")
        organisational = read_frame(warehouse, f"{staging}/valid/organisational_ratings.parquet")
        for (framework_id,), group in manifests.group_by("framework", maintain_order=True):
            ids = group["inspection_id"]
            tables = build_tables(
                cases.filter(pl.col("inspection_id").is_in(ids)),
                group.drop("framework_sha256"),
                organisational.filter(pl.col("inspection_id").is_in(ids)),
                load(framework_id),
                suppression_threshold,
            )
            for name, frame in tables.items():
                parts[name].append(frame)
    for name, spec in TABLES.items():
        if name == "quarantine":
            continue
        frame = pl.concat(parts[name]) if parts[name] else pl.DataFrame(schema=spec.polars_schema)
        spec.pandera_schema().validate(frame)
        write_frame(warehouse, f"{staging}/tables/{name}.parquet", frame)
    return staging


def staged_tables(warehouse: Warehouse, staging: str) -> dict[str, pl.DataFrame]:
    """The batch's computed tables, by name."""
    return {name: read_frame(warehouse, f"{staging}/tables/{name}.parquet") for name in TABLES if name != "quarantine"}


