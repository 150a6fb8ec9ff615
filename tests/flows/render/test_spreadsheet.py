"""The accessible spreadsheet: rendered from a real sample inspection and read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from flows.render.common import category_label, dimension_label
from flows.render.spreadsheet import spreadsheet_bytes
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
from transforms.framework import RATINGS

SAMPLES = ["dyfed-powys-2025", "north-shire-2025", "east-vale-2024", "south-moor-2025", "band-edges-2025"]

KQ_SHEETS = {
    "P2.1": "P2.1_Assessment",
    "P2.2": "P2.2_Planning",
    "P2.3": "P2.3_Implementation",
    "P2.4": "P2.4_Reviewing",
}
MEASURES = {"yes": "Yes", "no": "No", "not_applicable": "N/A", "relevant_cases": "Relevant cases"}


@pytest.fixture(scope="module")
def xlsx_path(dyfed, publication, tmp_path_factory) -> Path:
    tables, framework = dyfed
    path = tmp_path_factory.mktemp("annexe") / "data-annexe.xlsx"
    path.write_bytes(spreadsheet_bytes(tables, framework, publication))
    return path


@pytest.fixture(scope="module")
def workbook(xlsx_path):
    return openpyxl.load_workbook(xlsx_path)


def table_records(ws) -> list[dict]:
    """The rows of the sheet's one Excel table as dicts keyed by header (units such as '\\n(%)' dropped)."""
    assert len(ws.tables) == 1, f"{ws.title} should hold exactly one table"
    (ref,) = [t.ref for t in ws.tables.values()]
    rows = list(ws[ref])
    headers = [str(c.value).split("\n")[0] for c in rows[0]]
    return [dict(zip(headers, (c.value for c in row), strict=True)) for row in rows[1:]]


def sheet_text(ws) -> str:
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def render(tables, framework, publication) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(spreadsheet_bytes(tables, framework, publication)))


def cover_lines(workbook) -> list:
    return [c.value for c in workbook["Cover"]["A"]]


def test_cover_contents_and_notes_come_first(workbook, publication):
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    cover = workbook["Cover"]
    assert cover["A1"].value == "Dyfed Powys probation inspection 2025: data annexe"
    text = sheet_text(cover)
    for key in ("publisher", "source", "licence", "contact_name", "contact_email"):
        assert publication[key] in text, f"cover should give the {key}"
    assert "Open Government Licence v3.0" in text
    assert "Fieldwork started 11 August 2025" in text


def test_contents_lists_and_links_every_table_sheet(workbook):
    records = table_records(workbook["Contents"])
    assert [r["Sheet name"] for r in records] == workbook.sheetnames[3:]
    contents = workbook["Contents"]
    links = [c.hyperlink for row in contents.iter_rows() for c in row if c.hyperlink is not None]
    assert len(links) == len(workbook.sheetnames) - 3
    assert workbook.sheetnames[3:] == [
        "Summary",
        "Ratings",
        *KQ_SHEETS.values(),
        "Prompts",
        "Other measures",
        "Sample",
        "Breakdowns",
    ]


def test_sheet_names_are_unique_and_short(workbook):
    names = workbook.sheetnames
    assert len({n.lower() for n in names}) == len(names)
    assert all(0 < len(n) <= 31 for n in names), names


def test_no_merged_cells_anywhere(workbook):
    for ws in workbook.worksheets:
        assert not ws.merged_cells.ranges, f"{ws.title} has merged cells {ws.merged_cells.ranges}"


def test_every_sheet_starts_in_a1_with_no_blank_rows(workbook):
    for ws in workbook.worksheets:
        assert ws["A1"].value not in (None, ""), f"{ws.title}!A1 is empty"
        for number, row in enumerate(ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True), start=1):
            assert any(v not in (None, "") for v in row), f"{ws.title} row {number} is blank"


