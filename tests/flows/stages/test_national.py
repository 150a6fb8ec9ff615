"""The national figures an annexe shows are fixed for the whole run, so the order batches commit in is invisible."""

from __future__ import annotations

import json

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages.aggregate import aggregate
from flows.stages.gate import gate
from flows.stages.ingest import ingest
from flows.stages.national import national
from flows.stages.periods import refresh
from flows.stages.publish import publish
from flows.stages.validate import validate
from flows.store import staging
from flows.store.staging import Batch
from flows.store.warehouse import Warehouse
from tests.conftest import LANDING

BATCHES = [["dyfed-powys-2025", "north-shire-2025"], ["band-edges-2025", "east-vale-2024", "south-moor-2025"]]


def _published_in_order(warehouse: str, order: list[int]) -> dict[str, str]:
    """Stage both batches up to the national figures, publish them in `order`; return every file's sha256."""
    config = settings(landing=str(LANDING), warehouse=warehouse)
    folders = staging.batch_folders(staging.claim(warehouse, "run-1"), len(BATCHES))
    for folder, ids in zip(folders, BATCHES, strict=True):
        ingest(config.landing, warehouse, folder, ids, DEFAULT_FRAMEWORKS)
        validate(warehouse, folder, DEFAULT_FRAMEWORKS, config.minimum_cases)
        aggregate(warehouse, folder, DEFAULT_FRAMEWORKS, config.suppression_threshold)
    gate(warehouse, folders, DEFAULT_FRAMEWORKS)
    national(warehouse, folders)
    figures = Batch(Warehouse(warehouse), folders[0]).read_national()
    for k in order:
        publish(warehouse, folders[k], "run-1", DEFAULT_FRAMEWORKS, config.publication)
    assert refresh(warehouse, "run-1", DEFAULT_FRAMEWORKS, config.publication) == ["2024-25", "2025-26"]
    manifest = json.loads(Warehouse(warehouse).read_bytes("datapackage.json"))
    return {"figures": figures, "files": {r["path"]: r["sha256"] for r in manifest["resources"]}}


def test_batches_committed_in_either_order_publish_the_same_files(tmp_path):
    first = _published_in_order(str(tmp_path / "a"), [0, 1])
    second = _published_in_order(str(tmp_path / "b"), [1, 0])
    # Dyfed Powys (first batch) is pooled with Band Edges and South Moor (second batch), all fieldwork 2025-26.
    dyfed = first["figures"]["dyfed-powys-2025"]
    assert (dyfed["period"], dyfed["inspections"]) == ("2025-26", 3)
    assert first["figures"]["north-shire-2025"]["inspections"] == 2  # with East Vale, 2024-25
    assert sum(p.endswith("data-annexe.html") for p in first["files"]) == 5
    assert first == second
