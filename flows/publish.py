"""Quality gate, publication of each inspection, and the run's closing writes (ledger, dictionary, index)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from flows.landing import PIPELINE_VERSION
from flows.stages import INGESTED, framework_loader, read_frame, staged_tables, write_frame
from flows.warehouse import FILES, Publication, Warehouse, commit, parquet_bytes, read_table, resource, stage_files
from schemas.dictionary import dictionary_json, dictionary_markdown
from schemas.extract import problem, problems_frame
from schemas.tables import RUNS, SCHEMA_VERSION, TABLES

QUALITY = "quality.parquet"
OUTCOMES = "outcomes.json"
DOCS = "quality-docs"


def check(warehouse_url: str, stagings: list[str], frameworks_dir: str) -> list[str]:
    """Run the Great Expectations quality gate once over every batch's tables; failures stop publication."""
    from schemas.quality import quality_failures

    warehouse = Warehouse(warehouse_url)
    batches = {staging: staged_tables(warehouse, staging) for staging in stagings}
    tables = {name: pl.concat([t[name] for t in batches.values()]) for name in next(iter(batches.values()))}
    load = framework_loader(frameworks_dir)
    frameworks = {f: load(f) for f in tables["inspections"]["framework"].unique().to_list()}
    if tables["inspections"].height:
        docs = warehouse.path(DOCS) if warehouse.local else None
        failures = quality_failures(tables, frameworks, docs_dir=docs)
    else:
        failures = pl.DataFrame(schema={"inspection_id": pl.String, "table": pl.String, "expectation": pl.String,
                                        "message": pl.String, "offending_rows": pl.String})
    for staging, batch in batches.items():
        ids = batch["inspections"]["inspection_id"]
        write_frame(warehouse, f"{staging}/{QUALITY}", failures.filter(pl.col("inspection_id").is_in(ids)))
    return stagings


def _quality_problems(failures: pl.DataFrame, fingerprint: str) -> pl.DataFrame:
    """Quality-gate failures as quarantine rows."""
    rows = [
        problem(f["inspection_id"], f"(computed) {f['table']}", f["expectation"].split(":")[0],
                f"quality gate: {f['message']} (offending rows: {f['offending_rows']})")
        for f in failures.iter_rows(named=True)
    ]
    return problems_frame(rows).with_columns(fingerprint=pl.lit(fingerprint))


def render_files(tables: dict[str, pl.DataFrame], framework, publication: dict) -> dict[str, bytes]:
    """The inspection's data annexe: accessible spreadsheet and HTML page."""
    from flows.render.html import annexe_html
    from flows.render.spreadsheet import spreadsheet_bytes

    return {
        "data-annexe.xlsx": spreadsheet_bytes(tables, framework, publication),
        "data-annexe.html": annexe_html(tables, framework, publication).encode("utf-8"),
    }