def test_table_sheets_have_title_rows_then_one_table_to_the_last_row(workbook):
    for ws in workbook.worksheets[1:]:
        (table,) = ws.tables.values()
        first, last = table.ref.split(":")
        first_row = int("".join(ch for ch in first if ch.isdigit()))
        assert first.startswith("A"), f"{ws.title}: table should start in column A"
        assert int("".join(ch for ch in last if ch.isdigit())) == ws.max_row
        assert last.rstrip("0123456789") == openpyxl.utils.get_column_letter(ws.max_column)
        # Above the table: title, subtitles, instructions, legend - one text cell in column A a row.
        for row in ws.iter_rows(min_row=1, max_row=first_row - 1):
            assert isinstance(row[0].value, str) and row[0].value
            assert all(c.value is None for c in row[1:]), f"{ws.title}: text above the table outside column A"
        headers = [c.value for c in ws[first_row]]
        assert all(isinstance(h, str) and h for h in headers), f"{ws.title}: one header row of text"


def test_ratings_sheet_matches_the_tables_and_the_report(workbook, dyfed):
    tables, _ = dyfed
    records = {r["Standard id"]: r for r in table_records(workbook["Ratings"])}
    for row in tables["standard_ratings"].iter_rows(named=True):
        got = records[row["standard_id"]]
        assert got["Rating"] == row["rating"] == REPORT_RATINGS[row["standard_id"]]
        assert got["Points"] == row["points"]
        assert got["Lowest key question"] == (row["lowest_question_id"] or "[z]")
    assert records["P2.1"]["Lowest key question"] == "P2.1.3"
    assert records["P2.1"]["Lowest percentage Yes"] == 38
    inspection = tables["inspections"].row(0, named=True)
    assert records["Overall"]["Rating"] == inspection["overall_rating"] == "Requires improvement"
    assert records["Overall"]["Points"] == inspection["score"] == 4
    assert all(r["Rating"] in RATINGS for r in records.values()), "ratings are given in words"
    assert "Score 4/21" in sheet_text(workbook["Ratings"])
    summary = table_records(workbook["Summary"])[0]
    assert (summary["Score"], summary["Maximum score"], summary["Overall rating"]) == (4, 21, "Requires improvement")
    assert summary["Fieldwork started"].date() == inspection["fieldwork_start"]


def test_key_question_sheets_match_the_tables_and_the_report(workbook, dyfed):
    tables, _ = dyfed
    results = {r["question_id"]: r for r in tables["key_question_results"].iter_rows(named=True)}
    seen = {}
    for standard_id, name in KQ_SHEETS.items():
        records = table_records(workbook[name])
        assert [r["Key question id"] for r in records] == [q for q in results if q.startswith(standard_id + ".")]
        for r in records:
            result = results[r["Key question id"]]
            assert r["Key question"] == result["question_text"]
            for column, heading in MEASURES.items():
                assert r[heading] == result[column]
            assert r["Percentage Yes"] == result["published_percentage"]
            seen[r["Key question id"]] = r["Percentage Yes"]
        lowest = [r["Key question id"] for r in records if r["Drives the rating"] == "Yes"]
        assert lowest == [f"{standard_id}.3"]
    assert seen == REPORT_PERCENTAGES
    assert seen["P2.1.3"] == 38


def test_prompts_sheet_matches_prompt_results(workbook, dyfed):
    tables, _ = dyfed
    records = {r["Prompt id"]: r for r in table_records(workbook["Prompts"])}
    assert len(records) == tables["prompt_results"].height == 21
    for row in tables["prompt_results"].iter_rows(named=True):
        got = records[row["prompt_id"]]
        assert got["Prompt"] == row["prompt_text"]
        assert got["Percentage Yes"] == row["published_percentage"]
        assert [got[h] for h in MEASURES.values()] == [row[c] for c in MEASURES]
    # Home visits in 27 of 38 relevant cases, as the report says.
    assert (records["P2.3.1.a"]["Yes"], records["P2.3.1.a"]["Relevant cases"]) == (27, 38)


