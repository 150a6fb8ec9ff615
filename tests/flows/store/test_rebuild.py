"""datapackage.json rebuilt a shard at a time: the same bytes as the whole manifest written at once."""

from __future__ import annotations

import json

from flows.store import manifest, rebuild, shards
from flows.store.warehouse import Warehouse


def _entry(path: str, **extra) -> dict:
    return {"name": manifest.resource_name(path), "path": path, "sha256": "0" * 64, "size": 1, **extra}


def _inspection(inspection_id: str, period: str) -> dict:
    """A shard whose entries sit in every kind of folder an inspection has, some listed pending."""
    own = {"inspection_id": inspection_id}
    return {
        "state": {"fingerprint": "f", "period": period, "pdu": f"pdu {inspection_id}", "region": "r",
                  "fieldwork_start": "2025-05-01", "framework": "pdu-2025", "national": {"q": {"p": 50}}},
        "resources": [
            _entry(f"annexe/inspections/inspection_id={inspection_id}/part-1.parquet", table="inspections", **own),
            _entry(f"annexe/key_question_results/inspection_id={inspection_id}/part-1.parquet",
                   table="key_question_results", **own),
            _entry(f"annexe/files/{inspection_id}/data-annexe.html", table="annexe_file", **own),
            _entry(f"annexe/files/{inspection_id}/.pending/abc/data-annexe.xlsx", table="annexe_file", **own),
        ],
    }  # fmt: skip


# "a" and "a-2": the path "…=a-2/…" sorts before "…=a/…" though the id "a" sorts before "a-2"
IDS = {"a": "2025-26", "a-2": "2025-26", "b": "2024-25", "files": "2024-25", "z_9": "2025-26"}
SHARED = [
    _entry("annexe/files/index.html", table="annexe_index"),
    _entry("annexe/files/national/2025-26/overview.html", table="national_overview", period="2025-26"),
    _entry("annexe/national_results/period=2025-26/part-1.parquet", table="national_results", period="2025-26"),
    _entry("annexe/inspections/inspection_id=_empty/part-empty.parquet", table="inspections", rows=0),
    _entry("annexe/schemas/inspections.json", table="table_schema"),
    _entry("annexe/data-dictionary.md", table="data_dictionary"),
    _entry("annexe/runs/run_id=r1/part-0.parquet", table="runs", run_id="r1"),
    _entry("annexe/files/a/stray.html", table="annexe_file"),  # in an inspection's folder, owned by none
]


def _warehouse(tmp_path) -> tuple[Warehouse, dict]:
    warehouse = Warehouse(str(tmp_path))
    for inspection_id, period in IDS.items():
        shard = _inspection(inspection_id, period)
        shards.write_shard(warehouse, inspection_id, shard["state"], list(reversed(shard["resources"])))
    package = {**manifest.empty(), "periods_pending": ["2025-26"], "title": "Annexe", "resources": SHARED}
    del package["inspections"]
    return warehouse, package


def test_the_rebuild_writes_the_bytes_the_whole_manifest_gives(tmp_path):
    warehouse, package = _warehouse(tmp_path)
    whole = {**manifest.empty(), "periods_pending": ["2025-26"], "title": "Annexe", "resources": list(SHARED)}
    for inspection_id in IDS:
        shard = _inspection(inspection_id, IDS[inspection_id])
        whole["resources"] += shard["resources"]
        whole["inspections"][inspection_id] = shard["state"]
    whole["resources"].sort(key=lambda r: r["path"])
    whole["inspections"] = dict(sorted(whole["inspections"].items()))

    streamed = b"".join(rebuild.chunks(warehouse, package, lambda ids: shards.read_many(warehouse, ids, chunk=2)))

    assert streamed == (json.dumps(whole, indent=2) + "\n").encode()
    paths = [r["path"] for r in json.loads(streamed)["resources"]]
    assert paths.index("annexe/files/a-2/data-annexe.html") < paths.index(
        "annexe/files/a/.pending/abc/data-annexe.xlsx"
    )
    assert list(json.loads(streamed))[:5] == ["profile", "name", "resources", "inspections", "periods_pending"]


def test_a_listing_can_leave_an_inspection_out_or_list_it_otherwise(tmp_path):
    warehouse, package = _warehouse(tmp_path)
    older = _inspection("b", "2023-24")

    def listing(inspection_ids: list[str]):
        for inspection_id, shard in shards.read_many(warehouse, inspection_ids):
            yield inspection_id, {"a-2": None, "b": older}.get(inspection_id, shard)

    written = json.loads(b"".join(rebuild.chunks(warehouse, package, listing)))

    assert list(written["inspections"]) == ["a", "b", "files", "z_9"]
    assert written["inspections"]["b"]["period"] == "2023-24"
    assert not any("a-2/" in r["path"] for r in written["resources"])
    seen = rebuild.published(warehouse, listing)
    assert seen["inspections"]["b"] == {k: older["state"][k] for k in rebuild.PLACE}
    assert sorted(r["inspection_id"] for r in seen["resources"]) == ["a", "b", "files", "z_9"]
    assert seen["tables"] == {"inspections", "key_question_results", "annexe_file"}


def test_an_empty_warehouse_rebuilds_to_an_empty_package(tmp_path):
    package = {key: value for key, value in manifest.empty().items() if key != "inspections"}

    written = b"".join(rebuild.chunks(Warehouse(str(tmp_path)), package, lambda ids: ((i, None) for i in ids)))

    assert written == (json.dumps(manifest.empty(), indent=2) + "\n").encode()


def test_a_run_s_datapackage_json_is_the_whole_manifest_its_shards_make(broken_run):
    warehouse = Warehouse(str(broken_run["warehouse"]))
    on_disk = (broken_run["warehouse"] / "datapackage.json").read_bytes()
    found = shards.all_shards(warehouse)  # assembled here in memory, as the pipeline no longer does
    whole = {key: value for key, value in manifest.read_package(warehouse).items() if key != "root"}
    whole["resources"] = sorted(whole["resources"] + [r for s in found.values() for r in s["resources"]],
                                key=lambda r: r["path"])  # fmt: skip
    whole = {**{k: v for k, v in whole.items() if k in ("profile", "name", "resources")},
             "inspections": {i: found[i]["state"] for i in sorted(found)},
             **{k: v for k, v in whole.items() if k not in ("profile", "name", "resources")}}  # fmt: skip

    assert (json.dumps(whole, indent=2) + "\n").encode() == on_disk
    assert len(found) >= 5 and all(r["path"] in on_disk.decode() for s in found.values() for r in s["resources"])
