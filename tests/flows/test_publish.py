"""What is published: the manifest's checksums, one set of figures across Parquet, spreadsheet and HTML,
and the quality gate standing between a wrong aggregate and publication."""

from __future__ import annotations

import hashlib
import json
import re

import openpyxl
import polars as pl
from typer.testing import CliRunner

from flows import publish, stages
from flows.cli import app
from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.warehouse import Warehouse, read_table
from schemas.tables import TABLES
from tests.conftest import LANDING, SAMPLES


def test_every_manifest_checksum_matches_its_file(broken_run):
    warehouse = broken_run["warehouse"]
    manifest = json.loads((warehouse / "datapackage.json").read_text())
    assert manifest["profile"] == "data-package"
    listed = set()
    for entry in manifest["resources"]:
        path = warehouse / entry["path"]
        data = path.read_bytes()
        assert entry["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}", entry["path"]
        assert entry["bytes"] == len(data)
        if entry["format"] == "parquet":
            assert entry["rows"] == pl.read_parquet(path).height
            assert entry["schema_version"] and entry["run_id"]
        listed.add(entry["path"])
    on_disk = {str(p.relative_to(warehouse)) for p in (warehouse / "annexe").rglob("*") if p.is_file()}
    assert on_disk <= listed, on_disk - listed
    assert len({e["name"] for e in manifest["resources"]}) == len(manifest["resources"])
    for inspection_id in SAMPLES:
        assert f"annexe/files/{inspection_id}/data-annexe.xlsx" in listed
        assert f"annexe/files/{inspection_id}/data-annexe.html" in listed


def _sheet_rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True) if row[0] is not None]


def test_spreadsheet_html_and_parquet_give_the_same_figures(broken_run):
    warehouse = broken_run["warehouse"]
    parquet = read_table(str(warehouse), "key_question_results").filter(pl.col("inspection_id") == "dyfed-powys-2025")
    from_parquet = dict(parquet.select("question_id", "published_percentage").iter_rows())
    assert from_parquet["P2.1.3"] == 38 and len(from_parquet) == 12

    files = warehouse / "annexe" / "files" / "dyfed-powys-2025"
    workbook = openpyxl.load_workbook(files / "data-annexe.xlsx")
    from_xlsx = {}
    for name in workbook.sheetnames:
        if re.match(r"P2\.\d_", name):
            rows = _sheet_rows(workbook[name])
            header = next(i for i, r in enumerate(rows) if r[0] == "Key question id")
            column = rows[header].index("Percentage Yes\n(%)")
            from_xlsx.update({r[0]: r[column] for r in rows[header + 1:]})
    assert from_xlsx == from_parquet

    page = (files / "data-annexe.html").read_text()
    from_table, from_chart = {}, {}
    # The first row for each key question is in its standard's table; breakdown tables follow.
    for question_id, value in re.findall(r'<tr data-question-id="([\w.]+)"[^>]*>.*?data-percentage="(\d+)"', page, re.S):
        from_table.setdefault(question_id, int(value))
    for question_id, value in re.findall(r'<rect class="bar[^"]*" data-question-id="([\w.]+)"\s+data-percentage="(\d+)"', page):
        from_chart[question_id] = int(value)
    assert from_table == from_parquet
    assert from_chart == from_parquet

    ratings = dict(read_table(str(warehouse), "standard_ratings").filter(
        pl.col("inspection_id") == "dyfed-powys-2025").select("standard_id", "rating").iter_rows())
    rows = _sheet_rows(workbook["Ratings"])
    header = next(i for i, r in enumerate(rows) if r[0] == "Standard id")
    assert {r[0]: r[4] for r in rows[header + 1:] if r[0] != "Overall"} == ratings
    assert '<td data-score="4" data-max-score="21">4/21</td>' in page
    assert re.search(r'<tr data-row="overall">.*?data-rating="Requires improvement"', page)


