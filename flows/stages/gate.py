"""Gate: the Great Expectations quality gate over every batch of a run; a failure stops publication.

A run gates in a process of its own (`warm` starts it as the run begins, so that Great Expectations' import,
seconds of one core, happens while the run ingests; `gate_elsewhere` hands it paths and stops it). The run's own
process never loads GX, pandas or the frames GX checks, so its memory stays that of the run's other work.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import polars as pl

from flows import prefect_runtime
from flows.store.staging import Batch
from flows.store.warehouse import Warehouse, fault, worker_folder
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


def gate(
    warehouse_url: str, batch_folders: list[str], frameworks_dir: str, limit: int = CHUNK_INSPECTIONS
) -> list[str]:
    """Stage each batch's quality-gate failures, gating at most `limit` inspections at a time."""
    warehouse = Warehouse(warehouse_url)
    batches = [Batch(warehouse, folder) for folder in batch_folders]
    load = cached_loader(frameworks_dir)
    for group in chunks(_sizes(batches), limit):
        _gate_group(warehouse, [batches[k] for k in group], load)
    return batch_folders


def gate_group(warehouse_url: str, batch_folders: list[str], frameworks_dir: str) -> None:
    """Stage the quality-gate failures of batches gated together, as one group (a gate process's job)."""
    warehouse = Warehouse(warehouse_url)
    _gate_group(warehouse, [Batch(warehouse, folder) for folder in batch_folders], cached_loader(frameworks_dir))


def _gate_group(warehouse: Warehouse, batches: list[Batch], load) -> None:
    from schemas.quality import FAILURE_SCHEMA, quality_failures  # Great Expectations loads only when a run gates

    computed = [batch.read_tables() for batch in batches]
    tables = {name: pl.concat([t[name] for t in computed]) for name in computed[0]}
    frameworks = {f: load(f) for f in tables["inspections"]["framework"].unique().to_list()}
    if tables["inspections"].height:
        docs = warehouse.path(DOCS) if warehouse.local else None
        failures = quality_failures(tables, frameworks, docs_dir=docs)
    else:
        failures = pl.DataFrame(schema=FAILURE_SCHEMA)
    fault("mid_gate")
    for batch, own in zip(batches, computed, strict=True):
        batch.write_quality(failures.filter(pl.col("inspection_id").is_in(own["inspections"]["inspection_id"])))


_worker: ProcessPoolExecutor | None = None


def _load_gx() -> None:
    """Load Great Expectations in the gate process as it starts, before it is needed."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import schemas.quality  # noqa: F401, PLC0415 (imports Great Expectations)


def warm(warehouse_url: str) -> None:
    """Start the run's gate process, where the gate runs in one (see `worker_folder`)."""
    if worker_folder(warehouse_url) is not None:
        _start()


def _start() -> None:
    global _worker
    if _worker is None:
        _worker = prefect_runtime.worker_pool(1, _load_gx)
        _worker.submit(int)  # the process starts, and imports, at the first job


def stop() -> None:
    """Stop the gate process, if one is running (its memory goes back as soon as the gate has run)."""
    global _worker
    if _worker is not None:
        _worker.shutdown(wait=True, cancel_futures=True)
        _worker = None


def _sizes(batches: list[Batch]) -> list[int]:
    return [len(batch.read_ingested()) for batch in batches]


def gate_elsewhere(
    warehouse_url: str, batch_folders: list[str], frameworks_dir: str, limit: int = CHUNK_INSPECTIONS
) -> list[str]:
    """`gate` in the run's gate process (started here if `warm` was not called), a fresh process for each group of
    at most `limit` inspections, then stop it; in this process where `worker_folder` says so.

    Measured: after its first group, a gate process holds 60-100 MB more at each later group's peak, which
    neither a collection nor returning free memory to the system gives back; a new process per group keeps every
    group's peak that of the first, at the price of loading GX again (about 5 s) for each group after it.
    """
    warehouse = worker_folder(warehouse_url)
    if warehouse is None:
        return gate(warehouse_url, batch_folders, frameworks_dir, limit)
    frameworks = str(Path(frameworks_dir).resolve())  # the process's working folder is the one it started in
    groups = chunks(_sizes([Batch(Warehouse(warehouse), folder) for folder in batch_folders]), limit)
    try:
        for group in groups:
            _gate_group_elsewhere([batch_folders[k] for k in group], warehouse, frameworks)
    finally:
        stop()
    return batch_folders


def _gate_group_elsewhere(folders: list[str], warehouse: str, frameworks: str) -> None:
    """One group in a gate process of its own, stopped after it."""
    _start()
    try:
        _worker.submit(gate_group, warehouse, folders, frameworks).result()
    except BrokenProcessPool as error:
        raise BrokenProcessPool(
            f"The quality gate's process ended abruptly (out of memory, or killed) while gating {', '.join(folders)}"
        ) from error
    stop()
