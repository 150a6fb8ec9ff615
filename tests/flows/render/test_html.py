"""The HTML data annexe and index: their markup, and the annexe as real headless Chromium renders it."""

from __future__ import annotations

import base64
import html as markup
import re
import struct
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest

from flows.render.html import annexe_html, index_html
from tests.flows.render.pages import (
    assert_accessible_tables,
    assert_no_external_references,
    assert_self_contained,
    outline,
    texts,
)
from tests.flows.render.variants import (
    HOSTILE,
    RELEASE,
    RENAMED,
    hostile_tables,
    protected_profile,
    some_prompts,
    unprotected_profile,
)
from tests.report import REPORT_PERCENTAGES, REPORT_RATINGS
from tests.sample_tables import sample_tables

BANDS = {"Inadequate": 0, "Requires improvement": 50, "Good": 65, "Outstanding": 80}
BAND_LABELS = {
    "Inadequate (0% to 49%)",
    "Requires improvement (50% to 64%)",
    "Good (65% to 79%)",
    "Outstanding (80% to 100%)",
}
NO_PROMPTS = "No prompt answers were supplied for this inspection, so no prompt figures are published."


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


def test_annexe_is_self_contained(html):
    assert_self_contained(html)


def test_annexe_markup_is_accessible(html):
    elements = outline(html)
    assert re.search(r'<html lang="en">', html)
    assert [t for t, _ in elements].count("h1") == 1
    assert "<h1>Dyfed Powys probation inspection 2025: data annexe</h1>" in html
    # Ratings summary, ratings by standard, how rated, 4 key-question tables, prompts, other measures, sample,
    # 6 breakdowns.
    assert assert_accessible_tables(html) == 3 + 4 + 1 + 1 + 1 + 6
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
    assert "The same protection applies to the numbers of cases in the sample profile" in html


def test_standard_ids_are_as_published(html, dyfed):
    tables, _ = dyfed
    assert "P 1" not in html and "P 2" not in html
    for row in tables["standard_ratings"].iter_rows(named=True):
        assert f'<th scope="row">{row["standard_id"]} {row["standard_name"]}</th>' in html


def test_without_release_facts_as_before(html):
    assert 'id="release"' not in html and 'id="revisions"' not in html and "#revisions" not in html


def test_release_facts_near_the_top_and_revisions(dyfed, released):
    page = annexe_html(*dyfed, released)
    elements = outline(page)
    ids = [a.get("id") for _, a in elements]
    assert ids.index("release") < ids.index("contents-heading") < ids.index("revisions") < ids.index("about")
    facts = [t.strip() for tag, t in texts(page) if tag in {"dt", "dd", "a"} and t.strip()]
    start = facts.index("Published")
    assert facts[start : start + 9] == [
        "Published",
        "5 March 2026",
        "Statistics status",
        "Official statistics in development",
        "Next update",
        "Not planned: each inspection is published once",
        "Inspection report",
        RELEASE["report_url"],
        "Revised",
    ]
    assert f'<a href="{RELEASE["report_url"]}">{RELEASE["report_url"]}</a>' in page
    assert ("a", {"href": "#revisions"}) in elements
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td></tr>', page.split('id="revisions"')[1])
    assert rows[:2] == [
        ("2 April 2026", "Added the sample profile&#39;s withheld counts."),
        ("12 March 2026", "Corrected the region."),
    ]
    assert_accessible_tables(page)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "example.org/report"]
)
def test_an_untrusted_report_address_is_text(dyfed, released, url):
    page = annexe_html(*dyfed, released | {"release": RELEASE | {"report_url": url, "revisions": []}})
    hrefs = [a.get("href", "") for t, a in outline(page) if t == "a"]
    assert not any(url in h for h in hrefs)
    assert f"<dd>{markup.escape(url)}</dd>" in page
    assert 'id="revisions"' not in page and "Revised" not in page
    assert_self_contained(page)


def test_breakdown_rows_show_the_question_wording(html, dyfed):
    tables, framework = dyfed
    wording = dict(framework.key_questions.select("question_id", "question_text").iter_rows())
    rows = re.findall(r'<table class="breakdown".*?</table>', html, re.DOTALL)
    assert len(rows) == 6
    for table in rows:
        for qid, header in re.findall(r'<tr data-question-id="([^"]+)">\s*<th scope="row">(.*?)</th>', table):
            assert header == markup.escape(f"{qid} {wording[qid]}")


def test_every_rating_band_is_labelled_on_the_charts(html):
    for chart in re.findall(r"<svg.*?</svg>", html, re.DOTALL):
        bands = dict(re.findall(r'data-band="([^"]+)" data-threshold="(\d+)"', chart))
        assert {b: int(t) for b, t in bands.items()} == BANDS
        labels = set(re.findall(r'<text class="band-label"[^>]*>([^<]+)</text>', chart))
        assert BAND_LABELS <= labels
        assert "Rating bands: Inadequate (0% to 49%), Requires improvement (50% to 64%)" in chart