def test_sample_sheet_matches_sample_profile(workbook, dyfed):
    tables, _ = dyfed
    records = {(r["Characteristic"], r["Category"]): r["Cases"] for r in table_records(workbook["Sample"])}
    assert len(records) == tables["sample_profile"].height
    for row in tables["sample_profile"].iter_rows(named=True):
        key = (dimension_label(row["dimension"]), category_label(row["dimension"], row["category"]))
        assert records[key] == ("[c]" if row.get("suppressed") else row["cases"])
    assert records[("Sentence type", "Community order")] == 27
    assert records[("Sentence type", "Release on licence")] == 18


def test_suppressed_breakdown_cells_show_c(workbook, dyfed):
    tables, _ = dyfed
    records = {
        (r["Characteristic"], r["Category"], r["Key question id"]): r for r in table_records(workbook["Breakdowns"])
    }
    breakdowns = tables["breakdowns"]
    assert len(records) == breakdowns.height
    suppressed = breakdowns.filter(pl.col("suppressed"))
    assert suppressed.height > 0, "the dyfed sample has suppressed cells"
    for row in breakdowns.iter_rows(named=True):
        got = records[
            (dimension_label(row["dimension"]), category_label(row["dimension"], row["category"]), row["question_id"])
        ]
        cells = [got[h] for h in MEASURES.values()] + [got["Percentage Yes"]]
        if row["suppressed"]:
            assert cells == ["[c]"] * 5
        else:
            assert cells == [row[c] for c in MEASURES] + [row["published_percentage"]]
    # The five women in the sample: reviewing cells with fewer relevant cases suppressed, nothing to recover them.
    assert records[("Sex", "Female", "P2.4.1")]["Percentage Yes"] == "[c]"
    assert records[("Sex", "Male", "P2.1.1")]["Yes"] == 33
    assert sum(1 for r in records.values() if r["Yes"] == "[c]") == suppressed.height


def test_notes_explain_c_and_the_method(workbook, publication):
    records = table_records(workbook["Notes"])
    assert [r["Note number"] for r in records] == list(range(1, len(records) + 1))
    text = " ".join(r["Note text"] for r in records)
    assert "[c] marks a figure withheld" in text
    assert f"fewer than {publication['suppression']['threshold']} relevant cases" in text
    assert "secondary suppression" in text
    assert "N/A (not applicable) are excluded from the denominator" in text
    assert "rounded half up" in text
    for band in (
        "Outstanding 80% to 100%",
        "Good 65% to 79%",
        "Requires improvement 50% to 64%",
        "Inadequate 0% to 49%",
    ):
        assert band in text
    # Every note is referred to from some table title, and the breakdowns title cites the [c] note.
    titles = " ".join(ws["A1"].value for ws in workbook.worksheets[3:])
    for number in range(1, len(records) + 1):
        assert f"[note {number}]" in titles
    c_note = next(r["Note number"] for r in records if "[c] marks" in r["Note text"])
    assert f"[note {c_note}]" in workbook["Breakdowns"]["A1"].value
    assert any("[c] = withheld" in str(ws.cell(r, 1).value) for ws in [workbook["Breakdowns"]] for r in range(1, 6))


def test_same_inputs_give_the_same_bytes(dyfed, released):
    tables, framework = dyfed
    assert spreadsheet_bytes(tables, framework, released) == spreadsheet_bytes(tables, framework, released)


def test_note_markers_are_in_numeric_order(workbook):
    for ws in workbook.worksheets[3:]:
        title = ws["A1"].value
        numbers = [int(n) for n in re.findall(r"\[note (\d+)\]", title)]
        assert numbers == sorted(set(numbers)), title
        assert not re.search(r"\[note \d+\](?!\[note \d+\]|$)", title), f"markers at the end: {title}"
    assert workbook["Ratings"]["A1"].value.endswith("August 2025 [note 1][note 2][note 3][note 4]")
    contents = {r["Sheet name"]: r["Table description"] for r in table_records(workbook["Contents"])}
    assert (
        contents["Ratings"] == "Ratings of the 7 standards and overall: Dyfed Powys PDU, fieldwork started August 2025"
    )


