"""The HTML data annexe and index: their markup, and the annexe as real headless Chromium renders it."""

from __future__ import annotations

import base64
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from flows.render.html import annexe_html, index_html
from tests.report import REPORT_PERCENTAGES, REPORT_RATINGS
from tests.sample_tables import sample_tables

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")



@pytest.fixture(scope="module")
def html(dyfed, publication) -> str:
    tables, framework = dyfed
    return annexe_html(tables, framework, publication)


@pytest.fixture(scope="module")
def index(publication) -> str:
    inspections = pl.concat(
        [sample_tables(i)[0]["inspections"] for i in ("dyfed-powys-2025", "north-shire-2025", "east-vale-2024")]
    )
    return index_html(inspections, publication)


class Outline(HTMLParser):
    """What the accessibility checks need from a page: elements in order, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def outline(page: str) -> list[tuple[str, dict]]:
    parser = Outline()
    parser.feed(page)
    return parser.elements


def assert_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower()
    assert "@import" not in page and "url(" not in page
    for tag, attrs in outline(page):
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", value) or value.startswith("mailto:"), value


def assert_accessible_tables(page: str) -> int:
    elements = outline(page)
    tables = 0
    for n, (tag, attrs) in enumerate(elements):
        if tag == "table":
            tables += 1
            assert elements[n + 1][0] == "caption", f"table {attrs.get('id', n)} needs a caption first"
        if tag == "th":
            assert attrs.get("scope") in {"col", "row", "colgroup", "rowgroup"}, f"th without scope: {attrs}"
    return tables


def test_annexe_is_self_contained(html):
    assert_self_contained(html)


def test_annexe_markup_is_accessible(html):
    elements = outline(html)
    assert re.search(r'<html lang="en">', html)
    assert [t for t, _ in elements].count("h1") == 1
    assert "<h1>Dyfed Powys probation inspection 2025: data annexe</h1>" in html
    # Ratings, how rated, 4 key-question tables, prompts, sample and 6 breakdown tables.
    assert assert_accessible_tables(html) == 2 + 4 + 1 + 1 + 6
    svgs = [a for t, a in elements if t == "svg"]
    assert len(svgs) == 4
    for svg in svgs:
        assert svg["role"] == "img"
        assert svg["aria-labelledby"] == f"{svg['id']}-title {svg['id']}-desc"
        assert f'<title id="{svg["id"]}-title">' in html and f'<desc id="{svg["id"]}-desc">' in html
    assert "@media print" in html


def test_annexe_shows_ratings_in_words_and_suppression(html):
    assert 'data-score="4" data-max-score="21">4/21</td>' in html
    assert '<td class="rating" data-rating="Requires improvement">Requires improvement</td>' in html
    assert html.count('data-suppressed="true"') > 0
    assert "[c] marks a figure withheld" in html


def test_index_lists_inspections_with_links(index):
    assert_self_contained(index)
    assert assert_accessible_tables(index) == 1
    hrefs = [a["href"] for t, a in outline(index) if t == "a" and "href" in a]
    for inspection_id in ("dyfed-powys-2025", "north-shire-2025", "east-vale-2024"):
        assert f"{inspection_id}/data-annexe.html" in hrefs
        assert f"{inspection_id}/data-annexe.xlsx" in hrefs
    rows = re.findall(r'<tr data-inspection-id="([^"]+)">', index)
    assert rows == ["dyfed-powys-2025", "north-shire-2025", "east-vale-2024"], "newest fieldwork first"
    assert "August 2025" in index and "4/21" in index and "Requires improvement" in index
    assert "Wales" in index and "Outstanding" in index


def test_index_with_nothing_published_says_so(dyfed, publication):
    tables, _ = dyfed
    page = index_html(tables["inspections"].clear(), publication)
    assert "No inspections have been published yet." in page
    assert_self_contained(page)
    assert [t for t, _ in outline(page)].count("h1") == 1


def test_annexe_of_a_key_question_with_no_relevant_case(dyfed, publication):
    tables, framework = dyfed
    none_relevant = pl.col("question_id") == "P2.4.2"
    changed = dict(tables)
    changed["key_question_results"] = tables["key_question_results"].with_columns(
        [pl.when(none_relevant).then(value).otherwise(pl.col(name)).alias(name)
         for name, value in (("yes", 0), ("no", 0), ("not_applicable", 45), ("relevant_cases", 0),
                             ("percentage", None), ("published_percentage", None))]
    )
    page = annexe_html(changed, framework, publication)
    assert 'rect class="bar" data-question-id="P2.4.2"' not in page
    assert 'data-question-id="P2.4.2" x=' in page and ">no relevant cases</text>" in page
    assert page.count('<rect class="bar') == 11


# --- In a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("needs Chromium: apt-get install -y chromium chromium-driver (gives /usr/bin/chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}", "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, html, tmp_path_factory):
    path = tmp_path_factory.mktemp("site") / "dyfed-powys-2025" / "data-annexe.html"
    path.parent.mkdir(parents=True)
    path.write_text(html, encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def _css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def test_browser_shows_the_ratings_box(page, dyfed):
    tables, _ = dyfed
    assert page.title == "Dyfed Powys probation inspection 2025: data annexe"
    (box,) = _css(page, "#ratings-table")
    assert _css(box, "caption")[0].text == "Ratings: Dyfed Powys PDU"
    assert _css(box, 'tr[data-row="fieldwork"]')[0].text == "Fieldwork started August 2025"
    assert _css(box, 'tr[data-row="score"]')[0].text == "Score 4/21"
    assert _css(box, 'tr[data-row="overall"]')[0].text == "Overall rating Requires improvement"
    ratings = dict(tables["standard_ratings"].select("standard_id", "rating").iter_rows())
    assert ratings == REPORT_RATINGS
    for standard_id, rating in REPORT_RATINGS.items():
        (row,) = _css(box, f'tr[data-standard-id="{standard_id}"]')
        assert row.text.endswith(" " + rating)
        assert row.text.startswith(standard_id.replace("P", "P ", 1))
    assert "P 2.3 Implementation and delivery Inadequate" in box.text


def test_browser_charts_show_the_published_percentages(page, dyfed):
    tables, _ = dyfed
    published = dict(tables["key_question_results"].select("question_id", "published_percentage").iter_rows())
    assert published == REPORT_PERCENTAGES
    charts = _css(page, "svg.chart")
    assert len(charts) == 4
    seen = {}
    for chart in charts:
        assert chart.is_displayed()
        assert chart.get_attribute("role") == "img"
        for bar in _css(chart, "rect.bar"):
            qid = bar.get_attribute("data-question-id")
            seen[qid] = int(bar.get_attribute("data-percentage"))
            (label,) = _css(chart, f'text.bar-value[data-question-id="{qid}"]')
            assert label.text.split()[0] == f"{published[qid]}%"
            assert int(label.get_attribute("data-percentage")) == published[qid]
        bands = {g.get_attribute("data-band"): int(g.get_attribute("data-threshold")) for g in _css(chart, "g.band")}
        assert bands == {"Requires improvement": 50, "Good": 65, "Outstanding": 80}
        labels = [t.text for t in _css(chart, "text.band-label")]
        assert {"Requires improvement (50%)", "Good (65%)", "Outstanding (80%)"} <= set(labels)
    assert seen == REPORT_PERCENTAGES
    lowest = _css(page, 'text.bar-value[data-question-id="P2.1.3"]')[0].text
    assert lowest == "38% (lowest)"


def test_browser_bar_widths_are_proportional(page):
    widths = {bar.get_attribute("data-question-id"): bar.rect["width"] for bar in _css(page, "rect.bar")}
    assert widths["P2.1.2"] > widths["P2.1.3"]  # 80% against 38%
    per_point = widths["P2.1.2"] / 80
    for qid, percentage in REPORT_PERCENTAGES.items():
        assert widths[qid] == pytest.approx(per_point * percentage, rel=0.01)
    # The bar of 80% ends on the Outstanding threshold line of its chart.
    (chart,) = _css(page, 'svg.chart[data-standard-id="P2.1"]')
    (bar,) = _css(chart, 'rect.bar[data-question-id="P2.1.2"]')
    line = _css(chart, 'g.band[data-threshold="80"] line')[0]
    assert bar.rect["x"] + bar.rect["width"] == pytest.approx(line.rect["x"] + line.rect["width"] / 2, abs=1.5)


def test_browser_breakdowns_show_c_for_suppressed_cells(page, dyfed):
    tables, _ = dyfed
    suppressed = tables["breakdowns"].filter(pl.col("suppressed"))
    cells = _css(page, 'td[data-suppressed="true"]')
    assert len(cells) == suppressed.height
    assert {c.text for c in cells} == {"[c]"}
    (female,) = _css(page, 'table[data-dimension="sex"] tr[data-question-id="P2.4.1"] td[data-category="female"]')
    assert female.text == "[c]"
    (male,) = _css(page, 'table[data-dimension="sex"] tr[data-question-id="P2.1.1"] td[data-category="male"]')
    assert male.text == "82% (39)"


def test_browser_screenshot_and_print(page, tmp_path):
    size = page.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    shot = page.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}},
    )
    path = tmp_path / "data-annexe.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and height > 3000, (width, height)
    assert len(data) > 100_000
    pdf = base64.b64decode(page.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