def publish(warehouse_url: str, staging: str, run_id: str, frameworks_dir: str, publication: dict) -> str:
    """Publish the batch's passing inspections and quarantine the failing ones, in one atomic commit."""
    warehouse = Warehouse(warehouse_url)
    records = json.loads(warehouse.read_bytes(f"{staging}/{INGESTED}"))
    tables = {name: frame.partition_by("inspection_id", as_dict=True)
              for name, frame in staged_tables(warehouse, staging).items()}
    quarantine = read_frame(warehouse, f"{staging}/quarantine.parquet").partition_by("inspection_id", as_dict=True)
    failures = read_frame(warehouse, f"{staging}/{QUALITY}").partition_by("inspection_id", as_dict=True)
    load = framework_loader(frameworks_dir)
    empty = pl.DataFrame(schema=TABLES["quarantine"].polars_schema)
    outcomes, publications = [], []
    with warehouse.locks([f"inspection-{r['inspection_id']}" for r in records]):
        for record in records:
            inspection_id, fingerprint = record["inspection_id"], record["fingerprint"]
            key = (inspection_id,)
            problems = pl.concat([
                quarantine.get(key, empty),
                TABLES["quarantine"].conform(_quality_problems(failures[key], fingerprint)) if key in failures else empty,
            ])
            own = {name: parts[key] for name, parts in tables.items() if key in parts}
            framework = load(own["inspections"]["framework"].item()) if "inspections" in own else None
            if problems.height:
                resources = stage_files(warehouse, inspection_id, fingerprint, run_id, {"quarantine": problems}, {})
                publications.append(Publication(inspection_id, fingerprint, {
                    "rejected_fingerprint": fingerprint, "rejected_run_id": run_id}, resources, {"quarantine"}))
                outcome, rows = "rejected", problems.height
            else:
                resources = stage_files(warehouse, inspection_id, fingerprint, run_id, own,
                                        render_files(own, framework, publication))
                publications.append(Publication(inspection_id, fingerprint, {
                    "fingerprint": fingerprint, "run_id": run_id, "framework": framework.id,
                    "rejected_fingerprint": None, "rejected_run_id": None}, resources))
                outcome, rows = "published", sum(frame.height for frame in own.values())
            outcomes.append({"inspection_id": inspection_id, "fingerprint": fingerprint, "outcome": outcome,
                             "rows": rows, "framework_sha256": framework.sha256 if framework else None,
                             "problems": problems.select("file", "row", "column", "message").to_dicts()})
        commit(warehouse, publications)
    warehouse.write_atomic(f"{staging}/{OUTCOMES}", json.dumps(outcomes, default=str).encode())
    return staging


def index_exists(warehouse_url: str) -> bool:
    """Whether the annexe index page has been written."""
    return Warehouse(warehouse_url).exists(f"{FILES}/index.html")


def finalize(warehouse_url: str, stagings: list[str], run_id: str, trigger: str, started_at: dt.datetime,
             publication: dict) -> list[dict]:
    """Write the runs ledger, data dictionary and index page; clear staging; return every outcome."""
    from flows.render.html import index_html

    warehouse = Warehouse(warehouse_url)
    outcomes = []
    for staging in stagings:
        if warehouse.exists(f"{staging}/{OUTCOMES}"):
            outcomes += json.loads(warehouse.read_bytes(f"{staging}/{OUTCOMES}"))
    extra = []
    if outcomes:
        ledger = RUNS.conform(pl.DataFrame(outcomes).select("inspection_id", "fingerprint", "outcome", "rows",
                                                            "framework_sha256").with_columns(
            run_id=pl.lit(run_id), trigger=pl.lit(trigger), started_at=pl.lit(started_at),
            pipeline_version=pl.lit(PIPELINE_VERSION)))
        path = f"ledger/runs/run_id={run_id}/part-0.parquet"
        data = parquet_bytes(ledger.drop("run_id"))
        warehouse.write_atomic(path, data)
        extra.append(resource(path, data, table="runs", rows=ledger.height, schema_version=SCHEMA_VERSION,
                              run_id=run_id))
    for path, text in (("annexe/data-dictionary.md", dictionary_markdown()),
                       ("annexe/data-dictionary.json", dictionary_json())):
        warehouse.write_if_changed(path, text.encode())
        extra.append(resource(path, text.encode(), table="data_dictionary"))
    if outcomes or not warehouse.exists(f"{FILES}/index.html"):
        page = index_html(read_table(warehouse_url, "inspections"), publication).encode("utf-8")
        warehouse.write_if_changed(f"{FILES}/index.html", page)
        extra.append(resource(f"{FILES}/index.html", page, table="annexe_index"))
    with warehouse.lock("manifest"):
        manifest = warehouse.read_manifest()
        paths = {r["path"] for r in extra}
        manifest["resources"] = [r for r in manifest["resources"] if r["path"] not in paths] + extra
        warehouse.write_manifest(manifest)
    for staging in stagings:
        warehouse.remove(staging)
    if stagings:
        warehouse.remove(stagings[0].rsplit("/", 1)[0])  # the run's staging folder and its owner file
    return outcomes