def test_columns_are_at_most_255_characters_wide(workbook):
    widths = {
        (ws.title, letter): dim.width for ws in workbook.worksheets for letter, dim in ws.column_dimensions.items()
    }
    assert max(widths.values()) <= 255, {k: w for k, w in widths.items() if w > 255}
    assert widths[("Notes", "C")] == 255, "the long note texts wrap in the widest column Excel allows"
    assert all(row[2].alignment.wrap_text for row in workbook["Notes"].iter_rows(min_row=4))


def test_document_properties_without_release_facts(dyfed, publication, workbook):
    before = dt.date.today()
    again = render(*dyfed, publication)
    after = dt.date.today()
    for properties in (workbook.properties, again.properties):
        assert properties.created.date() in {before, after}, "created today when no publication date is given"
        assert properties.language == "en-GB"
        assert properties.title == "Dyfed Powys probation inspection 2025: data annexe"
        assert properties.creator == publication["publisher"]
    assert not {"Release", "Revisions"} & set(cover_lines(workbook)), "no release facts when none are given"


def test_release_facts_and_revisions_on_the_cover(dyfed, released):
    workbook = render(*dyfed, released)
    assert workbook.properties.created == dt.datetime(2026, 3, 5)
    assert workbook.properties.language == "en-GB"
    lines = cover_lines(workbook)
    start = lines.index("Release")
    assert lines[start : start + 9] == [
        "Release",
        "Published: 5 March 2026",
        "Statistics status: Official statistics in development",
        "Next update: Not planned: each inspection is published once",
        f"Inspection report: {RELEASE['report_url']}",
        "Revisions",
        "2 April 2026: Added the sample profile's withheld counts.",
        "12 March 2026: Corrected the region.",
        "About these data",
    ]
    (report,) = [c for c in workbook["Cover"]["A"] if c.value.startswith("Inspection report")]
    assert report.hyperlink.target == RELEASE["report_url"]
    links = [c.hyperlink.target for c in workbook["Cover"]["A"] if c.hyperlink is not None]
    assert links == [RELEASE["report_url"], f"mailto:{released['contact_email']}"]


def test_an_untrusted_report_address_is_text(dyfed, released):
    release = RELEASE | {"report_url": "javascript:alert(1)", "revisions": [], "next_update": None}
    workbook = render(*dyfed, released | {"release": release})
    lines = cover_lines(workbook)
    assert "Inspection report: javascript:alert(1)" in lines
    assert "Revisions" not in lines and not any(str(v).startswith("Next update") for v in lines)
    links = [c.hyperlink.target for c in workbook["Cover"]["A"] if c.hyperlink is not None]
    assert links == [f"mailto:{released['contact_email']}"]


@pytest.mark.parametrize("n", range(len(HOSTILE)), ids=lambda n: f"hostile-{n}")
def test_hostile_text_is_stored_as_exact_strings(n, dyfed, publication):
    tables, framework = dyfed
    pdu, region = HOSTILE[n], HOSTILE[(n + 5) % len(HOSTILE)]
    data = spreadsheet_bytes(hostile_tables(tables, pdu, region), framework, publication)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook["Cover"]["A1"].value == f"{pdu} probation inspection 2025: data annexe"
    summary = table_records(workbook["Summary"])[0]
    assert (summary["PDU"], summary["Region"]) == (pdu, region)
    assert workbook["Summary"]["A1"].value.startswith(f"Inspection summary: {pdu} PDU, fieldwork started")
    assert f"{pdu} probation delivery unit (PDU), {region}." in sheet_text(workbook["Cover"])
    sample = {(r["Characteristic"], r["Category"]) for r in table_records(workbook["Sample"])}
    breakdowns = {(r["Characteristic"], r["Category"]) for r in table_records(workbook["Breakdowns"])}
    in_breakdowns = set(tables["breakdowns"].select("dimension", "category").iter_rows())
    for (dimension, category), text in zip(RENAMED, HOSTILE, strict=True):
        assert category_label(dimension, text) == text, "hostile categories are shown as they are"
        assert (dimension_label(dimension), text) in sample
        assert ((dimension_label(dimension), text) in breakdowns) == ((dimension, category) in in_breakdowns)
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", f"{ws.title}!{cell.coordinate}"
                if cell.hyperlink is not None:
                    assert (ws.title, cell.column) in {("Contents", 1), ("Cover", 1)}, f"{ws.title}!{cell.coordinate}"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in z.read(name).decode(), f"{name} has a formula"
            if name.startswith("xl/worksheets/_rels/"):
                targets = re.findall(r'Target="([^"]+)"', z.read(name).decode())
                assert all(t.startswith("mailto:") or t.startswith("../tables/") for t in targets), targets