@pytest.mark.parametrize(
    ("tables_of", "statement", "shown"),
    [
        (lambda t: {k: v for k, v in t.items() if k != "prompt_results"}, NO_PROMPTS, []),
        (lambda t: t | {"prompt_results": t["prompt_results"].clear()}, NO_PROMPTS, []),
        (lambda t: some_prompts(t, ("P2.3.1",)), "Prompt answers were supplied for {n} of the 21 prompts", ["P2.3.1"]),
        (lambda t: t, None, sorted({p[:6] for p in REPORT_PERCENTAGES})),
    ],
    ids=["absent", "empty", "partly", "all"],
)
def test_prompts_absent_partly_or_all_supplied(dyfed, publication, tables_of, statement, shown):
    tables, framework = dyfed
    page = annexe_html(tables_of(tables), framework, publication)
    groups = re.findall(r'<tbody data-question-id="([^"]+)">', page)
    assert groups == shown
    if statement is None:
        assert 'id="prompts-statement"' not in page
    else:
        statement = statement.format(n=page.count("<tr data-prompt-id="))
        assert re.search(rf'<p id="prompts-statement">{re.escape(statement)}[^<]*</p>', page)
    assert ('id="prompts-table"' in page) == bool(shown)
    assert '<a href="#prompts">Prompts</a>' in page


def test_withheld_sample_counts_show_c(dyfed, publication):
    tables, framework = dyfed
    protected = protected_profile(tables)
    page = annexe_html(protected, framework, publication)
    sample = page.split('id="sample-table"')[1].split("</table>")[0]
    withheld = protected["sample_profile"]["suppressed"].sum()
    assert sample.count('data-suppressed="true"') == withheld > 0
    very_high = r'<th scope="row">Very high</th>\s*<td class="num suppressed" data-suppressed="true"><abbr'
    assert re.search(very_high, sample)
    assert re.search(r'<th scope="row">Male</th>\s*<td class="num">40</td>', sample)
    assert "[c] marks a number of cases withheld" in page
    old = annexe_html(unprotected_profile(tables), framework, publication)
    assert "[c] marks a number of cases withheld" not in old and re.search(r'Other</th>\s*<td class="num">1</td>', old)


@pytest.mark.parametrize("n", range(len(HOSTILE)), ids=lambda n: f"hostile-{n}")
def test_hostile_text_is_escaped(n, dyfed, publication):
    tables, framework = dyfed
    pdu, region = HOSTILE[n], HOSTILE[(n + 5) % len(HOSTILE)]
    hostile = hostile_tables(tables, pdu, region)
    page = annexe_html(hostile, framework, publication)
    assert_no_external_references(page)
    tags = [t for t, _ in outline(page)]
    assert "script" not in tags and "img" not in tags
    shown = texts(page)
    assert ("h1", f"{pdu} probation inspection 2025: data annexe") in shown
    assert ("title", f"{pdu} probation inspection 2025: data annexe") in shown
    assert ("caption", f"Ratings: {pdu} PDU") in shown
    assert any(tag == "p" and f"{region}. Fieldwork started" in text for tag, text in shown)
    for text in HOSTILE:
        assert ("th", text) in shown, "every hostile category is shown as a row or column header"
    for svg in re.findall(r"<svg.*?</svg>", page, re.DOTALL):
        assert not any(text in svg or markup.escape(text) in svg for text in HOSTILE[:8])
    index = index_html(hostile["inspections"], publication)
    assert "script" not in [t for t, _ in outline(index)] and ("a", pdu) in texts(index)


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
        [
            pl.when(none_relevant).then(value).otherwise(pl.col(name)).alias(name)
            for name, value in (
                ("yes", 0),
                ("no", 0),
                ("not_applicable", 45),
                ("relevant_cases", 0),
                ("percentage", None),
                ("published_percentage", None),
            )
        ]
    )
    page = annexe_html(changed, framework, publication)
    assert 'rect class="bar" data-question-id="P2.4.2"' not in page
    assert 'data-question-id="P2.4.2" x=' in page and ">no relevant cases</text>" in page
    assert page.count('<rect class="bar') == 11


# --- In a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_path(html, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("site") / "dyfed-powys-2025" / "data-annexe.html"
    path.parent.mkdir(parents=True)
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture
def page(browser, page_path):
    """The Dyfed Powys annexe in the browser, loaded afresh as another test may have shown another page."""
    browser.get(page_path.as_uri())
    return browser


