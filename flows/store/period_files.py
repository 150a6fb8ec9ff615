"""Staging a period's cross-inspection files (comparison tables and national overview) before a commit lists them."""

from __future__ import annotations

import hashlib

import polars as pl

from flows.store.manifest import NATIONAL, PENDING, PeriodPublication, resource, schema_path
from flows.store.warehouse import ANNEXE, Warehouse, fault, parquet_bytes
from schemas.tables import SCHEMA_VERSION


def stage_period_files(
    warehouse: Warehouse,
    period: str,
    run_id: str,
    tables: dict[str, pl.DataFrame],
    files: dict[str, bytes],
    listed: list[dict],
) -> PeriodPublication:
    """Write a period's new files where no manifest reader looks yet; unchanged files keep their entries.

    Parquet is named by the sha256 of its bytes, so the same figures keep the same file; overview files wait
    in a pending folder until finish_periods() puts them at their stable names. `listed` are the period's
    entries in the manifest now.
    """
    by_path = {entry["path"]: entry for entry in listed}
    resources = []
    for table, frame in tables.items():
        data = parquet_bytes(frame.drop("period", strict=False))
        path = f"{ANNEXE}/{table}/period={period}/part-{hashlib.sha256(data).hexdigest()[:16]}.parquet"
        if warehouse.write_if_changed(path, data) or path not in by_path:  # rewritten when damaged on disk
            entry = resource(
                path, data, type="table", schema=schema_path(table), table=table, period=period, rows=frame.height,
                schema_version=SCHEMA_VERSION, run_id=run_id,
            )  # fmt: skip
        else:
            entry = by_path[path]
        resources.append(entry)
        fault("between_files")
    token = hashlib.sha256(b"".join(files.values())).hexdigest()[:16]
    for name, data in files.items():
        stable = f"{NATIONAL}/{period}/{name}"
        old = by_path.get(stable)
        if old and old["sha256"] == hashlib.sha256(data).hexdigest() and not warehouse.write_if_changed(stable, data):
            resources.append(old)
            continue
        path = f"{NATIONAL}/{period}/{PENDING}/{token}/{name}"
        warehouse.write_atomic(path, data)
        resources.append(resource(path, data, table="national_overview", period=period, run_id=run_id))
    return PeriodPublication(period, resources)
