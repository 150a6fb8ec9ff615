"""The accessible spreadsheet of the data annexe, written straight to xlsxwriter.

It follows "Releasing statistics in spreadsheets": a cover sheet, a contents sheet and a notes sheet
come first, then one table a worksheet. Each table's title is in A1 with its subtitles, instructions
and legend on the rows straight below and the table itself (one header row, marked as an Excel table)
straight after them: no blank rows, no merged cells, no colour carrying meaning. Notes are referred to
from table titles as [note n] and explained on the notes sheet; withheld figures are shown as the
publication's shorthand ([c]) and figures that do not apply as [z].

The layout, formats and column widths are those of gptables' default theme, which first built this
workbook; the sheets are now plain Python lists written row by row, as gptables' per-cell pandas work
made each workbook several times slower.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from math import ceil

import polars as pl
import xlsxwriter
from xlsxwriter.utility import cell_autofit_width

from flows.render.common import (
    NOT_APPLICABLE,
    RATED_BY_LABELS,
    Note,
    annexe_title,
    case_sample_standards,
    category_label,
    check_tables,
    dimension_label,
    long_date,
    methodology_notes,
    month_year,
    ordered_breakdowns,
    ordered_profile,
    ordered_prompts,
    ordered_questions,
    ordered_ratings,
    suppression_symbol,
    suppression_threshold,
)
from transforms.framework import Framework

MAX_SHEET_NAME = 31
COUNT_HEADINGS = {"yes": "Yes", "no": "No", "not_applicable": "N/A", "relevant_cases": "Relevant cases"}
PERCENTAGE_HEADING = "Percentage Yes"
INSTRUCTIONS = (
    "This worksheet contains one table. Notes referred to as [note n] in the title are on the Notes worksheet."
)
CONTENTS_INSTRUCTIONS = "This worksheet contains one table. Select a sheet name to go to it."
NOTES_INSTRUCTIONS = "This worksheet contains one table. Tables refer to these notes as [note n]."
DATE_FORMAT = {"num_format": "d mmmm yyyy"}
COVER_WIDTH = 85  # characters, as gptables' cover

# Cell formats (xlsxwriter properties) of gptables' default theme.
BASE = {"font_name": "Arial", "font_size": 12, "font_color": "automatic"}
COVER_TITLE = BASE | {"font_size": 16, "bold": True, "text_wrap": True}
COVER_HEADING = BASE | {"font_size": 14, "bold": True, "text_wrap": True}
COVER_TEXT = BASE | {"text_wrap": True}
TITLE = BASE | {"font_size": 16, "bold": True}
SUBTITLE = BASE | {"font_size": 14}
TEXT = BASE  # instructions and legend
COLUMN_HEADING = BASE | {"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"}
DATA = BASE | {"text_wrap": True}
LINK = {"underline": True, "font_color": "blue"}  # blue #0000FF passes the WCAG AA contrast check

NOTE_REF = re.compile(r"\$\$(.*?)\$\$")
MARKDOWN_LINK = re.compile(r"\[.+\]\(.+\)")  # "[display text](url)", as gptables reads links
SHORTHAND = re.compile(r"\[[\w\s]+\]")  # [c], [z], [note 1]: not a reason to left-align a column of numbers
ALPHANUMERIC = re.compile(r"[a-zA-Z0-9]")


@dataclass
class Sheet:
    """One table sheet: title, subtitles, instructions and legend, one per row, then a header row and the rows."""

    table_name: str
    title: str
    subtitles: list[str]
    legend: list[str]
    headers: list[str]
    rows: list[list]
    column_formats: dict[int, dict] = field(default_factory=dict)  # extra format of a column, header included
    instructions: str = INSTRUCTIONS
    description: str = ""  # the title without its note references, for the contents sheet


@dataclass
class Cover:
    """The cover sheet: a title, then each section's heading and its lines of text."""

    title: str
    sections: list[tuple[str, list[str]]]


def sheet_name(standard_id: str, standard_name: str, taken: set[str]) -> str:
    """A unique worksheet name under 32 characters, e.g. 'P2.3_Implementation'."""
    words = re.findall(r"[A-Za-z0-9]+", standard_name)
    base = f"{standard_id}_{words[0]}" if words else standard_id
    base = re.sub(r"[\[\]:*?/\\']", "_", base)[:MAX_SHEET_NAME]
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f"_{n}"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def _measure(values: list, suppressed: list[bool] | None, symbol: str) -> list:
    """A column of counts or percentages: the number, the suppression symbol, or [z] where none applies."""
    flags = suppressed or [False] * len(values)
    return [symbol if flag else (NOT_APPLICABLE if value is None else value) for value, flag in zip(values, flags)]


