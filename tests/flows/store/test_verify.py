"""annexe verify: every listed file as listed, nothing unlisted, nothing left behind by a dead run."""

from __future__ import annotations

import json
import socket
import time

from flows.store import manifest
from flows.store.verify import verify
from flows.store.warehouse import Warehouse


def _published(tmp_path) -> Warehouse:
    warehouse = Warehouse(str(tmp_path))
    resources = manifest.stage_files(warehouse, "x-2025", "a" * 64, "run", {}, {"data-annexe.html": b"page"})
    manifest.commit(warehouse, [manifest.Publication("x-2025", "a" * 64, {"fingerprint": "a" * 64}, resources)])
    manifest.consolidate(warehouse, lambda before, after, ids: set())
    return warehouse


def test_a_sound_warehouse_has_no_findings(tmp_path):
    _published(tmp_path)
    assert verify(str(tmp_path)) == []


def test_no_warehouse_at_all_is_reported(tmp_path):
    assert [f["kind"] for f in verify(str(tmp_path / "nowhere"))] == ["empty"]


def test_every_kind_of_leftover_is_found(tmp_path):
    warehouse = _published(tmp_path)
    dead = {"pid": 2**22 + 7, "host": socket.gethostname(), "acquired_at": time.time()}
    warehouse.write_atomic("_staging/dead-run/owner.json", json.dumps(dead).encode())
    warehouse.write_atomic("_locks/inspection-x-2025.lock", json.dumps(dead).encode())
    warehouse.write_atomic("annexe/files/x-2025/stray.txt", b"?")
    warehouse.write_atomic("annexe/files/index.html.tmp-0123", b"half")
    warehouse.write_atomic("annexe/files/x-2025/data-annexe.html", b"other")
    found = sorted((f["kind"], f["path"]) for f in verify(str(tmp_path)))
    assert found == [
        ("damaged", "annexe/files/x-2025/data-annexe.html"),
        ("lock", "_locks/inspection-x-2025.lock"),
        ("staging", "_staging/dead-run"),
        ("temporary", "annexe/files/index.html.tmp-0123"),
        ("unlisted", "annexe/files/x-2025/stray.txt"),
    ]


def test_an_unreadable_manifest_is_one_finding(tmp_path):
    _published(tmp_path)
    (tmp_path / "datapackage.json").write_text("{")
    [finding] = verify(str(tmp_path))
    assert finding["kind"] == "manifest" and "cannot be read" in finding["detail"]
