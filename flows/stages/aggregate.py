"""Aggregate: compute every published table for a batch's valid inspections, one framework at a time."""

from __future__ import annotations

from collections import defaultdict

import polars as pl

from flows.store.staging import Batch
from flows.store.warehouse import Warehouse
from schemas.tables import COMPUTED_TABLES, TABLES
from transforms.framework import cached_loader
from transforms.tables import build_tables


def aggregate(warehouse_url: str, batch_folder: str, frameworks_dir: str, suppression_threshold: int) -> str:
    """Stage the batch's computed tables, each checked against its published schema; return the batch folder."""
    batch = Batch(Warehouse(warehouse_url), batch_folder)
    load = cached_loader(frameworks_dir)
    manifests, organisational, cases = batch.read_valid()
    parts: dict[str, list[pl.DataFrame]] = defaultdict(list)
    if cases is not None:
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
    tables = {}
    for name in COMPUTED_TABLES:
        spec = TABLES[name]
        tables[name] = pl.concat(parts[name]) if parts[name] else pl.DataFrame(schema=spec.polars_schema)
        spec.pandera_schema().validate(tables[name])
    batch.write_tables(tables)
    return batch_folder