def _counts_columns(frame: pl.DataFrame, symbol: str, suppressed: list[bool] | None = None) -> dict[str, list]:
    columns = {heading: _measure(frame[name].to_list(), suppressed, symbol) for name, heading in COUNT_HEADINGS.items()}
    columns[PERCENTAGE_HEADING] = _measure(frame["published_percentage"].to_list(), suppressed, symbol)
    return columns


def _legend(rows: list[list], symbol: str) -> list[str]:
    """Explain any shorthand the table uses, beside the table as the guidance asks."""
    texts = {value for row in rows for value in row if isinstance(value, str)}
    legend = []
    if symbol in texts:
        legend.append(f"{symbol} = withheld because there were too few relevant cases (see notes).")
    if NOT_APPLICABLE in texts:
        legend.append(f"{NOT_APPLICABLE} = not applicable (see notes).")
    return legend


def build_sheets(
    tables: dict[str, pl.DataFrame], framework: Framework, publication: dict
) -> tuple[dict[str, Sheet], Cover, list[Note]]:
    """The table sheets (name -> Sheet), the cover and the cited notes in order of number, as plain Python values."""
    inspection = check_tables(tables)
    symbol = suppression_symbol(publication)
    pdu, started = inspection["pdu"], month_year(inspection["fieldwork_start"])
    about = f"{pdu} PDU, fieldwork started {started}"
    sheets: dict[str, Sheet] = {}
    taken = {"Cover", "Contents", "Notes"}

    def add(name: str, columns: dict[str, list], table_name: str, title: str, subtitles: list[str],
            units: dict[str, str] | None = None, column_formats: dict[str, dict] | None = None) -> None:
        rows = [list(row) for row in zip(*columns.values())]
        if not rows:  # nothing to publish (e.g. a framework with no case characteristics): no sheet
            return
        taken.add(name)
        headers = list(columns)
        sheets[name] = Sheet(
            table_name=table_name, title=title, subtitles=subtitles, legend=_legend(rows, symbol),
            headers=[f"{h}\n({units[h]})" if units and h in units else h for h in headers], rows=rows,
            column_formats={headers.index(h): f for h, f in (column_formats or {}).items()},
        )

    # Summary: the inspections row, as published.
    add(
        "Summary",
        {
            "Inspection id": [inspection["inspection_id"]],
            "PDU": [pdu],
            "Region": [inspection["region"]],
            "Fieldwork started": [dt.datetime.combine(inspection["fieldwork_start"], dt.time())],
            "Cases inspected": [inspection["cases"]],
            "Community orders": [inspection["community_orders"]],
            "Releases on licence": [inspection["licences"]],
            "Score": [inspection["score"]],
            "Maximum score": [inspection["max_score"]],
            "Overall rating": [inspection["overall_rating"]],
            "Framework": [inspection["framework"]],
        },
        "inspection_summary",
        f"Inspection summary: {about} $$score$$",
        [f"Score {inspection['score']}/{inspection['max_score']}; overall rating {inspection['overall_rating']}."],
        column_formats={"Fieldwork started": DATE_FORMAT},
    )

    # Ratings: every standard in framework order, then the overall rating as a total row.
    ratings = ordered_ratings(tables, framework)
    rated = ratings.to_dict(as_series=False)
    add(
        "Ratings",
        {
            "Standard id": [*rated["standard_id"], "Overall"],
            "Standard": [*rated["standard_name"], "Overall rating"],
            "Domain": [*rated["domain"], "All standards"],
            "Rated by": [
                *(RATED_BY_LABELS.get(r, r) for r in rated["rated_by"]), f"Score out of {inspection['max_score']}",
            ],
            "Rating": [*rated["rating"], inspection["overall_rating"]],
            "Points": [*rated["points"], inspection["score"]],
            "Lowest key question": [*(q or NOT_APPLICABLE for q in rated["lowest_question_id"]), NOT_APPLICABLE],
            "Lowest percentage Yes": [*_measure(rated["lowest_percentage"], None, symbol), NOT_APPLICABLE],
        },
        "ratings",
        f"Ratings of the {ratings.height} standards and overall: {about} $$bands$$$$score$$$$judgement$$",
        [
            (f"Score {inspection['score']}/{inspection['max_score']}; overall rating {inspection['overall_rating']}. "
            "The last row gives the score (the sum of the points) and the overall rating."),
        ],
        units={"Lowest percentage Yes": "%"},
    )

    # One sheet a case-sample standard: its key questions.
    questions = ordered_questions(tables, framework)
    rating_rows: dict[str, dict] = {}
    for r in ratings.iter_rows(named=True):
        rating_rows.setdefault(r["standard_id"], r)
    for standard in case_sample_standards(framework):
        sid, sname = standard["standard_id"], standard["standard_name"]
        own = questions.filter(pl.col("standard_id") == sid)
        rating_row = rating_rows.get(sid, {})
        lowest = rating_row.get("lowest_question_id")
        question_ids = own["question_id"].to_list()
        subtitle = f"Rating: {rating_row.get('rating', 'not rated')}"
        if lowest is not None:
            subtitle += f", driven by the lowest key question {lowest} ({rating_row['lowest_percentage']}% Yes)."
        add(
            sheet_name(sid, sname, taken),
            {
                "Key question id": question_ids,
                "Key question": own["question_text"].to_list(),
                **_counts_columns(own, symbol),
                "Drives the rating": ["Yes" if qid == lowest else "No" for qid in question_ids],
            },
            f"key_questions_{sid.replace('.', '_')}",
            f"{sid} {sname}: percentage of relevant cases answered Yes, by key question: {about} "
            "$$denominator$$$$rounding$$$$bands$$",
            [subtitle],
            units={PERCENTAGE_HEADING: "%"},
        )

    # Prompts.
    prompts = ordered_prompts(tables, framework)
    add(
        "Prompts",
        {
            "Standard id": prompts["standard_id"].to_list(),
            "Key question id": prompts["question_id"].to_list(),
            "Prompt id": prompts["prompt_id"].to_list(),
            "Prompt": prompts["prompt_text"].to_list(),
            **_counts_columns(prompts, symbol),
        },
        "prompts",
        f"Prompts: percentage of relevant cases answered Yes, by prompt: {about} "
        "$$prompts$$$$denominator$$$$rounding$$",
        ["Each prompt is a sub-question of the key question whose id it starts with."],
        units={PERCENTAGE_HEADING: "%"},
    )

    # Sample characteristics.
    profile = ordered_profile(tables, framework)
    dimensions = profile["dimension"].to_list()
    add(
        "Sample",
        {
            "Characteristic": [dimension_label(d) for d in dimensions],
            "Category": [category_label(d, c) for d, c in zip(dimensions, profile["category"].to_list())],
            "Cases": profile["cases"].to_list(),
        },
        "sample_characteristics",
        f"Sample characteristics: inspected cases by characteristic: {about}",
        [(f"{inspection['cases']} cases were inspected: {inspection['community_orders']} community orders and "
         f"{inspection['licences']} releases on licence.")],
    )

    # Breakdowns, long: one row a characteristic, category and key question.
    breakdowns = ordered_breakdowns(tables, framework)
    dimensions = breakdowns["dimension"].to_list()
    threshold = suppression_threshold(publication)
    add(
        "Breakdowns",
        {
            "Characteristic": [dimension_label(d) for d in dimensions],
            "Category": [category_label(d, c) for d, c in zip(dimensions, breakdowns["category"].to_list())],
            "Standard id": breakdowns["standard_id"].to_list(),
            "Key question id": breakdowns["question_id"].to_list(),
            **_counts_columns(breakdowns, symbol, breakdowns["suppressed"].to_list()),
        },
        "breakdowns",
        f"Key questions by case characteristic: percentage of relevant cases answered Yes: {about} "
        "$$suppression$$$$denominator$$$$rounding$$",
        [
            "One row for each characteristic, category and key question. "
            + (f"Cells with fewer than {threshold} relevant cases are shown as {symbol}." if threshold is not None
               else f"Cells with too few relevant cases are shown as {symbol}.")
        ],
        units={PERCENTAGE_HEADING: "%"},
    )

    intro = [
        (f"Data from the inspection of probation services in {pdu} probation delivery unit (PDU), "
        f"{inspection['region']}. Fieldwork started {long_date(inspection['fieldwork_start'])}."),
        f"Score {inspection['score']}/{inspection['max_score']}. Overall rating: {inspection['overall_rating']}.",
        ("This workbook has one table a worksheet. The Contents worksheet lists them; the Notes worksheet "
        "explains the notes referred to as [note n] in table titles."),
    ]
    about_data = [
        f"Source: {publication.get('source', 'not stated')}.",
        f"Publisher: {publication.get('publisher', 'not stated')}.",
        f"Inspection framework: {framework.name} ({framework.id}, version {framework.version}).",
        (f"Shorthand: {symbol} = withheld because there were too few relevant cases; "
        f"{NOT_APPLICABLE} = not applicable."),
        f"Licence: {publication.get('licence', 'not stated')}.",
        f"Inspection id: {inspection['inspection_id']}. Data fingerprint (sha256): {inspection['fingerprint']}.",
    ]
    cover = Cover(
        title=annexe_title(inspection),
        sections=[
            ("Introductory information", intro), ("About these data", about_data), ("Contact", _contact(publication)),
        ],
    )
    return sheets, cover, _cite_notes(sheets, methodology_notes(framework, publication))


