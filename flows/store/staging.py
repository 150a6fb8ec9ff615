"""Staging: where a run keeps its intermediate files between stages, and the only module that names them.

A run's staging is `_staging/<run_id>/`, one folder per batch. It holds copies of case-level data, so it is
written readable by its owner only and is deleted when the run ends or, after a crash, by the next run.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl

from flows.store.locks import DEFAULT_STALE_SECONDS, holder, is_stale
from flows.store.warehouse import Warehouse
from schemas.quarantine import QUARANTINE
from schemas.tables import COMPUTED_TABLES

STAGING = "_staging"
OWNER = "owner.json"
VALID_MANIFESTS = pl.Schema(
    {
        "inspection_id": pl.String,
        "framework": pl.String,
        "pdu": pl.String,
        "region": pl.String,
        "fieldwork_start": pl.Date,
        "fingerprint": pl.String,
        "framework_sha256": pl.String,
        "report_url": pl.String,
    }
)
ORGANISATIONAL_RATINGS = pl.Schema({"inspection_id": pl.String, "standard_id": pl.String, "rating": pl.String})


def claim(warehouse_url: str, run_id: str, trigger: str = "manual", started_at: dt.datetime | None = None) -> str:
    """Mark a run's staging folder as this live process's, so other runs leave it alone; return the folder.

    The owner file also says how the run started, so that a later run can ledger what a crashed one published.
    """
    owner = {**holder(), "trigger": trigger, "started_at": (started_at or dt.datetime.now(dt.UTC)).isoformat()}
    Warehouse(warehouse_url).write_atomic(f"{STAGING}/{run_id}/{OWNER}", json.dumps(owner).encode(), private=True)
    return f"{STAGING}/{run_id}"


def batch_folders(run_folder: str, batches: int) -> list[str]:
    """The staging folder of each batch of a run."""
    return [f"{run_folder}/batch-{n:05d}" for n in range(batches)]


def run_folder(batch_folder: str) -> str:
    """The run's staging folder that holds a batch's folder."""
    return batch_folder.rsplit("/", 1)[0]


def release(warehouse: Warehouse, run_folder_: str) -> None:
    """Delete a run's staging (its batches and its owner file)."""
    warehouse.remove(run_folder_)


def abandoned(warehouse: Warehouse) -> list[str]:
    """Run ids whose staging was left by a run that died (read only)."""
    if not warehouse.exists(STAGING):
        return []
    found = []
    for entry in warehouse.fs.ls(warehouse.path(STAGING), detail=True):
        run_id = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        try:
            owner = json.loads(warehouse.read_bytes(f"{STAGING}/{run_id}/{OWNER}"))
        except (FileNotFoundError, ValueError):
            owner = {}
        if not owner or is_stale(owner, DEFAULT_STALE_SECONDS):
            found.append(run_id)
    return found


def clear_abandoned(warehouse: Warehouse) -> list[dict]:
    """Delete staging left by crashed runs (it holds copies of case-level data).

    Returns, for each run cleared, its run_id, trigger, started_at and the outcomes its publish stage had
    committed, so that the caller can still record them in the ledger.
    """
    cleared = []
    for run_id in abandoned(warehouse):
        try:
            owner = json.loads(warehouse.read_bytes(f"{STAGING}/{run_id}/{OWNER}"))
        except (FileNotFoundError, ValueError):
            owner = {}
        folders = [
            p.rsplit("/", 1)[0] for p in warehouse.list_files(f"{STAGING}/{run_id}") if p.endswith("/outcomes.json")
        ]
        started = owner.get("started_at")
        cleared.append(
            {
                "run_id": run_id,
                "trigger": owner.get("trigger", "unknown"),
                "started_at": dt.datetime.fromisoformat(started) if started else None,
                "outcomes": [o for f in sorted(folders) for o in Batch(warehouse, f).read_outcomes()],
            }
        )
        warehouse.remove(f"{STAGING}/{run_id}")
    return cleared


def _manifest_to_json(manifest: dict | None) -> str | None:
    """A parsed inspection.toml as JSON text, with the names of its date values so they come back as dates."""
    if manifest is None:
        return None
    dates = sorted(k for k, v in manifest.items() if isinstance(v, dt.date))
    return json.dumps({"values": manifest, "dates": dates}, default=lambda v: v.isoformat())


def _manifest_from_json(text: str | None) -> dict | None:
    if text is None:
        return None
    stored = json.loads(text)
    return {k: dt.date.fromisoformat(v) if k in stored["dates"] else v for k, v in stored["values"].items()}