def _css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def test_browser_shows_the_ratings_box(page, dyfed):
    tables, _ = dyfed
    assert page.title == "Dyfed Powys probation inspection 2025: data annexe"
    (summary,) = _css(page, ".ratings-box #ratings-summary")
    assert _css(summary, "caption")[0].text == "Ratings: Dyfed Powys PDU"
    assert not _css(summary, "thead"), "no Standard / Rating headings over rows that are not standards"
    assert _css(summary, 'tr[data-row="fieldwork"]')[0].text == "Fieldwork started August 2025"
    assert _css(summary, 'tr[data-row="score"]')[0].text == "Score 4/21"
    assert _css(summary, 'tr[data-row="overall"]')[0].text == "Overall rating Requires improvement"
    (box,) = _css(page, ".ratings-box #ratings-table")
    assert [h.text for h in _css(box, "thead th")] == ["Standard", "Rating"]
    body_rows = _css(box, "tbody tr")
    standards = [r for r in body_rows if r.get_attribute("data-standard-id")]
    domains = [r for r in body_rows if not r.get_attribute("data-standard-id")]
    assert len(standards) == len(REPORT_RATINGS) and len(domains) == 2
    assert all(len(_css(r, 'th[scope="colgroup"]')) == 1 for r in domains), "only domain headings besides standards"
    ratings = dict(tables["standard_ratings"].select("standard_id", "rating").iter_rows())
    assert ratings == REPORT_RATINGS
    for standard_id, rating in REPORT_RATINGS.items():
        (row,) = _css(box, f'tr[data-standard-id="{standard_id}"]')
        assert row.text.endswith(" " + rating)
        assert row.text.startswith(standard_id + " ")
    assert "P2.3 Implementation and delivery Inadequate" in box.text


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
        assert bands == BANDS
        labels = {t.text: t for t in _css(chart, "g.band text.band-label")}
        assert set(labels) == BAND_LABELS, "every band is labelled"
        for label in labels.values():
            assert label.is_displayed()
            assert chart.rect["x"] <= label.rect["x"]
            assert label.rect["x"] + label.rect["width"] <= chart.rect["x"] + chart.rect["width"]
        boxes = sorted((t.rect["y"], t.rect["y"] + t.rect["height"]) for t in labels.values())
        assert all(top >= bottom - 1 for (_, bottom), (top, _) in pairwise(boxes)), "labels do not overlap"
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
    cells = _css(page, 'table.breakdown td[data-suppressed="true"]')
    assert len(cells) == suppressed.height
    assert {c.text for c in cells} == {"[c]"}
    (female,) = _css(page, 'table[data-dimension="sex"] tr[data-question-id="P2.4.1"] td[data-category="female"]')
    assert female.text == "[c]"
    (male,) = _css(page, 'table[data-dimension="sex"] tr[data-question-id="P2.1.1"] td[data-category="male"]')
    assert male.text == "83% (40)"


def test_browser_breakdowns_show_the_question_wording(page, dyfed):
    _, framework = dyfed
    wording = dict(framework.key_questions.select("question_id", "question_text").iter_rows())
    headers = _css(page, 'table.breakdown tbody th[scope="row"]')
    assert len(headers) == 6 * len(wording)
    for header in headers:
        qid = header.find_element("xpath", "..").get_attribute("data-question-id")
        assert header.is_displayed() and header.text == f"{qid} {wording[qid]}", "visible, and so printed"


def test_browser_screenshot_and_print(page, tmp_path):
    size = page.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = page.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
        },
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


def test_browser_shows_hostile_text_as_text(browser, dyfed, publication, tmp_path):
    tables, framework = dyfed
    pdu, region = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
    path = tmp_path / "data-annexe.html"
    path.write_text(annexe_html(hostile_tables(tables, pdu, region), framework, publication), encoding="utf-8")
    browser.get(path.as_uri())
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        assert browser.switch_to.alert is None
    assert browser.execute_script("return document.querySelectorAll('script, img, iframe, object').length") == 0
    assert browser.title == f"{pdu} probation inspection 2025: data annexe"
    (heading,) = _css(browser, "h1")
    assert heading.is_displayed() and heading.text == f"{pdu} probation inspection 2025: data annexe"
    assert f"{pdu} probation delivery unit (PDU), {region}. Fieldwork started" in _css(browser, "p.lede")[0].text
    sample = {th.text: th for th in _css(browser, '#sample-table th[scope="row"]')}
    for text in HOSTILE:
        assert sample[text].is_displayed(), text
    in_breakdowns = set(tables["breakdowns"].select("dimension", "category").iter_rows())
    for (dimension, category), text in zip(RENAMED, HOSTILE, strict=True):
        headers = [th.text for th in _css(browser, f'table[data-dimension="{dimension}"] thead th[data-category]')]
        assert (text in headers) == ((dimension, category) in in_breakdowns)
    # The long name wraps within the page rather than widening it.
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert sample[HOSTILE[-1]].rect["x"] + sample[HOSTILE[-1]].rect["width"] <= width
