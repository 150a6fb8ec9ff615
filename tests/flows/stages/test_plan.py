"""Planning a run: which inspections are processed, in batches of a bounded size."""

from __future__ import annotations

from flows.stages.plan import batches


def test_batches_keep_order_and_bound_size():
    assert batches(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert batches([], 50) == []
