"""Ingest: read a batch of extracts from the landing zone into staging, noting anything unreadable."""

from __future__ import annotations

from flows.store.landing import read_extract
from flows.store.staging import Batch
from flows.store.warehouse import Warehouse


def ingest(
    landing: str,
    warehouse_url: str,
    batch_folder: str,
    inspection_ids: list[str],
    frameworks_dir: str,
    framework_override: str | None = None,
) -> str:
    """Stage each inspection's cases and a record of what was read; return the batch folder."""
    batch = Batch(Warehouse(warehouse_url), batch_folder)
    records = []
    for inspection_id in inspection_ids:
        extract = read_extract(landing, inspection_id, frameworks_dir, framework_override)
        if extract.cases is not None:
            batch.write_raw(inspection_id, extract.cases)
        records.append(
            {
                "inspection_id": inspection_id,
                "fingerprint": extract.fingerprint,
                "cases_file": extract.cases_file,
                "header_rows": extract.header_rows,
                "has_cases": extract.cases is not None,
                "manifest": extract.manifest,
                "problems": extract.problems,
            }
        )
    batch.write_ingested(records)
    return batch_folder
