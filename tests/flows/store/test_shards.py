"""The manifest's per-inspection shards: a commit writes only its inspections' shards; datapackage.json is rebuilt
from them once a run, and a warehouse from before them gets them."""

from __future__ import annotations

import json

import polars as pl
import pytest

from flows.store import manifest, shards
from flows.store.warehouse import Warehouse


def NO_PERIODS(before: dict, after: dict, inspection_ids: set[str]) -> set[str]:  # noqa: N802
    """A period toucher for inspections without tables that periods are computed from."""
    return set()


def _commit(warehouse: Warehouse, inspection_id: str, fingerprint: str, page: bytes) -> list[dict]:
    frame = pl.DataFrame({"inspection_id": [inspection_id], "cases": [1]})
    resources = manifest.stage_files(
        warehouse, inspection_id, fingerprint, "run", {"inspections": frame}, {"data-annexe.html": page}
    )
    manifest.commit(
        warehouse, [manifest.Publication(inspection_id, fingerprint, {"fingerprint": fingerprint}, resources)]
    )
    return resources


def test_a_commit_leaves_datapackage_json_alone_until_the_run_consolidates(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    _commit(warehouse, "a-2025", "a" * 64, b"<p>a</p>")
    manifest.consolidate(warehouse, NO_PERIODS)
    root = (tmp_path / "datapackage.json").read_bytes()

    staged = _commit(warehouse, "b-2025", "b" * 64, b"<p>b</p>")
    _commit(warehouse, "a-2025", "c" * 64, b"<p>a again</p>")

    assert (tmp_path / "datapackage.json").read_bytes() == root  # readers of the file see the last rebuild
    assert shards.markers(warehouse) == ["a-2025", "b-2025"]
    committed = manifest.read(warehouse)  # the pipeline's reader sees every commit
    assert committed["inspections"]["a-2025"] == {"fingerprint": "c" * 64, "pending": "c" * 64}
    assert {r["path"] for r in committed["resources"] if r["inspection_id"] == "b-2025"} == {r["path"] for r in staged}
    # the replaced version's files stay on disk while datapackage.json lists them
    assert (tmp_path / "annexe/files/a-2025/data-annexe.html").read_bytes() == b"<p>a</p>"

    assert manifest.consolidate(warehouse, NO_PERIODS) == ["a-2025", "b-2025"]
    rebuilt = json.loads((tmp_path / "datapackage.json").read_text())
    assert sorted(r["path"] for r in rebuilt["resources"]) == [
        "annexe/files/a-2025/data-annexe.html",
        "annexe/files/b-2025/data-annexe.html",
        "annexe/inspections/inspection_id=a-2025/part-cccccccccccccccc.parquet",
        "annexe/inspections/inspection_id=b-2025/part-bbbbbbbbbbbbbbbb.parquet",
    ]
    assert rebuilt["inspections"]["a-2025"] == {"fingerprint": "c" * 64}
    assert (tmp_path / "annexe/files/a-2025/data-annexe.html").read_bytes() == b"<p>a again</p>"
    on_disk = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "annexe").rglob("*") if p.is_file())
    assert on_disk == sorted(r["path"] for r in rebuilt["resources"])
    assert shards.markers(warehouse) == []
    assert manifest.read_inspections(warehouse, ["a-2025"])["inspections"] == {"a-2025": {"fingerprint": "c" * 64}}
    assert manifest.read_package(warehouse)["resources"] == []  # every file belongs to an inspection


