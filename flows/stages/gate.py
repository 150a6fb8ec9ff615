"""Gate: the Great Expectations quality gate, once over every batch of a run; a failure stops publication."""

from __future__ import annotations

import polars as pl

from flows.store.staging import Batch
from flows.store.warehouse import Warehouse
from transforms.framework import cached_loader

DOCS = "quality-docs"


def gate(warehouse_url: str, batch_folders: list[str], frameworks_dir: str) -> list[str]:
    """Stage each batch's quality-gate failures; return the batch folders."""
    from schemas.quality import FAILURE_SCHEMA, quality_failures  # Great Expectations loads only when a run gates

    warehouse = Warehouse(warehouse_url)
    batches = [Batch(warehouse, folder) for folder in batch_folders]
    computed = [batch.read_tables() for batch in batches]
    tables = {name: pl.concat([t[name] for t in computed]) for name in computed[0]}
    load = cached_loader(frameworks_dir)
    frameworks = {f: load(f) for f in tables["inspections"]["framework"].unique().to_list()}
    if tables["inspections"].height:
        failures = quality_failures(tables, frameworks, docs_dir=warehouse.path(DOCS) if warehouse.local else None)
    else:
        failures = pl.DataFrame(schema=FAILURE_SCHEMA)
    for batch, own in zip(batches, computed, strict=True):
        batch.write_quality(failures.filter(pl.col("inspection_id").is_in(own["inspections"]["inspection_id"])))
    return batch_folders
