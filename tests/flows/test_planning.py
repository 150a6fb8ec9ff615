"""Planning a run: crashed runs' staging (copies of case-level data) is cleared, live runs' is left alone."""

from __future__ import annotations

import json
import os
import socket
import time

from flows.planning import batches, claim_staging, clear_abandoned_staging
from flows.warehouse import Warehouse


def test_abandoned_staging_is_cleared_and_live_staging_kept(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    live = claim_staging(str(tmp_path), "live-run")
    warehouse.write_atomic(f"{live}/batch-00000/raw/x.parquet", b"cases")
    dead = {"pid": 2**22 + 12345, "host": socket.gethostname(), "acquired_at": time.time()}
    warehouse.write_atomic("_staging/crashed-run/owner.json", json.dumps(dead).encode())
    warehouse.write_atomic("_staging/crashed-run/batch-00000/raw/x.parquet", b"cases")
    old = {"pid": os.getpid(), "host": "elsewhere", "acquired_at": time.time() - 10 * 86400}
    warehouse.write_atomic("_staging/old-run/owner.json", json.dumps(old).encode())
    warehouse.write_atomic("_staging/ownerless-run/batch-00000/raw/x.parquet", b"cases")

    assert sorted(clear_abandoned_staging(warehouse)) == ["crashed-run", "old-run", "ownerless-run"]
    assert sorted(p.name for p in (tmp_path / "_staging").iterdir()) == ["live-run"]
    assert (tmp_path / "_staging/live-run/batch-00000/raw/x.parquet").read_bytes() == b"cases"


def test_batches_keep_order_and_bound_size():
    assert batches(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert batches([], 50) == []