def _cite_notes(sheets: dict[str, Sheet], notes: list[Note]) -> list[Note]:
    """Number the notes in order of first reference and put '[note n]' at the end of each title for its $$ref$$s."""
    order = list(dict.fromkeys(ref for sheet in sheets.values() for ref in NOTE_REF.findall(sheet.title)))
    by_ref = {note.ref: note for note in notes}
    missing = [ref for ref in order if ref not in by_ref]
    if missing:
        raise ValueError(f"table titles refer to notes that do not exist: {', '.join(missing)}")
    number = {ref: n for n, ref in enumerate(order, start=1)}
    for sheet in sheets.values():
        refs = NOTE_REF.findall(sheet.title)
        sheet.description = NOTE_REF.sub("", sheet.title)
        sheet.title = sheet.description + "".join(f"[note {number[ref]}]" for ref in refs)
    return [by_ref[ref] for ref in order]


def _contact(publication: dict) -> list:
    contact = []
    if publication.get("contact_name"):
        contact.append(str(publication["contact_name"]))
    if publication.get("contact_email"):
        email = str(publication["contact_email"])
        contact.append(f"Email: [{email}](mailto:{email})")
    return contact or ["No contact given."]


class Link(NamedTuple):
    """A cell that is a hyperlink: the text shown and where it goes."""

    text: str
    url: str


