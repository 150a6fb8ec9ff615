"""The annexe files of a batch's passing inspections, rendered on every core: worker processes take paths and ids.

The spreadsheet and HTML writers are pure Python, so threads share one core; separate processes use them all.
Each worker reads the batch's computed tables from staging itself (no frame crosses a process boundary) and
hands back each inspection's files as bytes. Rendering is a pure function of its inputs: a worker process
renders byte for byte what this process would. Where `worker_folder` says the work stays in this process (object
storage, a Dask worker), the batch is rendered here.
"""

from __future__ import annotations

import atexit
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl

from flows import prefect_runtime
from flows.store.staging import Batch
from flows.store.warehouse import Warehouse, worker_folder
from schemas.tables import COMPUTED_TABLES, TABLES
from transforms.framework import Framework, cached_loader

PROCESSES_SETTING = "ANNEXE_RENDER_PROCESSES"
_pools: dict[int, ProcessPoolExecutor] = {}


def render_files(tables: dict[str, pl.DataFrame], framework: Framework, publication: dict) -> dict[str, bytes]:
    """The inspection's data annexe: accessible spreadsheet and HTML page."""
    from flows.render.html import annexe_html
    from flows.render.spreadsheet import spreadsheet_bytes

    return {
        "data-annexe.xlsx": spreadsheet_bytes(tables, framework, publication),
        "data-annexe.html": annexe_html(tables, framework, publication).encode("utf-8"),
    }


def inspection_tables(partitioned: dict[str, dict], inspection_id: str) -> dict[str, pl.DataFrame]:
    """One inspection's computed tables from a batch's tables partitioned by inspection.

    Every computed table is published for every inspection, empty where the extract had nothing for it (an
    extract without prompt columns has no prompt results).
    """
    key = (inspection_id,)
    return {
        name: partitioned[name].get(key, pl.DataFrame(schema=TABLES[name].polars_schema)) for name in COMPUTED_TABLES
    }


def processes() -> int:
    """How many processes render (ANNEXE_RENDER_PROCESSES, default one per core up to two; 1 renders here)."""
    setting = os.environ.get(PROCESSES_SETTING, "").strip()
    if setting.isdigit() and int(setting) >= 1:
        return int(setting)
    return max(1, min(2, os.cpu_count() or 1))


def render_chunk(warehouse_url: str, batch_folder: str, frameworks_dir: str, jobs: dict[str, dict]) -> dict:
    """Render the annexe files of the given inspections of a batch (publication settings by inspection id)."""
    batch = Batch(Warehouse(warehouse_url), batch_folder)
    partitioned = {
        name: frame.partition_by("inspection_id", as_dict=True) for name, frame in batch.read_tables().items()
    }
    load = cached_loader(frameworks_dir)
    rendered = {}
    for inspection_id, publication in jobs.items():
        own = inspection_tables(partitioned, inspection_id)
        rendered[inspection_id] = render_files(own, load(own["inspections"]["framework"].item()), publication)
    return rendered


def _pool(size: int) -> ProcessPoolExecutor:
    if size not in _pools:
        _pools[size] = prefect_runtime.worker_pool(size)
    return _pools[size]


def render_batch(warehouse_url: str, batch_folder: str, frameworks_dir: str, jobs: dict[str, dict]) -> dict:
    """Every job's annexe files by inspection id, rendered by `processes()` processes."""
    size = min(processes(), len(jobs))
    warehouse = worker_folder(warehouse_url) if size > 1 else None
    if warehouse is None:
        return render_chunk(warehouse_url, batch_folder, frameworks_dir, jobs)
    frameworks_dir = str(Path(frameworks_dir).resolve())  # the workers' working folder is the one they started in
    ids = list(jobs)
    chunks = [ids[k::size] for k in range(size)]
    futures = [
        _pool(size).submit(render_chunk, warehouse, batch_folder, frameworks_dir, {i: jobs[i] for i in chunk})
        for chunk in chunks
    ]
    rendered = {}
    for future in futures:
        rendered |= future.result()
    return rendered


@atexit.register
def shutdown() -> None:
    """Stop the rendering processes (at the end of a run, and when this process exits)."""
    while _pools:
        _pools.popitem()[1].shutdown(wait=True, cancel_futures=True)
