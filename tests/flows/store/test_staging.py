"""Staging: crashed runs' copies of case-level data are cleared, live runs' are left alone; owner-only files."""

from __future__ import annotations

import json
import os
import socket
import time

from flows.store.staging import claim, clear_abandoned
from flows.store.warehouse import Warehouse


def test_abandoned_staging_is_cleared_and_live_staging_kept(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    live = claim(str(tmp_path), "live-run")
    warehouse.write_atomic(f"{live}/batch-00000/raw/x.parquet", b"cases")
    dead = {"pid": 2**22 + 12345, "host": socket.gethostname(), "acquired_at": time.time()}
    warehouse.write_atomic("_staging/crashed-run/owner.json", json.dumps(dead).encode())
    warehouse.write_atomic("_staging/crashed-run/batch-00000/raw/x.parquet", b"cases")
    old = {"pid": os.getpid(), "host": "elsewhere", "acquired_at": time.time() - 10 * 86400}
    warehouse.write_atomic("_staging/old-run/owner.json", json.dumps(old).encode())
    warehouse.write_atomic("_staging/ownerless-run/batch-00000/raw/x.parquet", b"cases")

    assert sorted(r["run_id"] for r in clear_abandoned(warehouse)) == ["crashed-run", "old-run", "ownerless-run"]
    assert sorted(p.name for p in (tmp_path / "_staging").iterdir()) == ["live-run"]
    assert (tmp_path / "_staging/live-run/batch-00000/raw/x.parquet").read_bytes() == b"cases"


def test_batch_files_round_trip_with_their_types_and_stay_private(tmp_path):
    import datetime as dt
    import stat

    import polars as pl

    from flows.store.staging import Batch, batch_folders, release, run_folder

    warehouse = Warehouse(str(tmp_path))
    [folder] = batch_folders(claim(str(tmp_path), "run-1"), 1)
    batch = Batch(warehouse, folder)
    record = {
        "inspection_id": "x-2025",
        "fingerprint": "f",
        "cases_file": "x-2025/cases.csv",
        "header_rows": 1,
        "has_cases": True,
        "problems": [],
        "manifest": {
            "pdu": "X",
            "fieldwork_start": dt.date(2025, 8, 11),
            "organisational_ratings": {"P1.1": "Good"},
            "region": {"__date__": "not a date"},
        },
    }  # hostile text survives as it was
    batch.write_ingested([record])
    assert batch.read_ingested() == [record]
    batch.write_raw("x-2025", pl.DataFrame({"case_id": ["C1"]}))
    assert batch.read_raw("x-2025").to_dicts() == [{"case_id": "C1"}]
    manifests, organisational, cases = (batch.write_valid([], [], None), batch.read_valid())[1]
    assert manifests.height == 0 and organisational.height == 0 and cases is None
    assert batch.read_outcomes() == []
    for path in (tmp_path / folder).rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    release(warehouse, run_folder(folder))
    assert not (tmp_path / "_staging" / "run-1").exists()