def test_a_key_question_with_no_relevant_case_shows_z(dyfed, publication, tmp_path):
    tables, framework = dyfed
    none_relevant = pl.col("question_id") == "P2.4.2"
    changed = dict(tables)
    changed["key_question_results"] = tables["key_question_results"].with_columns(
        yes=pl.when(none_relevant).then(0).otherwise(pl.col("yes")),
        no=pl.when(none_relevant).then(0).otherwise(pl.col("no")),
        not_applicable=pl.when(none_relevant).then(45).otherwise(pl.col("not_applicable")),
        relevant_cases=pl.when(none_relevant).then(0).otherwise(pl.col("relevant_cases")),
        percentage=pl.when(none_relevant).then(None).otherwise(pl.col("percentage")),
        published_percentage=pl.when(none_relevant).then(None).otherwise(pl.col("published_percentage")),
    )
    path = tmp_path / "annexe.xlsx"
    path.write_bytes(spreadsheet_bytes(changed, framework, publication))
    records = {r["Key question id"]: r for r in table_records(openpyxl.load_workbook(path)["P2.4_Reviewing"])}
    assert records["P2.4.2"]["Percentage Yes"] == "[z]"
    assert records["P2.4.2"]["N/A"] == 45
    assert records["P2.4.3"]["Percentage Yes"] == 43


def test_refuses_tables_of_several_inspections(dyfed, publication):
    tables, framework = dyfed
    doubled = dict(tables)
    doubled["inspections"] = pl.concat([tables["inspections"], tables["inspections"]])
    with pytest.raises(ValueError, match="one inspection"):
        spreadsheet_bytes(doubled, framework, publication)


@pytest.mark.parametrize("inspection_id", SAMPLES)
def test_every_sample_renders_accessibly(inspection_id, publication, tmp_path):
    tables, framework = sample_tables(inspection_id)
    path = tmp_path / "annexe.xlsx"
    path.write_bytes(spreadsheet_bytes(tables, framework, publication))
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    # Twelve sheets, and one more for the other (unrated) measures when the extract has them.
    assert len(set(workbook.sheetnames)) == len(workbook.sheetnames) == 12 + (not tables["unrated_results"].is_empty())
    assert all(len(n) <= 31 for n in workbook.sheetnames)
    inspection = tables["inspections"].row(0, named=True)
    overall = {r["Standard id"]: r for r in table_records(workbook["Ratings"])}["Overall"]
    assert (overall["Rating"], overall["Points"]) == (inspection["overall_rating"], inspection["score"])
    for ws in workbook.worksheets:
        assert not ws.merged_cells.ranges
        assert ws["A1"].value
    breakdown = table_records(workbook["Breakdowns"])
    assert sum(r["Percentage Yes"] == "[c]" for r in breakdown) == tables["breakdowns"]["suppressed"].sum()


NO_PROMPTS = "No prompt answers were supplied for this inspection, so no prompt figures are published."


