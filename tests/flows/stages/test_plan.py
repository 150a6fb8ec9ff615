"""Planning a run: which inspections are processed, in batches of a bounded size."""

from __future__ import annotations

from flows.stages.plan import batches


def test_batches_keep_order_and_bound_size():
    assert batches(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert batches([], 50) == []


def test_an_unchanged_nightly_plans_without_reading_the_whole_manifest(tmp_path, monkeypatch):
    from benchmarks.warehouse_growth import build, synthesise
    from flows.config import DEFAULT_FRAMEWORKS
    from flows.stages.plan import assess, plan
    from flows.store import manifest

    landing = tmp_path / "landing"
    landed = synthesise(landing, 2, 30, seed=3)
    build(tmp_path / "warehouse", 12, landing, landed)  # also gives a warehouse from before the shards its shards
    expected = assess(str(landing), str(tmp_path / "warehouse"), DEFAULT_FRAMEWORKS)
    assert expected["unchanged"] == landed and expected["process"] == [] and expected["repairs"] == []

    def whole_manifest(warehouse):
        raise AssertionError("planning read the whole of datapackage.json")

    monkeypatch.setattr(manifest, "_read_root", whole_manifest)
    assert plan(str(landing), str(tmp_path / "warehouse"), DEFAULT_FRAMEWORKS)["unchanged"] == landed
    assert assess(str(landing), str(tmp_path / "warehouse"), DEFAULT_FRAMEWORKS) == expected