def test_open_prints_where_the_annexe_files_are(broken_run):
    result = CliRunner().invoke(app, ["open", "dyfed-powys-2025", "--warehouse", str(broken_run["warehouse"])],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 0
    printed = result.output.split()
    assert str(broken_run["warehouse"] / "annexe/files/dyfed-powys-2025/data-annexe.xlsx") in printed
    assert str(broken_run["warehouse"] / "annexe/files/dyfed-powys-2025/data-annexe.html") in printed
    missing = CliRunner().invoke(app, ["open", "broken-bad-answer", "--warehouse", str(broken_run["warehouse"])])
    assert missing.exit_code == 1


def test_data_dictionary_covers_every_published_column(broken_run):
    dictionary = json.loads((broken_run["warehouse"] / "annexe" / "data-dictionary.json").read_text())
    described = {t["name"]: [c["name"] for c in t["columns"]] for t in dictionary["tables"]}
    for name, spec in TABLES.items():
        assert described[name] == spec.column_names
    markdown = (broken_run["warehouse"] / "annexe" / "data-dictionary.md").read_text()
    assert "| `published_percentage` | Int64 | yes |" in markdown


def test_quality_gate_blocks_a_corrupted_aggregate_and_names_the_expectation(tmp_path):
    config = settings(landing=str(LANDING), warehouse=str(tmp_path / "warehouse"))
    warehouse, staging = Warehouse(config.warehouse), "_staging/test/batch-00000"
    ids = ["dyfed-powys-2025", "north-shire-2025"]
    stages.ingest(config.landing, config.warehouse, staging, ids, DEFAULT_FRAMEWORKS)
    stages.validate(config.warehouse, staging, DEFAULT_FRAMEWORKS)
    stages.aggregate(config.warehouse, staging, DEFAULT_FRAMEWORKS, 5)
    path = f"{staging}/tables/key_question_results.parquet"
    results = stages.read_frame(warehouse, path)
    corrupted = results.with_columns(
        published_percentage=pl.when((pl.col("inspection_id") == "dyfed-powys-2025") & (pl.col("question_id") == "P2.1.3"))
        .then(pl.col("published_percentage") + 1).otherwise(pl.col("published_percentage")))
    stages.write_frame(warehouse, path, corrupted)
    publish.check(config.warehouse, [staging], DEFAULT_FRAMEWORKS)
    publish.publish(config.warehouse, staging, "test-run", DEFAULT_FRAMEWORKS, config.publication)

    published = read_table(config.warehouse, "inspections")["inspection_id"].to_list()
    assert published == ["north-shire-2025"]
    quarantine = read_table(config.warehouse, "quarantine")
    assert quarantine["inspection_id"].unique().to_list() == ["dyfed-powys-2025"]
    messages = " ".join(quarantine["message"].to_list())
    assert "rounded half up" in messages and '"question_id":"P2.1.3"' in messages
    assert "expect_column_pair_values_to_be_equal" in quarantine["check"].to_list()


def test_status_shows_what_is_published_and_what_is_quarantined_and_why(broken_run):
    result = CliRunner().invoke(app, ["status", "--warehouse", str(broken_run["warehouse"])], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    output = " ".join(result.output.split())
    assert "dyfed-powys-2025" in output and "4/21" in output and "Requires improvement" in output
    assert "broken-bad-answer: not published" in output
    assert "'Maybe' is not allowed in P2.1.1" in output
    as_json = json.loads(CliRunner().invoke(app, ["status", "--json", "--warehouse", str(broken_run["warehouse"])],
                                            env={"COLUMNS": "300"}).output)
    assert as_json["inspections"]["dyfed-powys-2025"]["fingerprint"]
    assert {"broken-bad-answer", "broken-empty-file"} <= {q["inspection_id"] for q in as_json["quarantine"]}


def test_every_command_has_help():
    for command in ("run", "backfill", "validate", "status", "open", "serve", "synth"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        assert "Usage" in result.output


def test_synth_writes_a_landing_zone_that_validates(tmp_path):
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "landing"), "--inspections", "2", "--cases", "12"])
    assert result.exit_code == 0, result.output
    folders = sorted(p for p in (tmp_path / "landing").iterdir())
    assert len(folders) == 2
    checked = CliRunner().invoke(app, ["validate", str(folders[0])], env={"COLUMNS": "200"})
    assert checked.exit_code == 0 and "valid (12 cases" in checked.output
