"""The warehouse: atomic writes, private files for case-level data, and reads that follow the manifest."""

from __future__ import annotations

import stat

import polars as pl

from flows.store import manifest
from flows.store.warehouse import Warehouse, parquet_bytes, read_table
from schemas.tables import TABLES


def test_write_atomic_leaves_no_temporary_file_and_replaces_whole(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    warehouse.write_atomic("a/b.txt", b"old")
    warehouse.write_atomic("a/b.txt", b"new")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]
    assert warehouse.read_bytes("a/b.txt") == b"new"


def test_private_files_are_readable_by_their_owner_only(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    warehouse.write_atomic("_staging/run/batch/raw/x.parquet", b"cases", private=True)
    assert stat.S_IMODE((tmp_path / "_staging/run/batch/raw/x.parquet").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "_staging/run/batch/raw").stat().st_mode) == 0o700


def test_write_if_changed_keeps_an_unchanged_file_untouched(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    assert warehouse.write_if_changed("f.txt", b"x") is True
    mtime = (tmp_path / "f.txt").stat().st_mtime_ns
    assert warehouse.write_if_changed("f.txt", b"x") is False
    assert (tmp_path / "f.txt").stat().st_mtime_ns == mtime


def test_write_stream_if_changed_writes_the_pieces_once_and_leaves_the_same_content_alone(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    assert warehouse.write_stream_if_changed("d/f.json", iter([b"ab", b"", b"c"])) is True
    assert warehouse.read_bytes("d/f.json") == b"abc"
    mtime = (tmp_path / "d/f.json").stat().st_mtime_ns
    assert warehouse.write_stream_if_changed("d/f.json", iter([b"a", b"bc"])) is False
    assert (tmp_path / "d/f.json").stat().st_mtime_ns == mtime
    assert warehouse.write_stream_if_changed("d/f.json", iter([b"abd"])) is True  # same size, other bytes
    assert warehouse.read_bytes("d/f.json") == b"abd"
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["f.json"]


def test_parquet_bytes_are_deterministic():
    frame = pl.DataFrame({"a": [1, 2], "b": ["x", None]})
    assert parquet_bytes(frame) == parquet_bytes(frame.clone())


def test_read_table_reads_only_what_the_manifest_lists(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    spec = TABLES["sample_profile"]
    rows = (
        pl.DataFrame(
            {
                "inspection_id": ["x-2025"],
                "dimension": ["sex"],
                "category": ["male"],
                "cases": [7],
                "suppressed": [False],
                "fingerprint": ["f" * 64],
            }
        )
        .select([c for c in spec.column_names])
        .cast(spec.polars_schema)
    )
    resources = manifest.stage_files(warehouse, "x-2025", "f" * 64, "run", {"sample_profile": rows}, {})
    assert read_table(str(tmp_path), "sample_profile").height == 0  # written, not yet committed
    manifest.commit(warehouse, [manifest.Publication("x-2025", "f" * 64, {"fingerprint": "f" * 64}, resources)])
    assert read_table(str(tmp_path), "sample_profile").to_dicts() == rows.to_dicts()
    assert read_table(str(tmp_path), "inspections").schema == TABLES["inspections"].polars_schema
