"""The national overview of one financial year as an accessible spreadsheet.

The same rules as the inspection annexe (flows/render/spreadsheet.py): cover, contents and notes sheets first,
then one table a worksheet with its title in A1, notes referred to as [note n], [z] where no figure applies,
no blank cells or merged cells. Figures are those of the HTML overview (flows/render/national.py).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from flows.render.common import NOT_APPLICABLE, RATED_BY_LABELS
from flows.render.national import national_notes, overview, period_dates, zone_text
from flows.render.xlsx_writer import Cover, Link, Sheet, workbook_bytes
from transforms.framework import Framework

LANGUAGE = "en-GB"
INSTRUCTIONS = (
    "This worksheet contains one table. Notes referred to as [note n] in the title are on the Notes worksheet."
)
ONE_DECIMAL = {"num_format": "0.0"}
MEASURE_LABELS = {"key_question": "Key question", "prompt": "Prompt"}
SHEET_NOTES = {  # sheet: the notes its title refers to
    "National": ("period", "pooled", "interval", "shorthand"),
    "Regional": ("period", "pooled", "interval", "shorthand"),
    "Funnel": ("period", "funnel", "shorthand"),
    "Overall_ratings": ("period", "ratings"),
    "Standard_ratings": ("period", "ratings", "shorthand"),
}


def _value(value):
    """A cell: the value, or [z] where there is none."""
    return NOT_APPLICABLE if value is None else value


def _pooled_columns(rows: list[dict], frameworks: dict[str, Framework]) -> dict[str, list]:
    texts = {
        fid: dict(zip(f.key_questions["question_id"], f.key_questions["question_text"], strict=True))
        | dict(zip(f.prompts["prompt_id"], f.prompts["prompt_text"], strict=True))
        for fid, f in frameworks.items()
    }
    return {
        "Framework": [r["framework"] for r in rows],
        "Measure": [MEASURE_LABELS[r["measure"]] for r in rows],
        "Key question id": [r["question_id"] for r in rows],
        "Prompt id": [_value(r["prompt_id"]) for r in rows],
        "Wording": [texts[r["framework"]].get(r["prompt_id"] or r["question_id"], r["question_id"]) for r in rows],
        "Inspections": [r["inspections"] for r in rows],
        "Yes": [r["yes"] for r in rows],
        "No": [r["no"] for r in rows],
        "N/A": [r["not_applicable"] for r in rows],
        "Relevant cases": [r["relevant_cases"] for r in rows],
        "Percentage Yes": [_value(r["published_percentage"]) for r in rows],
        "95% interval, lower": [_value(r["ci_lower"]) for r in rows],
        "95% interval, upper": [_value(r["ci_upper"]) for r in rows],
    }


def _ordered(frame: pl.DataFrame, by: list[str]) -> list[dict]:
    """Pooled rows sorted by the given keys, keeping framework order (as computed) within them."""
    return frame.sort(by, maintain_order=True).to_dicts()


def build_national_sheets(
    period: str, tables: dict[str, pl.DataFrame], frameworks: dict[str, Framework], publication: dict
) -> tuple[Cover, dict[str, Sheet]]:
    """The cover and every sheet of the national overview, contents and notes first."""
    sections = overview(period, tables, frameworks)
    if not sections:
        raise ValueError(f"no inspections with fieldwork starting in {period} have been published")
    notes = national_notes(period)
    number = {note.ref: n for n, note in enumerate(notes, start=1)}
    units = {"Percentage Yes": "%", "95% interval, lower": "%", "95% interval, upper": "%"}
    sheets: dict[str, Sheet] = {}

    def add(name: str, table_name: str, title: str, subtitle: str, columns: dict[str, list], decimals=()) -> None:
        rows = [list(row) for row in zip(*columns.values(), strict=True)]
        if not rows:
            return
        headers = list(columns)
        legend = [f"{NOT_APPLICABLE} = not applicable (see notes)."] if any(NOT_APPLICABLE in r for r in rows) else []
        sheets[name] = Sheet(
            table_name=table_name,
            title=f"{title} " + "".join(f"[note {number[ref]}]" for ref in SHEET_NOTES[name]),
            subtitles=[subtitle],
            legend=legend,
            headers=[f"{h}\n({units[h]})" if h in units else h for h in headers],
            rows=rows,
            instructions=INSTRUCTIONS,
            column_formats={headers.index(h): ONE_DECIMAL for h in decimals},
            description=title,
        )

    national = tables["national_results"].filter(pl.col("period") == period)
    regional = tables["regional_results"].filter(pl.col("period") == period)
    intervals = ("95% interval, lower", "95% interval, upper")
    add("National", "national_results", f"Percentage Yes by key question and prompt, all inspections pooled: {period}",
        "One row a key question or prompt of each framework; prompts follow the key questions.",
        _pooled_columns(_ordered(national, ["framework"]), frameworks), intervals)  # fmt: skip
    regional_rows = _ordered(regional, ["framework", "region"])
    add("Regional", "regional_results", f"Percentage Yes by region, key question and prompt: {period}",
        "One row a region and key question or prompt.",
        {"Region": [r["region"] for r in regional_rows], **_pooled_columns(regional_rows, frameworks)},
        intervals)  # fmt: skip
    marks = [(s["framework"].id, f) for s in sections for f in s["charts"]]
    funnel_rows = [(fid, f["question"], r) for fid, f in marks for r in f["rows"]]
    add("Funnel", "benchmarks", f"Each inspection's key questions against the national percentage Yes: {period}",
        "One row an inspection and key question, with the funnel plot's control limits for its relevant cases.",
        {
            "Framework": [fid for fid, _, _ in funnel_rows],
            "PDU": [r["pdu"] for _, _, r in funnel_rows],
            "Region": [r["region"] for _, _, r in funnel_rows],
            "Inspection id": [r["inspection_id"] for _, _, r in funnel_rows],
            "Key question id": [q["question_id"] for _, q, _ in funnel_rows],
            "Relevant cases": [r["relevant_cases"] for _, _, r in funnel_rows],
            "Percentage Yes": [_value(r["percentage"]) for _, _, r in funnel_rows],
            "National percentage Yes": [_value(r["national_percentage"]) for _, _, r in funnel_rows],
            "Lower 99.8% limit": [_value(r["lower_99_8"]) for _, _, r in funnel_rows],
            "Lower 95% limit": [_value(r["lower_95"]) for _, _, r in funnel_rows],
            "Upper 95% limit": [_value(r["upper_95"]) for _, _, r in funnel_rows],
            "Upper 99.8% limit": [_value(r["upper_99_8"]) for _, _, r in funnel_rows],
            "Position": [zone_text(r["funnel_zone"]) for _, _, r in funnel_rows],
        },
        ("Percentage Yes", "National percentage Yes", "Lower 99.8% limit", "Lower 95% limit", "Upper 95% limit",
         "Upper 99.8% limit"),
    )  # fmt: skip
    overall = [(s["framework"].id, r) for s in sections for r in s["ratings"]["overall"]]
    add("Overall_ratings", "overall_ratings", f"Overall ratings of the inspections: {period}",
        "Number of inspections given each overall rating, by framework.",
        {"Framework": [fid for fid, _ in overall], "Overall rating": [r["rating"] for _, r in overall],
         "Inspections": [r["count"] for _, r in overall]})  # fmt: skip
    standards = [(s, r) for s in sections for r in s["ratings"]["standards"]]
    bands = sections[0]["ratings"]["bands"]
    if any(s["ratings"]["bands"] != bands for s in sections):
        raise ValueError("frameworks of one period with different rating bands cannot share a ratings sheet")
    columns = {
        "Framework": [s["framework"].id for s, _ in standards],
        "Standard id": [r["standard_id"] for _, r in standards],
        "Standard": [r["standard_name"] for _, r in standards],
        "Rated by": [RATED_BY_LABELS.get(r["rated_by"], r["rated_by"]) for _, r in standards],
        **{band: [r["counts"][i] for _, r in standards] for i, band in enumerate(bands)},
    }
    if all(s["ratings"]["sensitive"] for s in sections):
        columns["Ratings sensitive to sampling"] = [r["sensitive"] for _, r in standards]
    add("Standard_ratings", "standard_ratings", f"Ratings of each standard: {period}",
        "Number of inspections given each rating, by standard.", columns)  # fmt: skip

    contents = Sheet(
        table_name="contents_table",
        title="Table of contents",
        subtitles=[],
        legend=[],
        headers=["Sheet name", "Table description"],
        rows=[[Link(name, f"internal:'{name}'!A1"), sheet.description] for name, sheet in sheets.items()],
        instructions="This worksheet contains one table. Select a sheet name to go to it.",
    )
    notes_sheet = Sheet(
        table_name="notes_table",
        title="Notes",
        subtitles=[],
        legend=[],
        headers=["Note number", "Note title", "Note text"],
        rows=[[number[note.ref], note.title, note.text] for note in notes],
        instructions="This worksheet contains one table. Tables refer to these notes as [note n].",
    )
    return _cover(period, sections, publication), {"Contents": contents, "Notes": notes_sheet, **sheets}


def _cover(period: str, sections: list[dict], publication: dict) -> Cover:
    first, last = period_dates(period)
    count = sum(len(s["inspections"]) for s in sections)
    names = ", ".join(
        f"{s['framework'].name} ({s['framework'].id}, version {s['framework'].version})" for s in sections
    )
    contact: list[str | Link] = [str(publication["contact_name"])] if publication.get("contact_name") else []
    if publication.get("contact_email"):
        contact.append(Link(f"Email: {publication['contact_email']}", f"mailto:{publication['contact_email']}"))
    intro = [
        f"Figures pooled over the {count} probation inspections published whose fieldwork started in the financial "
        f"year {period} ({first.day} {first:%B} {first.year} to {last.day} {last:%B} {last.year}), each inspection "
        "against the national figure, and the ratings given.",
        "This workbook has one table a worksheet. The Contents worksheet lists them; the Notes worksheet explains "
        "the notes referred to as [note n] in table titles.",
    ]
    about = [
        f"Source: {publication.get('source', 'not stated')}.",
        f"Publisher: {publication.get('publisher', 'not stated')}.",
        f"Inspection frameworks: {names}.",
        f"Shorthand: {NOT_APPLICABLE} = not applicable.",
        f"Licence: {publication.get('licence', 'not stated')}.",
    ]
    return Cover(
        title=f"Probation inspections {period}: national overview",
        sections=[("Introductory information", intro), ("About these data", about),
                  ("Contact", contact or ["No contact given."])],
    )  # fmt: skip


def national_spreadsheet_bytes(
    period: str,
    tables: dict[str, pl.DataFrame],
    frameworks: dict[str, Framework],
    publication: dict,
    created: dt.date | None = None,
) -> bytes:
    """The national overview of a financial year as an accessible .xlsx workbook.

    `created` (the document's creation date) defaults to the release's published_on when the publication gives
    one, else today; pass it so that the same inputs give the same bytes.
    """
    cover, sheets = build_national_sheets(period, tables, frameworks, publication)
    published_on = (publication.get("release") or {}).get("published_on")
    day = created or (published_on if isinstance(published_on, dt.date) else dt.date.today())
    properties = {
        "title": cover.title,
        "author": str(publication.get("publisher", "")),
        "subject": f"Probation inspections, national overview {period}",
        "keywords": "probation, inspection, national, funnel plot, ratings",
        "created": dt.datetime.combine(day, dt.time()),
    }
    return workbook_bytes(cover, sheets, properties, LANGUAGE)
