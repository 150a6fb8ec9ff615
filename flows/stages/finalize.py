"""Finalize: record the run in the ledger, refresh the data dictionary and index page, and clear staging."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from flows.store import ledger, manifest, staging
from flows.store.staging import Batch
from flows.store.warehouse import ANNEXE, FILES, Warehouse, fault, parquet_bytes, read_entries
from schemas.comparison_tables import COMPARISON_TABLES
from schemas.dictionary import dictionary_json, dictionary_markdown
from schemas.tables import RUNS, SCHEMA_VERSION, TABLES

INDEX = f"{FILES}/index.html"
EMPTY = "_empty"
SCHEMAS = {
    **{name: spec.frictionless_schema() for name, spec in TABLES.items()},
    **{name: spec.frictionless_schema(partition="period") for name, spec in COMPARISON_TABLES.items()},
    "runs": RUNS.frictionless_schema(partition="run_id"),
}


def package_properties(publication: dict) -> dict:
    """The data package's own description, licence and source (Frictionless), and its release facts."""
    release = publication.get("statistics", {})
    return {
        "title": publication["title"],
        "description": "Ratings, key-question and prompt percentages, breakdowns and sample profiles of probation "
        "inspections, one partition per inspection; see annexe/data-dictionary.md.",
        "licenses": [
            {"name": publication["licence_id"], "title": publication["licence"], "path": publication["licence_url"]}
        ],
        "sources": [{"title": publication["source"]}],
        "contributors": [{"title": publication["publisher"], "role": "publisher"}],
        "statistics_status": release.get("statistics_status"),
        "next_update": release.get("next_update"),
    }


DICTIONARY = (("annexe/data-dictionary.md", dictionary_markdown), ("annexe/data-dictionary.json", dictionary_json))


def _empty_tables(warehouse: Warehouse, published: set[str]) -> list[dict]:
    """A zero-row file for each table nothing is published in yet, so that every table can always be read.

    Its partition value `_empty` can never be an inspection id; once the table has a real partition (it is in
    `published`) the placeholder is no longer listed and is deleted.
    """
    entries = []
    for table, spec in {**TABLES, **COMPARISON_TABLES}.items():
        key = "period" if table in COMPARISON_TABLES else "inspection_id"
        placeholder = f"{ANNEXE}/{table}/{key}={EMPTY}/part-empty.parquet"
        if table in published:
            warehouse.remove(f"{ANNEXE}/{table}/{key}={EMPTY}")
            entries.append({"path": placeholder, "drop": True})
        else:
            data = parquet_bytes(pl.DataFrame(schema=spec.polars_schema).drop(key, strict=False))
            warehouse.write_if_changed(placeholder, data)
            entries.append(
                manifest.resource(
                    placeholder,
                    data,
                    type="table",
                    schema=manifest.schema_path(table),
                    table=table,
                    rows=0,
                    schema_version=SCHEMA_VERSION,
                )
            )
    return entries


def finalize(
    warehouse_url: str,
    batch_folders: list[str],
    run_id: str,
    trigger: str,
    started_at: dt.datetime,
    publication: dict,
    refresh: bool = False,
) -> list[dict]:
    """Write the ledger, dictionary and index page, list them in one manifest write; return every outcome.

    A run that processed nothing is still ledgered (one `idle` row). `refresh` rewrites the index page even when
    nothing was published (it or another shared file is damaged). A kill at any point leaves files the manifest
    does not list yet; the next run's plan finds and lists them.
    """
    warehouse = Warehouse(warehouse_url)
    outcomes = [outcome for folder in batch_folders for outcome in Batch(warehouse, folder).read_outcomes()]
    fault("before_ledger")
    listed = [ledger.write(warehouse, run_id, trigger, started_at, outcomes)]
    fault("after_ledger")
    with warehouse.lock("manifest"):
        for path, text in DICTIONARY:
            data = text().encode()
            warehouse.write_if_changed(path, data)
            listed.append(manifest.resource(path, data, table="data_dictionary"))
        for table, schema in SCHEMAS.items():
            data = (json.dumps(schema, indent=2) + "\n").encode()
            warehouse.write_if_changed(manifest.schema_path(table), data)
            listed.append(manifest.resource(manifest.schema_path(table), data, table="table_schema"))
        shared = manifest.read_package(warehouse)
        rewrite_index = bool(outcomes) or refresh or not warehouse.exists(INDEX)
        if shared is not None and not rewrite_index:
            # idle: nothing published or withdrawn, so the index page and placeholders stand; the whole manifest
            # is not read, so an idle run costs the same in any warehouse
            known = {r["path"] for r in shared["resources"]} | {r["path"] for r in listed}
        else:
            # every inspection's place and inspections-table entry, read a shard at a time, never the whole manifest
            published = manifest.published(warehouse)
            own = manifest.shared_part(warehouse)
            if rewrite_index:
                from flows.render.html import index_html  # Jinja2 loads only when the page is rewritten

                overviews = sorted({r["period"] for r in own["resources"] if r.get("table") == "national_overview"})
                inspections = read_entries(warehouse, published["resources"], "inspections")
                page = index_html(inspections, publication, overviews).encode("utf-8")
                warehouse.write_if_changed(INDEX, page)
                listed.append(manifest.resource(INDEX, page, table="annexe_index"))
                fault("after_index")
            tables = published["tables"] | {r.get("table") for r in own["resources"] if r.get("period")}
            listed += _empty_tables(warehouse, tables)
            known = {r["path"] for r in own["resources"]} | {r["path"] for r in listed}
        manifest.record(
            warehouse, listed + ledger.unlisted(warehouse, known), package_properties(publication), holding_lock=True
        )
    if batch_folders:
        staging.release(warehouse, staging.run_folder(batch_folders[0]))
    return outcomes
