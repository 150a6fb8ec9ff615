"""The annexe shows unrated measures (management oversight ...) in a table of their own, none when absent."""

from __future__ import annotations

import polars as pl

from flows.render.html import annexe_html
from flows.render.spreadsheet import build_sheets


def test_html_has_an_accessible_table_of_other_measures(dyfed, released):
    tables, framework = dyfed
    page = annexe_html(tables, framework, released)
    assert '<table id="unrated-table">' in page and '<a href="#unrated">Other measures</a>' in page
    assert '<th scope="row">U1 management oversight of the case is sufficient</th>' in page
    assert 'data-measure-id="U2"' in page and 'data-percentage="33"' in page


def test_spreadsheet_has_a_sheet_of_other_measures(dyfed, released):
    tables, framework = dyfed
    _, sheets = build_sheets(tables, framework, released)
    sheet = sheets["Other measures"]
    rows = [dict(zip(sheet.headers, row, strict=True)) for row in sheet.rows]
    assert [(r["Measure id"], r["Yes"], r["Relevant cases"]) for r in rows] == [("U1", 21, 45), ("U2", 2, 6)]


def test_no_unrated_answers_no_table_and_no_sheet(dyfed, released):
    tables, framework = dyfed
    empty = tables | {"unrated_results": tables["unrated_results"].clear()}
    assert "unrated-table" not in annexe_html(empty, framework, released)
    assert "Other measures" not in build_sheets(empty, framework, released)[1]
    absent = {k: v for k, v in tables.items() if k != "unrated_results"}
    assert "unrated-table" not in annexe_html(absent, framework, released)
    assert isinstance(tables["unrated_results"], pl.DataFrame)
