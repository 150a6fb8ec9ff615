"""datapackage.json: every listed file holds the listed bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import polars as pl

from tests.conftest import SAMPLES


def NO_PERIODS(before: dict, after: dict, inspection_ids: set[str]) -> set[str]:  # noqa: N802
    """A period toucher for inspections without tables that periods are computed from."""
    return set()


def test_every_manifest_checksum_matches_its_file(broken_run):
    warehouse = broken_run["warehouse"]
    manifest = json.loads((warehouse / "datapackage.json").read_text())
    assert manifest["profile"] == "data-package"
    listed = set()
    for entry in manifest["resources"]:
        path = warehouse / entry["path"]
        data = path.read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["path"]
        assert entry["size"] == len(data)
        if entry["format"] == "parquet":
            assert entry["rows"] == pl.read_parquet(path).height
            assert entry["schema_version"] and entry["schema"] == f"annexe/schemas/{entry['table']}.json"
            assert entry.get("run_id") or entry["rows"] == 0
        listed.add(entry["path"])
    on_disk = {str(p.relative_to(warehouse)) for p in (warehouse / "annexe").rglob("*") if p.is_file()}
    assert on_disk <= listed, on_disk - listed
    assert len({e["name"] for e in manifest["resources"]}) == len(manifest["resources"])
    for inspection_id in SAMPLES:
        assert f"annexe/files/{inspection_id}/data-annexe.xlsx" in listed
        assert f"annexe/files/{inspection_id}/data-annexe.html" in listed


def _publish(warehouse, inspection_id: str, fingerprint: str, page: bytes):
    from flows.store import manifest

    frame = pl.DataFrame({"inspection_id": [inspection_id], "cases": [1]})
    resources = manifest.stage_files(
        warehouse, inspection_id, fingerprint, "run", {"inspections": frame}, {"data-annexe.html": page}
    )
    manifest.commit(
        warehouse, [manifest.Publication(inspection_id, fingerprint, {"fingerprint": fingerprint}, resources)]
    )
    return manifest.consolidate(warehouse, NO_PERIODS)


def test_commit_lists_new_files_at_stable_names_and_removes_replaced_ones(tmp_path):
    from flows.store import manifest
    from flows.store.warehouse import Warehouse

    warehouse = Warehouse(str(tmp_path))
    _publish(warehouse, "x-2025", "a" * 64, b"<p>first</p>")
    _publish(warehouse, "x-2025", "b" * 64, b"<p>second</p>")
    listed = manifest.read(warehouse)
    paths = sorted(r["path"] for r in listed["resources"])
    assert paths == [
        "annexe/files/x-2025/data-annexe.html",
        "annexe/inspections/inspection_id=x-2025/part-bbbbbbbbbbbbbbbb.parquet",
    ]
    assert listed["inspections"]["x-2025"] == {"fingerprint": "b" * 64}
    on_disk = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "annexe").rglob("*") if p.is_file())
    assert on_disk == paths
    assert (tmp_path / "annexe/files/x-2025/data-annexe.html").read_bytes() == b"<p>second</p>"


def test_heal_finishes_a_commit_interrupted_before_the_files_were_moved(tmp_path):
    from flows.store import manifest
    from flows.store.warehouse import Warehouse

    warehouse = Warehouse(str(tmp_path))
    resources = manifest.stage_files(warehouse, "x-2025", "a" * 64, "run", {}, {"data-annexe.html": b"page"})
    # committed, then a crash before consolidate(): datapackage.json does not list it yet
    manifest.commit(warehouse, [manifest.Publication("x-2025", "a" * 64, {"fingerprint": "a" * 64}, resources)])
    assert not (tmp_path / "datapackage.json").exists()
    assert [r["path"] for r in manifest.read(warehouse)["resources"]] == [r["path"] for r in resources]
    healed = manifest.heal(warehouse, ["x-2025"], NO_PERIODS)
    assert healed == {"finished": ["x-2025"], "damaged": [], "periods_finished": []}
    healed = manifest.read(warehouse)
    assert [r["path"] for r in healed["resources"]] == ["annexe/files/x-2025/data-annexe.html"]
    assert "pending" not in healed["inspections"]["x-2025"]
    assert not (tmp_path / "annexe/files/x-2025/.pending").exists()
    assert manifest.heal(warehouse, ["x-2025"], NO_PERIODS) == {"finished": [], "damaged": [], "periods_finished": []}
    (tmp_path / "annexe/files/x-2025/data-annexe.html").write_bytes(b"pag")  # truncated: damage, not a crash
    damaged = manifest.heal(warehouse, ["x-2025"], NO_PERIODS)
    assert damaged == {"finished": [], "damaged": ["x-2025"], "periods_finished": []}


def test_record_replaces_the_entries_of_files_that_belong_to_no_inspection(tmp_path):
    from flows.store import manifest
    from flows.store.warehouse import Warehouse

    warehouse = Warehouse(str(tmp_path))
    manifest.record(warehouse, [manifest.resource("annexe/files/index.html", b"v1", table="annexe_index")])
    manifest.record(warehouse, [manifest.resource("annexe/files/index.html", b"v2", table="annexe_index")])
    [entry] = manifest.read(warehouse)["resources"]
    assert entry["sha256"] == hashlib.sha256(b"v2").hexdigest() and entry["size"] == 2


def test_the_manifest_is_written_piece_by_piece_as_json_dumps_writes_it_whole():
    from flows.store import manifest

    shapes = [
        {},
        {"profile": "data-package"},
        manifest.empty(),
        {
            "name": "x",
            "resources": [{"path": "a", "rows": [1, {"b": None}], "text": 'é"\\'}, {"path": "b", "empty": {}}],
            "inspections": {"i-1": {"revisions": [1, 2], "national": {}}, "i-2": {}},
            "periods_pending": ["2024-25"],
            "later": [],
            "first_published": dt.date(2025, 1, 2),
        },
        {"resources": [{"path": "a"}], "inspections": {"i": 1}, "title": "last"},
    ]
    for shape in shapes:
        whole = (json.dumps(shape, indent=2, default=str) + "\n").encode()
        assert b"".join(manifest.json_chunks(shape)) == whole
