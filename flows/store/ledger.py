"""The runs ledger: one Parquet partition per run, mapping each fingerprint processed to its run and outcome."""

from __future__ import annotations

import datetime as dt

import polars as pl

from flows.config import PIPELINE_VERSION
from flows.store import manifest
from flows.store.warehouse import Warehouse, parquet_bytes
from schemas.tables import RUNS, SCHEMA_VERSION

LEDGER = "ledger/runs"


def ledger_path(run_id: str) -> str:
    """Where a run's rows of the runs ledger live."""
    return f"{LEDGER}/run_id={run_id}/part-0.parquet"


def write(warehouse: Warehouse, run_id: str, trigger: str, started_at: dt.datetime, outcomes: list[dict]) -> dict:
    """Write a run's ledger rows (one per inspection processed, or one `idle` row); return its manifest entry."""
    idle = {"inspection_id": None, "fingerprint": None, "outcome": "idle", "rows": 0, "framework_sha256": None}
    ledger = RUNS.conform(
        pl.DataFrame(outcomes or [idle], schema_overrides={k: RUNS.polars_schema[k] for k in idle})
        .select("inspection_id", "fingerprint", "outcome", "rows", "framework_sha256")
        .with_columns(
            run_id=pl.lit(run_id),
            trigger=pl.lit(trigger),
            started_at=pl.lit(started_at, dtype=pl.Datetime("us", "UTC")),
            pipeline_version=pl.lit(PIPELINE_VERSION),
        )
    )
    data = parquet_bytes(ledger.drop("run_id"))
    warehouse.write_atomic(ledger_path(run_id), data)
    return manifest.resource(
        ledger_path(run_id),
        data,
        type="table",
        schema=manifest.schema_path("runs"),
        table="runs",
        rows=ledger.height,
        schema_version=SCHEMA_VERSION,
        run_id=run_id,
    )


def unlisted(warehouse: Warehouse, listed: set[str]) -> list[dict]:
    """Manifest entries for ledger files on disk that the manifest does not list (a run killed before listing)."""
    import io

    entries = []
    for path in warehouse.list_files(LEDGER):
        if path.endswith("/part-0.parquet") and path not in listed:
            data = warehouse.read_bytes(path)
            run_id = path.split("run_id=", 1)[1].split("/", 1)[0]
            entries.append(
                manifest.resource(
                    path,
                    data,
                    type="table",
                    schema=manifest.schema_path("runs"),
                    table="runs",
                    rows=pl.read_parquet(io.BytesIO(data)).height,
                    schema_version=SCHEMA_VERSION,
                    run_id=run_id,
                )
            )
    return entries
