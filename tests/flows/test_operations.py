"""Operations (issue 4): incremental runs, crash safety, concurrent runs, locks and third-party readers.

Flows run in this process on the session's temporary Prefect API (`prefect_api`). The crash and concurrency
tests run `annexe` in subprocesses pointed at that same API (PREFECT_API_URL), so that no subprocess has to
start an API of its own.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from polars.testing import assert_frame_equal

from flows.config import DEFAULT_FRAMEWORKS
from flows.store.landing import inspection_fingerprint
from flows.store.manifest import MANIFEST, PENDING
from flows.store.manifest import read as read_manifest
from flows.store.warehouse import Warehouse, read_table
from schemas.comparison_tables import COMPARISON_TABLES
from schemas.tables import COMPUTED_TABLES, TABLES
from tests.broken import BREAKAGES, make_broken
from tests.conftest import LANDING, SAMPLES

ANNEXE_BIN = str(Path(sys.executable).with_name("annexe"))
CHANGED = "dyfed-powys-2025"  # the inspection whose extract the tests edit
BROKEN = "broken-bad-answer"  # a rejected extract, kept in the landing zone
DATA_TABLES = list(TABLES)  # the six published tables and quarantine


# ----------------------------------------------------------------------------------------------------------------
# helpers (also used by test_storage.py)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file below root: its sha256 and modification time (ns)."""
    return {str(p.relative_to(root)): (sha256(p), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def manifest_of(warehouse: Path) -> dict:
    return json.loads((warehouse / MANIFEST).read_text())


def listed_mismatches(warehouse: Path, parquet_only: bool = False) -> list[str]:
    """Files datapackage.json lists that are missing or whose bytes differ from the listed sha256 and size."""
    wrong = []
    for entry in manifest_of(warehouse)["resources"]:
        path = warehouse / entry["path"]
        if parquet_only and not entry["path"].endswith(".parquet"):
            continue
        if not path.is_file():
            wrong.append(f"missing: {entry['path']}")
            continue
        data = path.read_bytes()
        if entry["sha256"] != hashlib.sha256(data).hexdigest() or entry["size"] != len(data):
            wrong.append(f"other bytes: {entry['path']}")
    return wrong


def listed_files_ok(warehouse: Path, parquet_only: bool = False) -> dict:
    """Assert every file datapackage.json lists exists with the listed size and sha256; return the manifest."""
    assert listed_mismatches(warehouse, parquet_only) == []
    return manifest_of(warehouse)


def assert_consistent(warehouse: Path) -> dict:
    """The manifest and the files agree both ways, and nothing half-published is left behind."""
    manifest = listed_files_ok(warehouse)
    listed = {entry["path"] for entry in manifest["resources"]}
    on_disk = {str(p.relative_to(warehouse)) for p in (warehouse / "annexe").rglob("*") if p.is_file()}
    assert sorted(p for p in on_disk if p.endswith(".parquet") and p not in listed) == []
    assert sorted(on_disk - listed) == [], "files under annexe/ that the manifest does not list"
    assert [str(p) for p in warehouse.rglob(PENDING)] == []
    assert not any(state.get("pending") for state in manifest["inspections"].values())
    assert [str(p) for p in (warehouse / "_locks").rglob("*") if p.is_file()] == [], "locks left behind"
    return manifest


def partition_files(warehouse: Path, table: str, inspection_id: str) -> list[str]:
    folder = warehouse / "annexe" / table / f"inspection_id={inspection_id}"
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def all_tables(warehouse: str | Path) -> dict[str, pl.DataFrame]:
    return {table: read_table(str(warehouse), table) for table in DATA_TABLES}


def ledger(warehouse: Path) -> pl.DataFrame:
    return pl.read_parquet(
        warehouse / "ledger" / "runs" / "*" / "part-0.parquet",
        hive_partitioning=True,
        hive_schema={"run_id": pl.String},
    )


def flip_answer(landing: Path, inspection_id: str = CHANGED, case_id: str = "DP-002", column: str = "P2.1.1") -> None:
    """Change one inspector's answer from Yes to No."""
    path = landing / inspection_id / "cases.csv"
    rows = list(csv.reader(path.open(newline="")))
    line = next(r for r in rows if r[0] == case_id)
    index = rows[0].index(column)
    assert line[index] == "Yes"
    line[index] = "No"
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for an `annexe` subprocess that uses this session's temporary Prefect API."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNEXE_", "PYTEST_"))}
    home = tmp_path / "prefect-home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "PREFECT_API_URL": PREFECT_API_URL.value(),
            "PREFECT_HOME": str(home),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "GX_ANALYTICS_ENABLED": "false",
            **extra,
        }
    )
    return env