def test_empty_breakdowns_and_prompts_leave_their_sheets_out(dyfed, publication):
    tables, framework = dyfed
    changed = unprotected_profile(tables) | {
        "breakdowns": tables["breakdowns"].clear(),
        "prompt_results": tables["prompt_results"].clear(),
    }
    workbook = render(changed, framework, publication)
    assert "Breakdowns" not in workbook.sheetnames and "Prompts" not in workbook.sheetnames
    assert "Sample" in workbook.sheetnames
    notes = " ".join(r["Note text"] for r in table_records(workbook["Notes"]))
    assert "[c] marks" not in notes, "no note about suppression when no table can show [c]"
    assert NO_PROMPTS in cover_lines(workbook)


def test_without_prompt_results_the_cover_and_contents_say_so(dyfed, publication):
    tables, framework = dyfed
    workbook = render({k: v for k, v in tables.items() if k != "prompt_results"}, framework, publication)
    assert "Prompts" not in workbook.sheetnames
    assert NO_PROMPTS in cover_lines(workbook)
    contents = workbook["Contents"]
    assert contents["A2"].value == NO_PROMPTS, "said above the contents table, where a reader looks for the sheet"
    assert [r["Sheet name"] for r in table_records(contents)] == workbook.sheetnames[3:]
    notes = " ".join(r["Note title"] for r in table_records(workbook["Notes"]))
    assert "Prompts" not in notes, "no note about a table that is not there"


def test_with_some_prompts_only_the_sheet_says_which(dyfed, publication):
    tables, framework = dyfed
    partial = some_prompts(tables, ("P2.1.3", "P2.3.1"))
    workbook = render(partial, framework, publication)
    records = table_records(workbook["Prompts"])
    assert [r["Prompt id"] for r in records] == partial["prompt_results"]["prompt_id"].to_list()
    assert {r["Key question id"] for r in records} == {"P2.1.3", "P2.3.1"}
    statement = (
        f"Prompt answers were supplied for {len(records)} of the 21 prompts of the framework for this inspection; "
        "only those prompts are shown."
    )
    assert statement in sheet_text(workbook["Prompts"]) and statement in cover_lines(workbook)
    assert NO_PROMPTS not in cover_lines(workbook)


def test_every_prompt_supplied_needs_no_statement(workbook):
    assert not any("Prompt answers were supplied" in str(v) for v in cover_lines(workbook))
    assert not any("prompt" in str(v).lower() for v in cover_lines(workbook))


def test_withheld_sample_counts_show_c(dyfed, publication):
    tables, framework = dyfed
    protected = protected_profile(tables)
    workbook = render(protected, framework, publication)
    records = {(r["Characteristic"], r["Category"]): r["Cases"] for r in table_records(workbook["Sample"])}
    for row in protected["sample_profile"].iter_rows(named=True):
        key = (dimension_label(row["dimension"]), category_label(row["dimension"], row["category"]))
        assert records[key] == ("[c]" if row["suppressed"] else row["cases"])
    assert records[("Risk of serious harm (RoSH)", "Very high")] == "[c]" and records[("Sex", "Male")] == 40
    sample = workbook["Sample"]
    assert "[c] = withheld to protect the confidentiality of the people in the sample (see notes)." in sheet_text(
        sample
    )
    notes = {r["Note number"]: r for r in table_records(workbook["Notes"])}
    c_note = next(n for n, r in notes.items() if r["Note text"].startswith("[c] marks"))
    assert sample["A1"].value.endswith(f"[note {c_note}]")
    assert "The same protection applies to the numbers of cases in the sample profile" in notes[c_note]["Note text"]


def test_sample_profile_published_before_protection(dyfed, publication):
    tables, framework = dyfed
    workbook = render(unprotected_profile(tables), framework, publication)
    records = table_records(workbook["Sample"])
    assert [(r["Category"], r["Cases"]) for r in records] == [("Male", 39), ("Female", 5), ("Other", 1)]
    assert "[note" not in workbook["Sample"]["A1"].value and "[c]" not in sheet_text(workbook["Sample"])