def _link(text: str) -> str | Link:
    """A string with a markdown link '[text](url)' as a Link, as gptables read them; any other string as it is."""
    match = MARKDOWN_LINK.search(text) if "](" in text else None
    if match is None:
        return text
    found = match.group()
    shown = found.split("]")[0].replace("[", "")
    return Link(MARKDOWN_LINK.sub(lambda _: shown, text), found.split("(")[1].replace(")", ""))


@lru_cache(maxsize=16384)
def _width(text: str, bold: bool) -> int:
    """Pixels a table cell needs, as gptables' auto width: the longest line, scaled for 12pt, bold and capitals."""
    line = max(text.split("\n"), key=len)
    upper = sum(ch.isupper() for ch in line) / len(line) if line else 0
    return ceil(cell_autofit_width(line) * ((BASE["font_size"] / 11) * (1.1 if bold else 1.0) * (1.0 + 0.15 * upper)))


def _numeric(values: tuple) -> bool:
    """Whether a column holds numbers, and nothing else but shorthand, and so is right-aligned (as gptables did)."""
    kinds = {
        "number" if isinstance(v, (int, float))
        else "shorthand" if isinstance(v, str) and SHORTHAND.search(v)
        else "other"
        for v in values
    }
    return "number" in kinds and "other" not in kinds


def _check_column(sheet: Sheet, header: str, values: tuple) -> None:
    """Refuse blank cells and cells of symbols only: the guidance asks for shorthand such as [c] or [z] instead."""
    for value in values:
        text = value.text if isinstance(value, Link) else str(value)
        if value is None or value != value or not text.strip():
            raise ValueError(f"{sheet.table_name}: blank cell in column {header!r}; show a shorthand such as [z]")
        if ALPHANUMERIC.search(text) is None:
            raise ValueError(f"{sheet.table_name}: cell {text!r} in column {header!r} has no letter or digit")


def _with_links(rows: list[list]) -> list[list]:
    """The rows with each markdown link cell as a Link; rows without one are kept as they are."""
    return [
        [_link(v) if isinstance(v, str) else v for v in values]
        if any(isinstance(v, str) and "](" in v for v in values) else values
        for values in rows
    ]