def copy_state(published: dict, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the published landing zone and warehouse."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(published["landing"], landing)
    shutil.copytree(published["warehouse"], warehouse)
    return landing, warehouse


# ----------------------------------------------------------------------------------------------------------------
# one published warehouse for the module (read only: tests that change it work on a copy)


_SHARED: dict = {}


def publish_samples(tmp_path_factory) -> dict:
    """The five samples and one rejected extract, published once per session by a thread-pool nightly run.

    Read only: tests that change the landing zone or the warehouse work on a copy (`copy_state`).
    """
    if "published" not in _SHARED:
        from flows.pipeline import nightly, run_summary

        root = tmp_path_factory.mktemp("published")
        landing, warehouse = root / "landing", root / "warehouse"
        shutil.copytree(LANDING, landing)
        breakage = next(b for b in BREAKAGES if b.name == "bad-answer")
        assert make_broken(landing, breakage) == BROKEN
        summary = run_summary(nightly, landing=str(landing), warehouse=str(warehouse))
        outcomes = {o["inspection_id"]: o["outcome"] for o in summary["outcomes"]}
        assert outcomes == {**{s: "published" for s in SAMPLES}, BROKEN: "rejected"}
        _SHARED["published"] = {
            "landing": landing,
            "warehouse": warehouse,
            "summary": summary,
            "tables": all_tables(warehouse),
            "manifest": (warehouse / MANIFEST).read_bytes(),
        }
    return _SHARED["published"]


# ----------------------------------------------------------------------------------------------------------------
# 1. incremental runs


def test_first_run_is_consistent_and_ledgered(published):
    warehouse = published["warehouse"]
    manifest = assert_consistent(warehouse)
    tables = published["tables"]
    assert sorted(tables["inspections"]["inspection_id"]) == SAMPLES
    assert tables["quarantine"]["inspection_id"].unique().to_list() == [BROKEN]
    assert tables["quarantine"].filter(pl.col("check") == "allowed_values")["value"].to_list() == ["Maybe"]
    for inspection_id in SAMPLES:
        for table in COMPUTED_TABLES:
            fingerprint = manifest["inspections"][inspection_id]["fingerprint"]
            assert partition_files(warehouse, table, inspection_id) == [f"part-{fingerprint[:16]}.parquet"]
    runs = ledger(warehouse)
    assert runs.height == 6
    assert runs["run_id"].unique().to_list() == [published["summary"]["run_id"]]
    assert runs["trigger"].unique().to_list() == ["schedule"]
    assert dict(runs.select("inspection_id", "outcome").iter_rows()) == {
        **{s: "published" for s in SAMPLES},
        BROKEN: "rejected",
    }
    rows = dict(runs.select("inspection_id", "rows").iter_rows())
    for inspection_id in SAMPLES:
        assert rows[inspection_id] == sum(
            tables[t].filter(pl.col("inspection_id") == inspection_id).height for t in COMPUTED_TABLES
        )
    assert rows[BROKEN] == tables["quarantine"].height
    # every published row's fingerprint is a ledger row of the same inspection, and the inputs' fingerprint
    keys = set(runs.select("inspection_id", "fingerprint").iter_rows())
    for table, frame in tables.items():
        assert frame.height > 0, table
        assert set(frame.select("inspection_id", "fingerprint").unique().iter_rows()) <= keys, table
    for inspection_id, fingerprint in keys:
        expected, _ = inspection_fingerprint(str(published["landing"]), inspection_id, DEFAULT_FRAMEWORKS)
        assert fingerprint == expected


def test_unchanged_nightly_writes_only_its_ledger_entry(published, tmp_path):
    from flows.pipeline import nightly, run_summary

    landing, warehouse = copy_state(published, tmp_path)
    before = snapshot(warehouse)
    landing_before = snapshot(landing)
    summary = run_summary(nightly, landing=str(landing), warehouse=str(warehouse))
    assert summary["outcomes"] == []
    assert sorted(summary["unchanged"]) == sorted([*SAMPLES, BROKEN])
    assert summary["still_rejected"] == [BROKEN]
    after = snapshot(warehouse)
    entry = f"ledger/runs/run_id={summary['run_id']}/part-0.parquet"
    changed = sorted(p for p in set(after) | set(before) if after.get(p) != before.get(p))
    # every published file: same bytes, same mtimes; datapackage.json too (it would cost the size of the warehouse
    # to rewrite): the ledger entry is listed in the manifest's package part until its next rewrite
    assert changed == [entry, "manifest/package.json"]
    idle = ledger(warehouse).filter(pl.col("run_id") == summary["run_id"])
    assert idle.select("inspection_id", "outcome", "rows").rows() == [(None, "idle", 0)]
    listed = {e["path"]: e for e in read_manifest(Warehouse(str(warehouse)))["resources"]}
    assert listed[entry]["sha256"] == sha256(warehouse / entry)
    assert entry not in {e["path"] for e in json.loads((warehouse / MANIFEST).read_text())["resources"]}
    assert snapshot(landing) == landing_before


def test_changed_extract_reprocesses_only_that_inspection(published, tmp_path):
    from flows.pipeline import nightly, run_summary

    landing, warehouse = copy_state(published, tmp_path)
    old_fingerprint = manifest_of(warehouse)["inspections"][CHANGED]["fingerprint"]
    flip_answer(landing)
    new_fingerprint, _ = inspection_fingerprint(str(landing), CHANGED, DEFAULT_FRAMEWORKS)
    assert new_fingerprint != old_fingerprint
    before = snapshot(warehouse)

    summary = run_summary(nightly, landing=str(landing), warehouse=str(warehouse))

    assert [(o["inspection_id"], o["outcome"], o["fingerprint"]) for o in summary["outcomes"]] == [
        (CHANGED, "published", new_fingerprint)
    ]
    assert sorted(summary["unchanged"]) == sorted(i for i in [*SAMPLES, BROKEN] if i != CHANGED)
    after = snapshot(warehouse)
    others = [f"inspection_id={i}/" for i in [*SAMPLES, BROKEN] if i != CHANGED] + [
        f"annexe/files/{i}/" for i in [*SAMPLES, BROKEN] if i != CHANGED
    ]
    for path, state in before.items():
        if any(o in path for o in others) or path.startswith("ledger/"):
            assert after.get(path) == state, f"{path} was rewritten"
    for table in COMPUTED_TABLES:
        assert partition_files(warehouse, table, CHANGED) == [f"part-{new_fingerprint[:16]}.parquet"]
    assert not any(f"part-{old_fingerprint[:16]}" in p for p in after)
    assert after[f"annexe/files/{CHANGED}/data-annexe.xlsx"][0] != before[f"annexe/files/{CHANGED}/data-annexe.xlsx"][0]

    # the figures changed by exactly the flipped answer; the other inspections' rows did not change
    tables = all_tables(warehouse)
    kq = tables["key_question_results"].filter(pl.col("inspection_id") == CHANGED, pl.col("question_id") == "P2.1.1")
    assert kq.select("yes", "no", "not_applicable", "relevant_cases", "published_percentage").row(0) == (
        36,
        9,
        0,
        45,
        80,
    )
    assert kq["fingerprint"].to_list() == [new_fingerprint]
    for table in DATA_TABLES:
        assert_frame_equal(
            tables[table].filter(pl.col("inspection_id") != CHANGED),
            published["tables"][table].filter(pl.col("inspection_id") != CHANGED),
        )

    runs = ledger(warehouse).filter(pl.col("run_id") == summary["run_id"])
    assert runs.select("inspection_id", "fingerprint", "outcome", "trigger").rows() == [
        (CHANGED, new_fingerprint, "published", "schedule")
    ]
    assert runs["rows"].item() == sum(
        tables[t].filter(pl.col("inspection_id") == CHANGED).height for t in COMPUTED_TABLES
    )
    manifest = assert_consistent(warehouse)
    assert manifest["inspections"][CHANGED]["run_id"] == summary["run_id"]


def test_forced_backfill_of_unchanged_inputs_is_byte_identical(published, tmp_path):
    from flows.pipeline import backfill, run_summary

    landing, warehouse = copy_state(published, tmp_path)
    tables_before = {
        p: sha for p, (sha, _) in snapshot(warehouse).items() if p.startswith("annexe/") and p.endswith(".parquet")
    }
    periods = {p.split("period=", 1)[1].split("/", 1)[0] for p in tables_before if "/period=" in p}
    assert periods and len(tables_before) == len(COMPUTED_TABLES) * len(SAMPLES) + 1 + len(COMPARISON_TABLES) * len(
        periods
    )

    summary = run_summary(backfill, force=True, landing=str(landing), warehouse=str(warehouse))

    assert sorted((o["inspection_id"], o["outcome"]) for o in summary["outcomes"]) == sorted(
        [(s, "published") for s in SAMPLES] + [(BROKEN, "rejected")]
    )
    tables_after = {
        p: sha for p, (sha, _) in snapshot(warehouse).items() if p.startswith("annexe/") and p.endswith(".parquet")
    }
    assert tables_after == tables_before
    runs = ledger(warehouse)
    assert sorted(runs["trigger"].unique().to_list()) == ["backfill", "schedule"]
    forced = runs.filter(pl.col("run_id") == summary["run_id"])
    assert forced["trigger"].unique().to_list() == ["backfill"] and forced.height == 6
    first = runs.filter(pl.col("run_id") == published["summary"]["run_id"])
    assert_frame_equal(
        forced.select("inspection_id", "fingerprint", "outcome", "rows").sort("inspection_id"),
        first.select("inspection_id", "fingerprint", "outcome", "rows").sort("inspection_id"),
    )
    manifest = assert_consistent(warehouse)
    assert {manifest["inspections"][s]["run_id"] for s in SAMPLES} == {summary["run_id"]}


# ----------------------------------------------------------------------------------------------------------------
# 2. crash safety: a republication killed at each fault point, then healed by the next normal run

FAULTS = ("between_files", "before_swap", "after_swap", "after_consolidate")
COMMITTED = ("after_swap", "after_consolidate")  # killed after the inspection's shard was written


@pytest.fixture(scope="module")
def crashed(published, tmp_path_factory) -> dict:
    """For each fault point: a warehouse whose republication of CHANGED died there (run concurrently)."""
    started = {}
    for point in FAULTS:
        root = tmp_path_factory.mktemp(f"crash-{point}")
        landing, warehouse = copy_state(published, root)
        flip_answer(landing)
        command = [ANNEXE_BIN, "run", "--landing", str(landing), "--warehouse", str(warehouse), "--no-progress"]
        process = subprocess.Popen(
            command,
            env=subprocess_env(root, ANNEXE_FAULT=point),
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started[point] = (process, landing, warehouse, snapshot(warehouse))
    results = {}
    for point, (process, landing, warehouse, before) in started.items():
        output, _ = process.communicate(timeout=240)
        results[point] = {
            "returncode": process.returncode,
            "output": output,
            "landing": landing,
            "warehouse": warehouse,
            "before": before,
            "mismatches": listed_mismatches(warehouse),
        }
    return results


@pytest.mark.parametrize("point", FAULTS)
def test_crash_leaves_a_readable_warehouse_and_the_next_run_heals_it(point, crashed, published):
    from flows.pipeline import nightly, run_summary

    crash = crashed[point]
    landing, warehouse = crash["landing"], crash["warehouse"]
    assert crash["returncode"] == 86, crash["output"]
    old = manifest_of(published["warehouse"])["inspections"][CHANGED]["fingerprint"]
    new, _ = inspection_fingerprint(str(landing), CHANGED, DEFAULT_FRAMEWORKS)
    manifest = manifest_of(warehouse)
    on_disk = {p for p in snapshot(warehouse) if p not in crash["before"]}
    # it died holding the inspection's lock: the next run must break it (its holder is dead), not wait
    assert json.loads((warehouse / "_locks" / f"inspection-{CHANGED}.lock").read_text())["pid"] != os.getpid()

    if point in COMMITTED:
        # the shard's swap is the commit point: the pipeline's readers now see the whole new version
        committed = read_manifest(Warehouse(str(warehouse)))
        assert committed["inspections"][CHANGED]["fingerprint"] == new
        assert committed["inspections"][CHANGED].get("pending")  # its annexe files wait for their stable names
        if point == "after_swap":
            # datapackage.json is rebuilt once a run: until then it lists the old version, whose files all stay
            assert (warehouse / MANIFEST).read_bytes() == published["manifest"]
        else:  # rebuilt, listing the new annexe files where they wait
            assert manifest["inspections"][CHANGED]["fingerprint"] == new
            assert any(f"annexe/files/{CHANGED}/{PENDING}/" in e["path"] for e in manifest["resources"])
        expected_fingerprint = new
    else:
        # the crash left new files behind, but the manifest (and so every reader) still has the old version
        assert (warehouse / MANIFEST).read_bytes() == published["manifest"]
        assert f"annexe/inspections/inspection_id={CHANGED}/part-{new[:16]}.parquet" in on_disk
        if point == "before_swap":
            assert any(f"annexe/files/{CHANGED}/{PENDING}/" in p for p in on_disk)
        expected_fingerprint = old
    for table in DATA_TABLES:
        frame = read_table(str(warehouse), table)
        mine = frame.filter(pl.col("inspection_id") == CHANGED)
        assert set(mine["fingerprint"]) <= {expected_fingerprint}
        if expected_fingerprint == old:
            assert_frame_equal(frame, published["tables"][table])
    kq = read_table(str(warehouse), "key_question_results").filter(
        pl.col("inspection_id") == CHANGED, pl.col("question_id") == "P2.1.1"
    )
    assert kq.select("yes", "no").row(0) == ((36, 9) if point in COMMITTED else (37, 8))
    # every Parquet file the manifest lists exists, with the listed sha256 (annexe files: see the next test)
    listed_files_ok(warehouse, parquet_only=True)
    assert not any(".parquet" in m for m in crash["mismatches"])

    summary = run_summary(nightly, landing=str(landing), warehouse=str(warehouse))

    manifest = assert_consistent(warehouse)
    assert manifest["inspections"][CHANGED]["fingerprint"] == new
    for table in COMPUTED_TABLES:
        assert partition_files(warehouse, table, CHANGED) == [f"part-{new[:16]}.parquet"]
    assert sorted(p.name for p in (warehouse / "annexe" / "files" / CHANGED).iterdir()) == [
        "data-annexe.html",
        "data-annexe.xlsx",
    ]
    kq = read_table(str(warehouse), "key_question_results").filter(
        pl.col("inspection_id") == CHANGED, pl.col("question_id") == "P2.1.1"
    )
    assert kq.select("yes", "no", "fingerprint").row(0) == (36, 9, new)
    if point in COMMITTED:
        assert summary["outcomes"] == []  # healed by finishing the committed version: nothing to redo
    else:
        assert [(o["inspection_id"], o["outcome"]) for o in summary["outcomes"]] == [(CHANGED, "published")]
    for table in DATA_TABLES:  # the other inspections are as they were
        assert_frame_equal(
            read_table(str(warehouse), table).filter(pl.col("inspection_id") != CHANGED),
            published["tables"][table].filter(pl.col("inspection_id") != CHANGED),
        )


@pytest.mark.parametrize("point", FAULTS)
def test_after_a_crash_every_listed_file_holds_the_listed_bytes(point, crashed):
    """datapackage.json must never list a file whose bytes are not (yet) the ones it names.

    It is rebuilt once a run, first listing new annexe files where they wait, and replaced files are deleted
    only after it stops listing them, so that a kill at any point leaves every listed file as listed.
    """
    assert crashed[point]["returncode"] == 86
    assert crashed[point]["mismatches"] == []


# ----------------------------------------------------------------------------------------------------------------
# 3. concurrency


def test_two_runs_at_once_leave_one_consistent_warehouse(published, tmp_path):
    """The nightly (`annexe run`) and a forced backfill of everything, started together on a new warehouse."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(LANDING, landing)
    env = subprocess_env(tmp_path)
    common = ["--landing", str(landing), "--warehouse", str(warehouse), "--no-progress"]
    processes = [
        subprocess.Popen(
            [ANNEXE_BIN, "run", *common],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
        subprocess.Popen(
            [ANNEXE_BIN, "backfill", "--all", "--force", *common],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
    ]
    outputs = [p.communicate(timeout=240)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    manifest = assert_consistent(warehouse)
    assert sorted(manifest["inspections"]) == SAMPLES
    for inspection_id in SAMPLES:
        for table in COMPUTED_TABLES:
            assert partition_files(warehouse, table, inspection_id) == [
                f"part-{manifest['inspections'][inspection_id]['fingerprint'][:16]}.parquet"
            ], table
    # each inspection exactly once, with the rows a single run publishes from the same extracts
    for table in COMPUTED_TABLES:
        expected = published["tables"][table].filter(pl.col("inspection_id") != BROKEN)
        assert_frame_equal(read_table(str(warehouse), table), expected)
    assert read_table(str(warehouse), "quarantine").height == 0

    runs = ledger(warehouse)
    backfilled = runs.filter(pl.col("trigger") == "backfill")
    assert sorted(backfilled["inspection_id"]) == SAMPLES and set(backfilled["outcome"]) == {"published"}
    nightly = runs.filter(pl.col("trigger") == "manual")
    if nightly.height:  # planned before the backfill published (the usual case): it published them too
        assert sorted(nightly["inspection_id"]) == SAMPLES and set(nightly["outcome"]) == {"published"}
    else:  # planned after: found them published and unchanged
        assert f"0 published, 0 rejected, {len(SAMPLES)} unchanged" in " ".join(outputs[0].split())
    assert [p for p in (warehouse / "_staging").rglob("*") if p.is_file()] == []


# ----------------------------------------------------------------------------------------------------------------
# 4. third-party readers agree with the manifest-following reader


def _comparable(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    spec = TABLES[table]
    frame = frame.select([pl.col(c.name).cast(c.dtype) for c in spec.columns])
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("table", DATA_TABLES)
def test_polars_pyarrow_and_duckdb_read_what_read_table_reads(table, published):
    warehouse = published["warehouse"]
    expected = _comparable(published["tables"][table], table)
    assert expected.height > 0
    folder = warehouse / "annexe" / table

    lazy = pl.scan_parquet(f"{folder}/**/*.parquet", hive_partitioning=True, hive_schema={"inspection_id": pl.String})
    by_polars = lazy.collect()
    dataset = ds.dataset(
        folder,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("inspection_id", pa.string())]), flavor="hive"),
    )
    by_pyarrow = pl.from_arrow(dataset.to_table())
    with duckdb.connect() as connection:
        by_duckdb = connection.sql(f"SELECT * FROM read_parquet('{folder}/*/*.parquet', hive_partitioning = true)").pl()

    for reader, frame in (("polars", by_polars), ("pyarrow", by_pyarrow), ("duckdb", by_duckdb)):
        assert sorted(frame.columns) == sorted(TABLES[table].column_names), reader
        for name, dtype in TABLES[table].polars_schema.items():  # the published types, not look-alikes
            assert frame.schema[name] == dtype, (reader, name, frame.schema[name])
        assert_frame_equal(_comparable(frame, table), expected)