class Batch:
    """One batch's staging folder, read and written file by file with each file's schema."""

    def __init__(self, warehouse: Warehouse, folder: str) -> None:
        self.warehouse, self.folder = warehouse, folder

    def _write_frame(self, name: str, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="lz4")
        self.warehouse.write_atomic(f"{self.folder}/{name}", buffer.getvalue(), private=True)

    def _read_frame(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self.warehouse.read_bytes(f"{self.folder}/{name}")))

    def _write_json(self, name: str, value) -> None:
        self.warehouse.write_atomic(f"{self.folder}/{name}", json.dumps(value, default=str).encode(), private=True)

    def _read_json(self, name: str):
        return json.loads(self.warehouse.read_bytes(f"{self.folder}/{name}"))

    # ingest: what was read from the landing zone, one record per inspection, and each raw cases file
    def write_ingested(self, records: list[dict]) -> None:
        """Records of inspection_id, fingerprint, cases_file, header_rows, has_cases, manifest and problems."""
        self._write_json("ingested.json", [{**r, "manifest": _manifest_to_json(r["manifest"])} for r in records])

    def read_ingested(self) -> list[dict]:
        """The records write_ingested wrote, manifests parsed back."""
        return [{**r, "manifest": _manifest_from_json(r["manifest"])} for r in self._read_json("ingested.json")]

    def write_raw(self, inspection_id: str, cases: pl.DataFrame) -> None:
        """An extract's cases as read (every column text)."""
        self._write_frame(f"raw/{inspection_id}.parquet", cases)

    def read_raw(self, inspection_id: str) -> pl.DataFrame:
        """An extract's cases as read."""
        return self._read_frame(f"raw/{inspection_id}.parquet")

    # validate: problems found, and the valid inspections' manifests, judged ratings and cases
    def write_problems(self, quarantine: pl.DataFrame) -> None:
        """Quarantine rows of the batch's invalid inspections."""
        self._write_frame("quarantine.parquet", QUARANTINE.conform(quarantine))

    def read_problems(self) -> pl.DataFrame:
        """Quarantine rows of the batch's invalid inspections."""
        return self._read_frame("quarantine.parquet")

    def write_valid(self, manifests: list[dict], organisational: list[dict], cases: pl.DataFrame | None) -> None:
        """The valid inspections' manifests, judged ratings and cases (inspection_id on every row)."""
        self._write_frame("valid/manifests.parquet", pl.DataFrame(manifests, schema=VALID_MANIFESTS))
        self._write_frame(
            "valid/organisational_ratings.parquet", pl.DataFrame(organisational, schema=ORGANISATIONAL_RATINGS)
        )
        if cases is not None:
            self._write_frame("valid/cases.parquet", cases)

    def read_valid(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
        """Manifests, judged ratings and cases of the valid inspections (cases None when there are none)."""
        manifests = self._read_frame("valid/manifests.parquet")
        if not manifests.height:
            return manifests, pl.DataFrame(schema=ORGANISATIONAL_RATINGS), None
        return (
            manifests,
            self._read_frame("valid/organisational_ratings.parquet"),
            self._read_frame("valid/cases.parquet"),
        )

    # aggregate: every computed table
    def write_tables(self, tables: dict[str, pl.DataFrame]) -> None:
        """The batch's computed tables, by name."""
        for name in COMPUTED_TABLES:
            self._write_frame(f"tables/{name}.parquet", tables[name])

    def read_tables(self, names: tuple[str, ...] = COMPUTED_TABLES) -> dict[str, pl.DataFrame]:
        """The batch's computed tables (all of them, or those named), by name."""
        return {name: self._read_frame(f"tables/{name}.parquet") for name in names}

    # gate: quality-gate failures of the batch's inspections
    def write_quality(self, failures: pl.DataFrame) -> None:
        """Quality-gate failures (inspection_id, table, expectation, message, offending_rows)."""
        self._write_frame("quality.parquet", failures)

    def read_quality(self) -> pl.DataFrame:
        """Quality-gate failures of the batch's inspections."""
        return self._read_frame("quality.parquet")

    # national: the national figures each passing inspection's annexe shows
    def write_national(self, figures: dict[str, dict]) -> None:
        """National figures by inspection id, as they will stand once the run has published."""
        self._write_json("national.json", figures)

    def read_national(self) -> dict[str, dict]:
        """National figures by inspection id."""
        return self._read_json("national.json")

    # publish: what happened to each inspection
    def write_outcomes(self, outcomes: list[dict]) -> None:
        """One outcome per inspection: published or rejected, rows, problems."""
        self._write_json("outcomes.json", outcomes)

    def read_outcomes(self) -> list[dict]:
        """The outcomes publish wrote; none when publish did not finish."""
        if not self.warehouse.exists(f"{self.folder}/outcomes.json"):
            return []
        return self._read_json("outcomes.json")