class _Writer:
    """Writes sheets to one workbook, sharing its cell formats."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.formats: dict[tuple, object] = {}

    def format(self, properties: dict):
        key = tuple(sorted(properties.items()))
        if key not in self.formats:
            self.formats[key] = self.workbook.add_format(properties)
        return self.formats[key]

    def cell(self, ws, row: int, col: int, value, properties: dict) -> None:
        """One cell: a hyperlink for a Link or a markdown link, otherwise as xlsxwriter's write() types it."""
        if isinstance(value, str):
            value = _link(value)
        if isinstance(value, Link):
            ws.write_url(row, col, value.url, self.format(properties | LINK), value.text)
        else:
            ws.write(row, col, value, self.format(properties))

    def lines(self, ws, row: int, texts: list, properties: dict) -> int:
        """Non-empty texts one a row in column A from `row`; the next free row."""
        for text in texts:
            if text:
                self.cell(ws, row, 0, text, properties)
                row += 1
        return row

    def cover(self, cover: Cover) -> None:
        ws = self.workbook.add_worksheet("Cover")
        ws.hide_gridlines(2)
        row = self.lines(ws, 0, [cover.title], COVER_TITLE)
        for heading, texts in cover.sections:
            row = self.lines(ws, row, [heading], COVER_HEADING)
            row = self.lines(ws, row, texts, COVER_TEXT)
        ws.set_column(0, 0, COVER_WIDTH)

    def sheet(self, name: str, sheet: Sheet) -> None:
        """Title, subtitles, instructions and legend in column A, then the table: header row and rows, no gaps."""
        ws = self.workbook.add_worksheet(name)
        ws.hide_gridlines(2)
        row = self.lines(ws, 0, [sheet.title], TITLE)
        row = self.lines(ws, row, sheet.subtitles, SUBTITLE)
        row = self.lines(ws, row, [sheet.instructions, *sheet.legend], TEXT)
        rows = _with_links(sheet.rows)
        heading_formats, data_properties, data_formats = [], [], []
        for col, (header, values) in enumerate(zip(sheet.headers, zip(*rows))):
            _check_column(sheet, header, values)
            align = {"align": "right" if col and _numeric(values) else "left"}
            extra = sheet.column_formats.get(col, {})
            heading_formats.append(self.format(COLUMN_HEADING | align | extra))
            data_properties.append(DATA | align | extra)
            data_formats.append(self.format(data_properties[-1]))
            texts = [v.text if isinstance(v, Link) else str(v) for v in values]
            ws.set_column_pixels(col, col, max(_width(header, True), *(_width(t, False) for t in texts)))
        # The Excel table first: it writes the header row (so the shared strings come in reading order).
        ws.add_table(
            row, 0, row + len(rows), len(sheet.headers) - 1,
            {
                "name": sheet.table_name, "header_row": True, "autofilter": False, "style": None,
                "columns": [{"header": h, "header_format": f} for h, f in zip(sheet.headers, heading_formats)],
            },
        )
        # Runs of neighbouring columns that share a format, each written with one write_row call a row.
        runs, start = [], 0
        for col in range(1, len(data_formats) + 1):
            if col == len(data_formats) or data_formats[col] is not data_formats[start]:
                runs.append((start, col, data_formats[start]))
                start = col
        for number, values in enumerate(rows, start=row + 1):
            if any(isinstance(v, Link) for v in values):
                for col, value in enumerate(values):
                    self.cell(ws, number, col, value, data_properties[col])
                continue
            for first, stop, cell_format in runs:
                ws.write_row(number, first, values[first:stop], cell_format)


def spreadsheet_bytes(tables: dict[str, pl.DataFrame], framework: Framework, publication: dict) -> bytes:
    """The data annexe of one inspection as an accessible .xlsx workbook."""
    sheets, cover, notes = build_sheets(tables, framework, publication)
    inspection = tables["inspections"].row(0, named=True)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    writer = _Writer(workbook)
    writer.cover(cover)
    writer.sheet("Contents", Sheet(
        table_name="contents_table", title="Table of contents", subtitles=[], legend=[],
        headers=["Sheet name", "Table description"],
        rows=[[Link(name, f"internal:'{name}'!A1"), sheet.description] for name, sheet in sheets.items()],
        instructions=CONTENTS_INSTRUCTIONS,
    ))
    writer.sheet("Notes", Sheet(
        table_name="notes_table", title="Notes", subtitles=[], legend=[],
        headers=["Note number", "Note title", "Note text"],
        rows=[[number, note.title, note.text] for number, note in enumerate(notes, start=1)],
        instructions=NOTES_INSTRUCTIONS,
    ))
    for name, sheet in sheets.items():
        writer.sheet(name, sheet)
    # Fixed document properties: the same inputs give the same bytes.
    workbook.set_properties(
        {
            "title": annexe_title(inspection),
            "author": str(publication.get("publisher", "")),
            "subject": f"Probation inspection data annexe: {inspection['inspection_id']}",
            "keywords": "probation, inspection, ratings, data annexe",
            "comments": f"Data fingerprint (sha256): {inspection['fingerprint']}",
            "created": dt.datetime.combine(inspection["fieldwork_start"], dt.time()),
        }
    )
    workbook.close()
    return buffer.getvalue()
