"""National: the national figures each passing inspection's annexe shows, fixed once for the whole run.

They are the figures of the inspection's period and framework as they will stand once the run has published:
the period's published inspections (less those the run replaces) and every inspection the run publishes.
Computed here, after the quality gate has judged every batch and before any batch commits, they do not depend
on which batch commits first, so a run on a Dask cluster publishes byte for byte what a thread-pool run does.
"""

from __future__ import annotations

import polars as pl

from flows.stages.periods import national_at_publication
from flows.store import manifest
from flows.store.staging import Batch
from flows.store.warehouse import Warehouse

INPUTS = ("inspections", "key_question_results")


def national(warehouse_url: str, batch_folders: list[str]) -> list[str]:
    """Stage each batch's national figures by inspection; return the batch folders."""
    warehouse = Warehouse(warehouse_url)
    batches = [Batch(warehouse, folder) for folder in batch_folders]
    ingested = [batch.read_ingested() for batch in batches]
    # the run's own inspections' shards only: every inspection's place is read once, below, under the lock
    committed = manifest.read_inspections(warehouse, [r["inspection_id"] for records in ingested for r in records])
    passing, kept, fresh = [], {}, {name: [] for name in INPUTS}
    for batch, records in zip(batches, ingested, strict=True):
        tables = batch.read_tables(INPUTS)
        rejected = set(batch.read_problems()["inspection_id"]) | set(batch.read_quality()["inspection_id"])
        computed = set(tables["inspections"]["inspection_id"])
        own = []
        for record in records:
            inspection_id = record["inspection_id"]
            if inspection_id in rejected or inspection_id not in computed:
                continue
            own.append(inspection_id)
            state = committed["inspections"].get(inspection_id) or {}
            # The same inputs again (a forced backfill, a repair) keep the figures first published with them,
            # so that the annexe comes out byte for byte the same.
            if state.get("fingerprint") == record["fingerprint"] and state.get("national"):
                kept[inspection_id] = state["national"]
        passing.append(own)
        for name in INPUTS:
            chosen = [i for i in own if i not in kept]
            fresh[name].append(tables[name].filter(pl.col("inspection_id").is_in(chosen)))
    figures = dict(kept)
    inspections = pl.concat(fresh["inspections"]) if fresh["inspections"] else None
    if inspections is not None and inspections.height:
        # Under the manifest lock: another run cannot replace (and delete) the files of the period read here.
        with warehouse.lock("manifest"):
            now = manifest.published(warehouse)
            figures |= national_at_publication(warehouse, now, inspections, pl.concat(fresh["key_question_results"]))
    for batch, own in zip(batches, passing, strict=True):
        batch.write_national({inspection_id: figures[inspection_id] for inspection_id in own})
    return batch_folders
