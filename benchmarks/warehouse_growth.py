"""How the cost of a commit and of an unchanged nightly's planning grows with the warehouse (issue 13).

    uv run python -m benchmarks.warehouse_growth --sizes 50 5000 --landing 50 --out /tmp/growth.json

For each size N it builds a warehouse listing N published inspections (every table's partition and both annexe
files per inspection, small files of the listed sizes, a manifest as the pipeline writes it), over a landing zone
of --landing synthetic inspections that are among them and unchanged. Then it times, best of --repeats:

commit       manifest.commit of one more inspection (its files already staged), as publish makes it per batch;
assess       plan.assess over the landing zone (what an unchanged nightly does before deciding not to start
             Prefect);
plan         plan.plan: recovery, healing and assess (what a run does before its first batch);
nightly      what `annexe run` does over an unchanged landing zone: assess, then ledger an idle run (finalize);
consolidate  manifest.consolidate after that commit: the rebuild of datapackage.json a run with work makes once.

commit, assess and plan should cost the same at every N; consolidate rewrites datapackage.json, so it grows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import polars as pl

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages.finalize import finalize
from flows.stages.periods import touches
from flows.stages.plan import assess, plan
from flows.store import manifest, shards
from flows.store.landing import inspection_fingerprint
from flows.store.warehouse import FILES, Warehouse, parquet_bytes
from flows.synth import synthesise
from schemas.tables import COMPUTED_TABLES, SCHEMA_VERSION, TABLES

ANNEXE_FILES = ("data-annexe.xlsx", "data-annexe.html")

# Where each inspection sits (the manifest keeps it, so that periods are known without reading the tables).
PLACE = {"framework": "probation-pdu-2023", "period": "2019-20", "pdu": "Somewhere", "region": "Wales",
         "fieldwork_start": "2019-06-03"}  # fmt: skip


@functools.cache
def _empty_partition(table: str) -> bytes:
    """A real Parquet partition of the table with no rows (the index page reads the inspections table)."""
    return parquet_bytes(pl.DataFrame(schema=TABLES[table].polars_schema).drop("inspection_id"))


def _entries(inspection_id: str, fingerprint: str) -> tuple[list[dict], dict[str, bytes]]:
    """An inspection's resource entries and file contents, as a publication lists them."""
    files, entries = {}, []
    for table in COMPUTED_TABLES:
        path = manifest.partition_path(table, inspection_id, fingerprint)
        data = _empty_partition(table)
        files[path] = data
        entries.append(
            manifest.resource(
                path,
                data,
                type="table",
                schema=manifest.schema_path(table),
                table=table,
                inspection_id=inspection_id,
                rows=0,
                schema_version=SCHEMA_VERSION,
                run_id="run-0",
                fingerprint=fingerprint,
            )
        )
    for name in ANNEXE_FILES:
        path = f"{FILES}/{inspection_id}/{name}"
        data = f"{name}:{inspection_id}".encode() * 200
        files[path] = data
        entries.append(
            manifest.resource(
                path, data, table="annexe_file", inspection_id=inspection_id, run_id="run-0", fingerprint=fingerprint
            )
        )
    return entries, files


def build(root: Path, size: int, landing: Path, landed: list[str]) -> Warehouse:
    """A warehouse listing `size` inspections, the landed ones with their real fingerprints."""
    warehouse = Warehouse(str(root))
    package = manifest.empty()
    ids = landed + [f"pdu-{k:05d}-2019" for k in range(size - len(landed))]
    for inspection_id in ids:
        fingerprint = (
            inspection_fingerprint(str(landing), inspection_id, DEFAULT_FRAMEWORKS)[0]
            if inspection_id in landed
            else f"{abs(hash(inspection_id)):064x}"[-64:]
        )
        entries, files = _entries(inspection_id, fingerprint)
        for path, data in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        package["resources"] += entries
        package["inspections"][inspection_id] = {
            "fingerprint": fingerprint,
            "run_id": "run-0",
            "framework": "probation-pdu-2023",
            "rejected_fingerprint": None,
            "first_published": "2026-01-01",
            "revisions": [],
            **PLACE,
        }
    manifest._write(warehouse, package)
    warehouse.remove(shards.PACKAGE)  # as a warehouse from before the shards: restore() writes them
    manifest.restore(warehouse)
    return warehouse


