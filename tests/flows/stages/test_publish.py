"""What is published: the manifest's checksums, one set of figures across Parquet, spreadsheet and HTML,
and the quality gate standing between a wrong aggregate and publication."""

from __future__ import annotations

import json
import re

import openpyxl
import polars as pl

from flows.store.warehouse import read_table
from schemas.tables import TABLES


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
            from_xlsx.update({r[0]: r[column] for r in rows[header + 1 :]})
    assert from_xlsx == from_parquet

    page = (files / "data-annexe.html").read_text()
    from_table, from_chart = {}, {}
    # The first row for each key question is in its standard's table; breakdown tables follow.
    for question_id, value in re.findall(
        r'<tr data-question-id="([\w.]+)"[^>]*>.*?data-percentage="(\d+)"', page, re.S
    ):
        from_table.setdefault(question_id, int(value))
    for question_id, value in re.findall(
        r'<rect class="bar[^"]*" data-question-id="([\w.]+)"\s+data-percentage="(\d+)"', page
    ):
        from_chart[question_id] = int(value)
    assert from_table == from_parquet
    assert from_chart == from_parquet

    ratings = dict(
        read_table(str(warehouse), "standard_ratings")
        .filter(pl.col("inspection_id") == "dyfed-powys-2025")
        .select("standard_id", "rating")
        .iter_rows()
    )
    rows = _sheet_rows(workbook["Ratings"])
    header = next(i for i, r in enumerate(rows) if r[0] == "Standard id")
    assert {r[0]: r[4] for r in rows[header + 1 :] if r[0] != "Overall"} == ratings
    assert '<td data-score="4" data-max-score="21">4/21</td>' in page
    assert re.search(r'<tr data-row="overall">.*?data-rating="Requires improvement"', page)


def test_data_dictionary_covers_every_published_column(broken_run):
    dictionary = json.loads((broken_run["warehouse"] / "annexe" / "data-dictionary.json").read_text())
    described = {t["name"]: [c["name"] for c in t["columns"]] for t in dictionary["tables"]}
    for name, spec in TABLES.items():
        assert described[name] == spec.column_names
    markdown = (broken_run["warehouse"] / "annexe" / "data-dictionary.md").read_text()
    assert "| `published_percentage` | Int64 | yes |" in markdown
