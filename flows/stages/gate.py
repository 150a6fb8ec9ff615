"""Gate: the Great Expectations quality gate over every batch of a run; a failure stops publication."""

from __future__ import annotations

import polars as pl

from flows.store.staging import Batch
from flows.store.warehouse import Warehouse
from transforms.framework import cached_loader

DOCS = "quality-docs"
# Inspections per gate call: enough that GX's fixed cost per call (seconds) is paid rarely, few enough that the
# tables in memory at once stay bounded however many inspections a run has.
CHUNK_INSPECTIONS = 500


def chunks(sizes: list[int], limit: int = CHUNK_INSPECTIONS) -> list[list[int]]:
    """Consecutive batches (by index) grouped so that each group holds at most `limit` inspections, or one batch."""
    groups: list[list[int]] = []
    held = 0
    for index, size in enumerate(sizes):
        if not groups or held + size > limit:
            groups.append([])
            held = 0
        groups[-1].append(index)
        held += size
    return groups


def gate(warehouse_url: str, batch_folders: list[str], frameworks_dir: str) -> list[str]:
    """Stage each batch's quality-gate failures, gating a bounded number of inspections at a time."""
    from schemas.quality import FAILURE_SCHEMA, quality_failures  # Great Expectations loads only when a run gates

    warehouse = Warehouse(warehouse_url)
    batches = [Batch(warehouse, folder) for folder in batch_folders]
    load = cached_loader(frameworks_dir)
    sizes = [len(batch.read_ingested()) for batch in batches]
    for group in chunks(sizes):
        computed = [batches[k].read_tables() for k in group]
        tables = {name: pl.concat([t[name] for t in computed]) for name in computed[0]}
        frameworks = {f: load(f) for f in tables["inspections"]["framework"].unique().to_list()}
        if tables["inspections"].height:
            docs = warehouse.path(DOCS) if warehouse.local else None
            failures = quality_failures(tables, frameworks, docs_dir=docs)
        else:
            failures = pl.DataFrame(schema=FAILURE_SCHEMA)
        for k, own in zip(group, computed, strict=True):
            batches[k].write_quality(
                failures.filter(pl.col("inspection_id").is_in(own["inspections"]["inspection_id"]))
            )
        del computed, tables
    return batch_folders