def nightly(landing: Path, root: Path) -> None:
    """An unchanged nightly as `annexe run` makes it without starting Prefect: assess, then an idle finalize."""
    assessed = assess(str(landing), str(root), DEFAULT_FRAMEWORKS)
    assert not assessed["process"] and not assessed["repairs"], assessed
    publication = settings(landing=str(landing), warehouse=str(root)).publication
    finalize(str(root), [], f"idle-{uuid.uuid4()}", "nightly", dt.datetime.now(dt.UTC), publication)


class Measured:
    """One warehouse of `size` published inspections and its measures, each timed in turn with the others."""

    def __init__(self, size: int, landing: Path, landed: list[str], workdir: Path) -> None:
        self.root, self.landing = workdir / f"warehouse-{size}", landing
        shutil.rmtree(self.root, ignore_errors=True)
        self.warehouse = build(self.root, size, landing, landed)
        self.counter = iter(range(10**6))
        assessed = assess(str(landing), str(self.root), DEFAULT_FRAMEWORKS)
        assert not assessed["process"] and len(assessed["unchanged"]) == len(landed), assessed["reasons"]
        nightly(landing, self.root)  # as a run leaves it: index page, dictionary and package properties written
        self.best = {name: math.inf for name in MEASURES}
        self.manifest_bytes = (self.root / manifest.MANIFEST).stat().st_size

    def _commit_one(self) -> None:
        inspection_id = f"new-{next(self.counter):05d}-2026"
        fingerprint = f"{next(self.counter):064x}"
        entries, files = _entries(inspection_id, fingerprint)
        for path, data in files.items():
            self.warehouse.write_atomic(path, data)
        state = {"fingerprint": fingerprint, "run_id": "run-1", "rejected_fingerprint": None, **PLACE}
        manifest.commit(self.warehouse, [manifest.Publication(inspection_id, fingerprint, state, entries)])

    def _time(self, name: str, function) -> None:
        start = time.perf_counter()
        function()
        self.best[name] = min(self.best[name], time.perf_counter() - start)

    def once(self) -> None:
        """Each measure once, keeping the best time of each."""
        landing, root = str(self.landing), str(self.root)
        self._time("commit", self._commit_one)
        self._time("consolidate", lambda: manifest.consolidate(self.warehouse, touches(self.warehouse)))
        # the made-up period has no tables to restage: clear it, as the run's periods stage would
        manifest.commit_periods(self.warehouse, lambda state, pending: [])
        self._time("assess", lambda: assess(landing, root, DEFAULT_FRAMEWORKS))
        self._time("plan", lambda: plan(landing, root, DEFAULT_FRAMEWORKS))
        self._time("nightly", lambda: nightly(self.landing, self.root))

    def result(self) -> dict:
        """Best seconds of each measure, and the size of datapackage.json."""
        shutil.rmtree(self.root, ignore_errors=True)
        return {"manifest_bytes": self.manifest_bytes} | {f"{m}_seconds": self.best[m] for m in MEASURES}


MEASURES = ("commit", "assess", "plan", "nightly", "consolidate")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    parser.add_argument("--landing", type=int, default=50, help="inspections in the (unchanged) landing zone")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="annexe-growth-"))
    try:
        landing = workdir / "landing"
        landed = synthesise(landing, args.landing, 30, seed=1)
        # built first, then measured in turn, so that a busy moment of the machine falls on every size alike
        warehouses = {n: Measured(n, landing, landed, workdir) for n in args.sizes}
        for _ in range(args.repeats):
            for measured in warehouses.values():
                measured.once()
        results = {str(n): measured.result() for n, measured in warehouses.items()}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    smallest = results[str(min(args.sizes))]
    for n, r in results.items():
        measures = ", ".join(
            f"{name} {r[f'{name}_seconds'] * 1000:.1f} ms (x{r[f'{name}_seconds'] / smallest[f'{name}_seconds']:.2f})"
            for name in MEASURES
        )
        print(f"N = {n:>6}: manifest {r['manifest_bytes'] / 2**20:7.2f} MB, {measures}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