def test_consolidation_names_the_inspections_whose_tables_changed(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    _commit(warehouse, "a-2025", "a" * 64, b"a")
    rejected = manifest.stage_files(
        warehouse, "b-2025", "b" * 64, "run", {"quarantine": pl.DataFrame({"inspection_id": ["b-2025"]})}, {}
    )
    manifest.commit(
        warehouse,
        [manifest.Publication("b-2025", "b" * 64, {"rejected_fingerprint": "b" * 64}, rejected, {"quarantine"})],
    )
    seen = []

    def touches(before: dict, after: dict, inspection_ids: set[str]) -> set[str]:
        seen.append((sorted(before["inspections"]), sorted(after["inspections"]), sorted(inspection_ids)))
        return {"2025-26"}

    manifest.consolidate(warehouse, touches)
    assert seen == [([], ["a-2025", "b-2025"], ["a-2025"])]  # b-2025's quarantine only: no period changes
    assert manifest.read_package(warehouse)["periods_pending"] == ["2025-26"]


@pytest.mark.parametrize("damage", ["old", "deleted", "edited"])
def test_restore_makes_datapackage_json_and_the_shards_agree(tmp_path, damage):
    warehouse = Warehouse(str(tmp_path))
    _commit(warehouse, "a-2025", "a" * 64, b"a")
    _commit(warehouse, "b-2025", "b" * 64, b"b")
    manifest.consolidate(warehouse, NO_PERIODS)
    expected = json.loads((tmp_path / "datapackage.json").read_text())
    if damage == "old":  # a warehouse published before the shards
        warehouse.remove(shards.FOLDER)
    elif damage == "deleted":
        (tmp_path / "datapackage.json").unlink()
    else:  # a valid manifest that lost an inspection (edited by hand, or an old copy put back)
        edited = {**expected, "inspections": {"a-2025": expected["inspections"]["a-2025"]}}
        edited["resources"] = [r for r in expected["resources"] if r["inspection_id"] == "a-2025"]
        (tmp_path / "datapackage.json").write_text(json.dumps(edited))
    assert manifest.read_package(warehouse) is None  # a plan sees that it must not trust the package part

    assert manifest.restore(warehouse) is None
    assert json.loads((tmp_path / "datapackage.json").read_text()) == expected
    assert manifest.read_package(warehouse) is not None
    assert manifest.read_inspections(warehouse, ["a-2025", "b-2025"])["inspections"] == expected["inspections"]


def test_an_unreadable_datapackage_json_is_set_aside_with_the_shards(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    _commit(warehouse, "a-2025", "a" * 64, b"a")
    manifest.consolidate(warehouse, NO_PERIODS)
    (tmp_path / "datapackage.json").write_text('{"resources": [')

    aside = manifest.restore(warehouse)

    assert aside.startswith("datapackage.json.damaged-") and (tmp_path / aside).read_text() == '{"resources": ['
    assert not (tmp_path / "datapackage.json").exists() and not (tmp_path / shards.FOLDER).exists()
    assert manifest.read(warehouse)["inspections"] == {}  # everything is republished from the landing zone


def test_an_idle_runs_ledger_entry_is_listed_in_the_package_part_until_the_next_rewrite(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    _commit(warehouse, "a-2025", "a" * 64, b"a")
    manifest.consolidate(warehouse, NO_PERIODS)
    root = (tmp_path / "datapackage.json").read_bytes()
    entry = manifest.resource("ledger/runs/run_id=idle/part-0.parquet", b"idle", table="runs")

    manifest.record(warehouse, [entry])

    assert (tmp_path / "datapackage.json").read_bytes() == root
    assert entry in manifest.read(warehouse)["resources"] and entry in manifest.read_package(warehouse)["resources"]
    changed = manifest.resource("ledger/runs/run_id=idle/part-0.parquet", b"idle, rewritten", table="runs")
    manifest.record(warehouse, [changed])  # a listed file changed: datapackage.json is rewritten at once
    assert changed in json.loads((tmp_path / "datapackage.json").read_text())["resources"]
    assert "later" not in json.loads((tmp_path / shards.PACKAGE).read_text())

    another = manifest.resource("ledger/runs/run_id=idle-2/part-0.parquet", b"idle 2", table="runs")
    manifest.record(warehouse, [another])
    _commit(warehouse, "b-2025", "b" * 64, b"b")
    manifest.consolidate(warehouse, NO_PERIODS)  # the next run with work rewrites it, listing the entry
    assert another in json.loads((tmp_path / "datapackage.json").read_text())["resources"]
    assert "later" not in json.loads((tmp_path / shards.PACKAGE).read_text())


@pytest.mark.parametrize("damage", ["garbled", "deleted"])
def test_healing_never_deletes_files_datapackage_json_lists_when_a_shard_is_lost(tmp_path, damage):
    warehouse = Warehouse(str(tmp_path))
    _commit(warehouse, "a-2025", "a" * 64, b"<p>a</p>")
    manifest.consolidate(warehouse, NO_PERIODS)
    listed = sorted(r["path"] for r in json.loads((tmp_path / "datapackage.json").read_text())["resources"])
    shard = tmp_path / shards.shard_path("a-2025")
    shard.write_text('{"state": ') if damage == "garbled" else shard.unlink()
    stray = tmp_path / "annexe/files/a-2025/left-by-a-crash.html"
    stray.write_text("?")

    healed = manifest.heal(warehouse, ["a-2025"], NO_PERIODS)

    assert healed["finished"] == ["a-2025"] and not stray.exists()
    assert all((tmp_path / path).exists() for path in listed)  # the next run republishes it from the landing zone
    assert manifest.read_inspections(warehouse, ["a-2025"])["inspections"] == {}


def _placed(warehouse: Warehouse, inspection_id: str, fingerprint: str, period: str) -> None:
    """Commit an inspection with a place (as a published inspection's state keeps it)."""
    frame = pl.DataFrame({"inspection_id": [inspection_id], "cases": [1]})
    resources = manifest.stage_files(warehouse, inspection_id, fingerprint, "run", {"inspections": frame}, {})
    place = {"period": period, "pdu": "p", "region": "r", "fieldwork_start": "2025-05-01", "framework": "f"}
    manifest.commit(warehouse, [manifest.Publication(inspection_id, fingerprint, place, resources)])


def _seen_by(toucher_calls: list):
    def touches(before: dict, after: dict, inspection_ids: set[str]) -> set[str]:
        period = {i: s.get("period") for i, s in before["inspections"].items()}
        toucher_calls.append((period, {i: s.get("period") for i, s in after["inspections"].items()}))
        return set()

    return touches


@pytest.mark.parametrize("marker", ["kept", "from an older version", "unreadable"])
def test_consolidation_knows_where_datapackage_json_placed_an_inspection_before_its_commits(tmp_path, marker):
    warehouse = Warehouse(str(tmp_path))
    _placed(warehouse, "a-2025", "a" * 64, "2024-25")
    _placed(warehouse, "b-2025", "b" * 64, "2024-25")
    manifest.consolidate(warehouse, NO_PERIODS)
    _placed(warehouse, "a-2025", "c" * 64, "2025-26")  # its fieldwork moved a year
    _placed(warehouse, "a-2025", "d" * 64, "2026-27")  # and again, before the rebuild
    if marker == "from an older version":  # it kept only whether the tables changed
        (tmp_path / shards.marker_path("a-2025")).write_text('{"touches_periods": true}')
    elif marker == "unreadable":
        (tmp_path / shards.marker_path("a-2025")).write_text('{"touches_per')
    calls = []

    manifest.consolidate(warehouse, _seen_by(calls))

    assert calls == [({"a-2025": "2024-25", "b-2025": "2024-25"}, {"a-2025": "2026-27", "b-2025": "2024-25"})]


def test_the_end_of_a_run_never_reads_datapackage_json_whole(tmp_path, monkeypatch):
    warehouse = Warehouse(str(tmp_path))
    _placed(warehouse, "a-2025", "a" * 64, "2024-25")
    manifest.consolidate(warehouse, NO_PERIODS)
    before = json.loads((tmp_path / "datapackage.json").read_text())

    def whole(_warehouse):
        raise AssertionError("datapackage.json read whole")

    monkeypatch.setattr(manifest, "_parse_root", whole)
    _placed(warehouse, "b-2025", "b" * 64, "2024-25")
    manifest.consolidate(warehouse, lambda before, after, ids: {"2024-25"})
    staged = []
    manifest.commit_periods(warehouse, lambda package, pending: staged.append(pending) or [])
    manifest.record(warehouse, [manifest.resource("annexe/files/index.html", b"<p>1</p>", table="annexe_index")])
    waiting = [r["path"] for r in manifest.read_package(warehouse)["resources"]]
    manifest.record(warehouse, [manifest.resource("annexe/files/index.html", b"<p>22</p>", table="annexe_index")])
    monkeypatch.undo()

    after = json.loads((tmp_path / "datapackage.json").read_text())
    assert staged == [["2024-25"]] and "periods_pending" not in after
    # a new file of no inspection waits in the package part until a rewrite; a listed one changed rewrites it
    assert waiting == ["annexe/files/index.html"]
    assert [(r["path"], r["size"]) for r in after["resources"]] == [
        ("annexe/files/index.html", 9),
        ("annexe/inspections/inspection_id=a-2025/part-aaaaaaaaaaaaaaaa.parquet", before["resources"][0]["size"]),
        ("annexe/inspections/inspection_id=b-2025/part-bbbbbbbbbbbbbbbb.parquet", before["resources"][0]["size"]),
    ]
    assert sorted(after["inspections"]) == ["a-2025", "b-2025"]
    assert after["inspections"]["a-2025"] == before["inspections"]["a-2025"]


def test_shards_read_a_chunk_at_a_time_come_in_the_order_asked_with_damaged_and_missing_ones_as_none(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    for inspection_id in ("c-2025", "a-2025", "b-2025"):
        _commit(warehouse, inspection_id, inspection_id[0] * 64, b"x")
    (tmp_path / shards.shard_path("b-2025")).write_text('{"state": []}')

    found = list(shards.read_many(warehouse, ["c-2025", "nobody", "b-2025", "a-2025"], chunk=2))

    assert [(i, shard is not None) for i, shard in found] == [
        ("c-2025", True), ("nobody", False), ("b-2025", False), ("a-2025", True)
    ]  # fmt: skip
    assert found[0][1] == shards.read_shard(warehouse, "c-2025") and found[3][1]["state"]["fingerprint"] == "a" * 64
