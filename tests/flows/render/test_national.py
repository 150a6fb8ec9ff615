"""The national overview: its HTML page (markup, and funnel plots as headless Chromium draws them) and spreadsheet."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from flows.render.national import national_overview_html
from flows.render.national_spreadsheet import national_spreadsheet_bytes
from tests.flows.render.pages import assert_accessible_tables, assert_self_contained, outline
from tests.sample_tables import sample_tables
from transforms.comparisons import Z95, Z998, benchmarks, national_results, regional_results
from transforms.intervals import rating_sensitivity, with_intervals

SAMPLES = ["dyfed-powys-2025", "north-shire-2025", "east-vale-2024", "south-moor-2025", "band-edges-2025"]
PERIOD = "2025-26"  # Dyfed Powys, South Moor and Band Edges; North Shire and East Vale are 2024-25
CREATED = dt.date(2026, 5, 1)


def comparison_tables(samples: list[str] = SAMPLES, rename: dict[str, str] | None = None):
    built = [sample_tables(i) for i in samples]
    framework = built[0][1]
    tables = {name: pl.concat([t[name] for t, _ in built]) for name in built[0][0]}
    inspections = tables["inspections"]
    if rename:
        inspections = inspections.with_columns(pl.col("pdu").replace(rename), pl.col("region").replace(rename))
    national = national_results(tables["key_question_results"], tables["prompt_results"], inspections)
    return {
        "national_results": national,
        "regional_results": regional_results(tables["key_question_results"], tables["prompt_results"], inspections),
        "benchmarks": benchmarks(tables["key_question_results"], inspections, national),
        "inspections": inspections,
        "standard_ratings": rating_sensitivity(
            tables["standard_ratings"], with_intervals(tables["key_question_results"]), framework
        ),
    }, {framework.id: framework}


@pytest.fixture(scope="module")
def overview():
    return comparison_tables()


@pytest.fixture(scope="module")
def html(overview, publication) -> str:
    tables, frameworks = overview
    return national_overview_html(PERIOD, tables, frameworks, publication)


def test_page_is_self_contained_and_its_tables_accessible(html):
    assert_self_contained(html)
    # National, prompts, regional, 12 funnel tables, overall and standard ratings.
    assert assert_accessible_tables(html) == 3 + 12 + 2
    elements = outline(html)
    svgs = [attrs for tag, attrs in elements if tag == "svg"]
    assert len(svgs) == 12 and all(a["role"] == "img" and a["aria-labelledby"] for a in svgs)
    assert [tag for tag, _ in elements].count("h1") == 1
    assert "<title>Probation inspections 2025-26: national overview</title>" in html
    assert "1 April 2025 to 31 March 2026" in html


def test_page_shows_the_pooled_figures(html, overview):
    tables, _ = overview
    national = tables["national_results"].filter(pl.col("period") == PERIOD, pl.col("measure") == "key_question")
    assert national.height == 12 and set(national["inspections"]) == {3}
    for row in national.iter_rows(named=True):
        match = re.search(rf'<tr data-question-id="{re.escape(row["question_id"])}">(.*?)</tr>', html, re.S)
        cells = re.findall(r'<td class="num">(.*?)</td>', match.group(1))
        assert cells[:4] == [str(row[c]) for c in ("inspections", "yes", "no", "not_applicable")]
        assert cells[5] == f"{row['published_percentage']}%"
        assert cells[6] == f"{row['ci_lower']:.1f}% to {row['ci_upper']:.1f}%"
    regions = re.findall(r'<tr data-region="([^"]+)" data-question-id="P2.1.1">', html)
    assert regions == ["Midlands", "South West", "Wales"]


def test_rating_distribution_counts_the_period(html, overview):
    tables, _ = overview
    period = tables["inspections"].filter(pl.col("inspection_id").is_in(["dyfed-powys-2025", "south-moor-2025",
                                                                         "band-edges-2025"]))  # fmt: skip
    expected = dict(period["overall_rating"].value_counts().iter_rows())
    for rating in ("Outstanding", "Good", "Requires improvement", "Inadequate"):
        match = re.search(rf'<tr data-rating="{rating}"><th scope="row">{rating}</th><td class="num">(\d+)</td>', html)
        assert int(match.group(1)) == expected.get(rating, 0)
    row = re.search(r'<tr data-standard-id="P2.1">(.*?)</tr>', html, re.S).group(1)
    assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)][:4] == [1, 0, 0, 2]


def test_a_period_with_no_inspections_says_so(overview, publication):
    tables, frameworks = overview
    page = national_overview_html("2019-20", tables, frameworks, publication)
    assert "No inspections with fieldwork starting in 2019-20 have been published." in page
    with pytest.raises(ValueError, match="no inspections"):
        national_spreadsheet_bytes("2019-20", tables, frameworks, publication)


def test_hostile_names_are_escaped(publication):
    hostile = "<script>alert(1)</script>"
    tables, frameworks = comparison_tables(rename={"Dyfed Powys": hostile, "Wales": '"><img src=x>'})
    page = national_overview_html(PERIOD, tables, frameworks, publication)
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert_self_contained(page)


# --- In a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_path(html, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("national") / "national-2025-26.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture
def page(browser, page_path):
    browser.get(page_path.as_uri())
    return browser


def _geometry(chart) -> dict:
    return {k: float(chart.get_attribute(f"data-{k}")) for k in ("plot-left", "plot-right", "plot-top",
                                                                   "plot-bottom", "n-max")}  # fmt: skip


def _back(g: dict, x: float, y: float) -> tuple[float, float]:
    """A position in the chart mapped back to (relevant cases, percentage)."""
    n = (x - g["plot-left"]) / (g["plot-right"] - g["plot-left"]) * g["n-max"]
    return n, 100 * (g["plot-bottom"] - y) / (g["plot-bottom"] - g["plot-top"])


def test_browser_points_sit_at_their_relevant_cases_and_percentage(page, overview):
    from selenium.webdriver.common.by import By

    tables, _ = overview
    marks = tables["benchmarks"].filter(pl.col("period") == PERIOD)
    expected = {(r["inspection_id"], r["question_id"]): r for r in marks.iter_rows(named=True)}
    charts = page.find_elements(By.CSS_SELECTOR, "svg.funnel")
    assert len(charts) == 12
    seen = 0
    for chart in charts:
        assert chart.is_displayed()
        g = _geometry(chart)
        scale = chart.rect["width"] / float(chart.get_dom_attribute("viewBox").split()[2])
        qid = chart.get_attribute("data-question-id")
        for point in chart.find_elements(By.CSS_SELECTOR, "circle.point"):
            row = expected[(point.get_attribute("data-inspection-id"), qid)]
            cx, cy = float(point.get_attribute("cx")), float(point.get_attribute("cy"))
            n, percentage = _back(g, cx, cy)
            assert n == pytest.approx(row["relevant_cases"], abs=0.01)
            assert percentage == pytest.approx(row["percentage"], abs=0.01)
            assert point.get_attribute("data-zone") == row["funnel_zone"]
            # Drawn where its coordinates say: the centre of its box on the page, through the chart's scale.
            centre_x = point.rect["x"] + point.rect["width"] / 2 - chart.rect["x"]
            centre_y = point.rect["y"] + point.rect["height"] / 2 - chart.rect["y"]
            assert (centre_x, centre_y) == pytest.approx((cx * scale, cy * scale), abs=1.5)
            (label,) = chart.find_elements(
                By.CSS_SELECTOR, f'text.point-label[data-inspection-id="{row["inspection_id"]}"]'
            )
            assert label.is_displayed() and label.text
            seen += 1
    assert seen == marks.filter(pl.col("relevant_cases") > 0).height == 36


def test_browser_limit_curves_follow_the_formula(page, overview):
    from selenium.webdriver.common.by import By

    tables, _ = overview
    national = dict(
        tables["national_results"]
        .filter(pl.col("period") == PERIOD, pl.col("measure") == "key_question")
        .select("question_id", "percentage")
        .iter_rows()
    )
    limits = {"lower_99_8": -Z998, "lower_95": -Z95, "upper_95": Z95, "upper_99_8": Z998}
    for chart in page.find_elements(By.CSS_SELECTOR, "svg.funnel"):
        g = _geometry(chart)
        p0 = national[chart.get_attribute("data-question-id")] / 100
        assert float(chart.get_attribute("data-national")) == pytest.approx(100 * p0)
        (line,) = chart.find_elements(By.CSS_SELECTOR, "line.national")
        assert _back(g, 0, float(line.get_attribute("y1")))[1] == pytest.approx(100 * p0, abs=0.01)
        curves = chart.find_elements(By.CSS_SELECTOR, "polyline.limit")
        assert sorted(c.get_attribute("data-limit") for c in curves) == sorted(limits)
        for curve in curves:
            z = limits[curve.get_attribute("data-limit")]
            points = page.execute_script("return Array.from(arguments[0].points).map(p => [p.x, p.y]);", curve)
            assert len(points) > 50
            for x, y in points:
                n, percentage = _back(g, x, y)
                expected = min(100.0, max(0.0, 100 * (p0 + z * math.sqrt(p0 * (1 - p0) / n))))
                assert percentage == pytest.approx(expected, abs=0.02)
            # The curve is drawn inside the chart.
            assert chart.rect["y"] <= curve.rect["y"] and curve.rect["y"] + curve.rect["height"] <= (
                chart.rect["y"] + chart.rect["height"]
            )
            (label,) = chart.find_elements(
                By.CSS_SELECTOR, f'text.limit-label[data-limit="{curve.get_attribute("data-limit")}"]'
            )
            assert label.is_displayed()


def test_browser_table_alternative_gives_every_point(page):
    from selenium.webdriver.common.by import By

    for chart in page.find_elements(By.CSS_SELECTOR, "svg.funnel"):
        (table,) = page.find_elements(By.CSS_SELECTOR, f"table#{chart.get_attribute('id')}-table")
        assert table.is_displayed()
        rows = {r.get_attribute("data-inspection-id"): r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")}
        points = chart.find_elements(By.CSS_SELECTOR, "circle.point")
        assert set(rows) == {p.get_attribute("data-inspection-id") for p in points}
        for point in points:
            row = rows[point.get_attribute("data-inspection-id")]
            assert row.get_attribute("data-zone") == point.get_attribute("data-zone")
            cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "td")]
            assert cells[1] == point.get_attribute("data-relevant-cases")
            assert cells[2] == f"{float(point.get_attribute('data-percentage')):.1f}%"
            assert cells[5].startswith(("Above", "Below", "Within"))
    pdf = page.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"]
    assert len(pdf) > 10_000


# --- The spreadsheet ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(overview, publication):
    tables, frameworks = overview
    return openpyxl.load_workbook(io.BytesIO(national_spreadsheet_bytes(PERIOD, tables, frameworks, publication,
                                                                        CREATED)))  # fmt: skip


def table_records(ws) -> list[dict]:
    (ref,) = [t.ref for t in ws.tables.values()]
    rows = list(ws[ref])
    headers = [str(c.value).split("\n")[0] for c in rows[0]]
    return [dict(zip(headers, (c.value for c in row), strict=True)) for row in rows[1:]]


def test_spreadsheet_layout_is_accessible(workbook):
    assert workbook.sheetnames == ["Cover", "Contents", "Notes", "National", "Regional", "Funnel", "Overall_ratings",
                                   "Standard_ratings"]  # fmt: skip
    assert workbook["Cover"]["A1"].value == "Probation inspections 2025-26: national overview"
    contents = table_records(workbook["Contents"])
    assert [r["Sheet name"] for r in contents] == workbook.sheetnames[3:]
    links = [c.hyperlink.location or c.hyperlink.target for c in workbook["Contents"]["A"] if c.hyperlink]
    assert len(links) == 5
    for ws in workbook.worksheets:
        assert not ws.merged_cells.ranges
        assert ws["A1"].value
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            assert any(v not in (None, "") for v in row), f"{ws.title} row {number} is blank"
    for ws in workbook.worksheets[1:]:
        (table,) = ws.tables.values()
        first, last = table.ref.split(":")
        assert first.startswith("A") and int(re.sub(r"\D", "", last)) == ws.max_row
        for row in ws.iter_rows(min_row=1, max_row=int(re.sub(r"\D", "", first)) - 1):
            assert isinstance(row[0].value, str) and all(c.value is None for c in row[1:])
    titles = " ".join(ws["A1"].value for ws in workbook.worksheets[3:])
    notes = table_records(workbook["Notes"])
    for note in notes:
        assert f"[note {note['Note number']}]" in titles
    assert workbook.properties.language == "en-GB"
    assert workbook.properties.created == dt.datetime(2026, 5, 1)


def test_spreadsheet_figures_match_the_tables(workbook, overview):
    tables, _ = overview
    national = tables["national_results"].filter(pl.col("period") == PERIOD)
    records = table_records(workbook["National"])
    assert len(records) == national.height
    for record, row in zip(records, national.iter_rows(named=True), strict=True):
        assert record["Key question id"] == row["question_id"]
        assert record["Prompt id"] == (row["prompt_id"] or "[z]")
        assert record["Relevant cases"] == row["relevant_cases"]
        assert record["Percentage Yes"] == row["published_percentage"]
        assert record["95% interval, lower"] == pytest.approx(row["ci_lower"], abs=1e-12)
    funnel = {(r["Inspection id"], r["Key question id"]): r for r in table_records(workbook["Funnel"])}
    marks = tables["benchmarks"].filter(pl.col("period") == PERIOD)
    assert len(funnel) == marks.height
    for row in marks.iter_rows(named=True):
        record = funnel[(row["inspection_id"], row["question_id"])]
        assert record["Upper 95% limit"] == pytest.approx(row["upper_95"], abs=1e-12)
        assert record["Position"].lower().startswith(row["funnel_zone"].split("_")[0])
    regional = table_records(workbook["Regional"])
    assert {r["Region"] for r in regional} == {"Midlands", "South West", "Wales"}
    overall = table_records(workbook["Overall_ratings"])
    assert sum(r["Inspections"] for r in overall) == 3


def test_spreadsheet_is_deterministic_and_stores_text_as_text(overview, publication):
    tables, frameworks = comparison_tables(rename={"Dyfed Powys": '=HYPERLINK("x")'})
    first = national_spreadsheet_bytes(PERIOD, tables, frameworks, publication, CREATED)
    assert first == national_spreadsheet_bytes(PERIOD, tables, frameworks, publication, CREATED)
    workbook = openpyxl.load_workbook(io.BytesIO(first))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert cells and all(c.data_type == "s" for c in cells)
