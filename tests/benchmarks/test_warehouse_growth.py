"""The warehouse-growth benchmark builds warehouses the pipeline reads as published and unchanged."""

from __future__ import annotations

import json

from benchmarks.warehouse_growth import main


def test_commit_and_unchanged_planning_are_measured_on_warehouses_of_two_sizes(tmp_path, capsys):
    out = tmp_path / "growth.json"
    assert main(["--sizes", "3", "8", "--landing", "2", "--repeats", "1", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert sorted(results, key=int) == ["3", "8"]
    # a manifest listing 8 inspections is bigger than one listing 3 (every table and annexe file of each)
    assert results["8"]["manifest_bytes"] > results["3"]["manifest_bytes"] * 2
    measures = ("commit", "assess", "plan", "nightly", "consolidate")
    assert all(r[f"{m}_seconds"] > 0 for r in results.values() for m in measures)
    assert "N =      8" in capsys.readouterr().out
