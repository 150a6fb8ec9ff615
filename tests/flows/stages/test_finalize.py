"""Finalize: a warehouse analysts can always read, described as a valid Frictionless data package."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from schemas.tables import TABLES
from tests.conftest import LANDING, SAMPLES
from tests.stages import run_stages


@pytest.fixture(scope="module")
def clean_warehouse(tmp_path_factory):
    """The bundled samples published by the stages themselves (no Prefect): nothing in quarantine."""
    root = tmp_path_factory.mktemp("clean")
    outcomes = run_stages(LANDING, root / "warehouse", SAMPLES)
    assert {o["outcome"] for o in outcomes} == {"published"}
    return root / "warehouse"


def test_frictionless_validates_the_package_and_every_table_against_its_schema(clean_warehouse):
    from frictionless import validate as frictionless_validate

    manifest = json.loads((clean_warehouse / "datapackage.json").read_text())
    assert manifest["title"] and manifest["licenses"][0]["name"] == "OGL-UK-3.0" and manifest["sources"]
    report = frictionless_validate(str(clean_warehouse / "datapackage.json"))
    problems = [(task.name, [e.message for e in task.errors][:2]) for task in report.tasks if not task.valid]
    assert report.valid, problems
    schema = json.loads((clean_warehouse / "annexe/schemas/breakdowns.json").read_text())
    assert [f["name"] for f in schema["fields"]] == [
        c for c in TABLES["breakdowns"].column_names if c != "inspection_id"
    ]


def test_an_empty_quarantine_reads_as_zero_rows_with_its_schema_in_polars_pyarrow_and_duckdb(clean_warehouse):
    folder = clean_warehouse / "annexe" / "quarantine"
    by_polars = pl.read_parquet(
        f"{folder}/*/*.parquet", hive_partitioning=True, hive_schema={"inspection_id": pl.String}
    )
    assert by_polars.height == 0 and set(by_polars.columns) == set(TABLES["quarantine"].column_names)
    partitioning = ds.partitioning(pa.schema([("inspection_id", pa.string())]), flavor="hive")
    by_pyarrow = ds.dataset(str(folder), format="parquet", partitioning=partitioning).to_table()
    assert by_pyarrow.num_rows == 0 and set(by_pyarrow.column_names) == set(TABLES["quarantine"].column_names)
    by_duckdb = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/*/*.parquet', hive_partitioning = true)")
    assert len(by_duckdb.fetchall()) == 0 and set(by_duckdb.columns) == set(TABLES["quarantine"].column_names)


def test_the_placeholder_goes_once_the_table_has_rows_and_reads_stay_true(clean_warehouse):
    manifest = json.loads((clean_warehouse / "datapackage.json").read_text())
    placeholders = sorted(e["table"] for e in manifest["resources"] if e.get("rows") == 0 and "_empty" in e["path"])
    assert placeholders == ["quarantine"]
    assert not (clean_warehouse / "annexe/inspections/inspection_id=_empty").exists()


def test_every_inspection_carries_its_release_facts(clean_warehouse):
    manifest = json.loads((clean_warehouse / "datapackage.json").read_text())
    state = manifest["inspections"]["dyfed-powys-2025"]
    assert state["first_published"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert state["revisions"] == [] and state["statistics_status"] == manifest["statistics_status"]


def test_a_report_url_in_the_manifest_reaches_the_annexe_and_the_manifest(tmp_path):
    import shutil

    landing = tmp_path / "landing"
    shutil.copytree(LANDING / "south-moor-2025", landing / "south-moor-2025")
    manifest = landing / "south-moor-2025" / "inspection.toml"
    url = "https://www.justiceinspectorates.gov.uk/hmiprobation/south-moor"
    manifest.write_text(f'report_url = "{url}"\n' + manifest.read_text())
    run_stages(landing, tmp_path / "warehouse", ["south-moor-2025"])
    state = json.loads((tmp_path / "warehouse" / "datapackage.json").read_text())["inspections"]["south-moor-2025"]
    assert state["report_url"] == url
    page = (tmp_path / "warehouse" / "annexe/files/south-moor-2025/data-annexe.html").read_text()
    assert f'href="{url}"' in page
