"""Low-level writing of the accessible workbook with xlsxwriter: cells, links, formats and column widths.

Outputs are data, never code: the workbook is opened with xlsxwriter's string conversions off, so every
text is stored as a string (never a formula, number or automatic link), and a hyperlink is written only
for a `Link`, which the spreadsheet builds from trusted places (its own sheet names and the publication
settings), never from data.

The layout, formats and column widths are those of gptables' default theme, which first built this
workbook; the sheets are now plain Python lists written row by row, as gptables' per-cell pandas work
made each workbook several times slower.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil
from typing import NamedTuple

import xlsxwriter
from xlsxwriter.core import Core
from xlsxwriter.packager import Packager
from xlsxwriter.utility import cell_autofit_width

WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
LANGUAGE_PROPERTY = "language"  # ours: xlsxwriter's own properties have no language
COVER_WIDTH = 85  # characters, as gptables' cover
# Excel refuses columns wider than 255 characters; longer text wraps. xlsxwriter stores 7 pixels a character.
MAX_COLUMN_PIXELS = 255 * 7

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

SHORTHAND = re.compile(r"\[[\w\s]+\]")  # [c], [z], [note 1]: not a reason to left-align a column of numbers


class Link(NamedTuple):
    """A cell that is a hyperlink: the text shown and where it goes. Only ever built from trusted values."""

    text: str
    url: str


@dataclass
class Sheet:
    """One table sheet: title, subtitles, instructions and legend, one per row, then a header row and the rows."""

    table_name: str
    title: str
    subtitles: list[str]
    legend: list[str]
    headers: list[str]
    rows: list[list]
    instructions: str
    column_formats: dict[int, dict] = field(default_factory=dict)  # extra format of a column, header included
    description: str = ""  # the title without its note references, for the contents sheet


@dataclass
class Cover:
    """The cover sheet: a title, then each section's heading and its lines of text (or links)."""

    title: str
    sections: list[tuple[str, list[str | Link]]]


@lru_cache(maxsize=16384)
def _width(text: str, bold: bool) -> int:
    """Pixels a table cell needs, as gptables' auto width: the longest line, scaled for 12pt, bold and capitals."""
    line = max(text.split("\n"), key=len)
    upper = sum(ch.isupper() for ch in line) / len(line) if line else 0
    return ceil(cell_autofit_width(line) * ((BASE["font_size"] / 11) * (1.1 if bold else 1.0) * (1.0 + 0.15 * upper)))


def _numeric(values: tuple) -> bool:
    """Whether a column holds numbers, and nothing else but shorthand, and so is right-aligned (as gptables did)."""
    kinds = {
        "number"
        if isinstance(v, (int, float))
        else "shorthand"
        if isinstance(v, str) and SHORTHAND.search(v)
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
        if not any(ch.isalnum() for ch in text):
            raise ValueError(f"{sheet.table_name}: cell {text!r} in column {header!r} has no letter or digit")


class Writer:
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
        """One cell: a hyperlink for a Link, otherwise the value as it is (text stays text)."""
        if isinstance(value, Link):
            if ws.write_url(row, col, value.url, self.format(properties | LINK), value.text) == 0:
                return
            value = value.text  # an address too long for Excel (over 2,079 characters) is shown as text
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
        rows = sheet.rows
        heading_formats, data_properties, data_formats = [], [], []
        for col, (header, values) in enumerate(zip(sheet.headers, zip(*rows, strict=True), strict=True)):
            _check_column(sheet, header, values)
            align = {"align": "right" if col and _numeric(values) else "left"}
            extra = sheet.column_formats.get(col, {})
            heading_formats.append(self.format(COLUMN_HEADING | align | extra))
            data_properties.append(DATA | align | extra)
            data_formats.append(self.format(data_properties[-1]))
            texts = [v.text if isinstance(v, Link) else str(v) for v in values]
            width = max(_width(header, True), *(_width(t, False) for t in texts))
            ws.set_column_pixels(col, col, min(width, MAX_COLUMN_PIXELS))
        # The Excel table first: it writes the header row (so the shared strings come in reading order).
        ws.add_table(
            row,
            0,
            row + len(rows),
            len(sheet.headers) - 1,
            {
                "name": sheet.table_name,
                "header_row": True,
                "autofilter": False,
                "style": None,
                "columns": [
                    {"header": h, "header_format": f} for h, f in zip(sheet.headers, heading_formats, strict=True)
                ],
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


class _Core(Core):
    """docProps/core.xml with dc:language, which xlsxwriter does not write (after the properties it writes)."""

    def _write_cp_content_status(self) -> None:
        super()._write_cp_content_status()
        if self.properties.get(LANGUAGE_PROPERTY):
            self._xml_data_element("dc:language", self.properties[LANGUAGE_PROPERTY])


class _Packager(Packager):
    def _write_core_file(self) -> None:
        core = _Core()
        core._set_properties(self.workbook.doc_properties)
        core._set_xml_writer(self._filename("docProps/core.xml"))
        core._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):
    """A workbook whose document properties may name its language (written in core.xml as it is assembled,
    rather than by unzipping and zipping the workbook again, which took a seventh of its time)."""

    def _get_packager(self) -> Packager:
        return _Packager()


def workbook_bytes(cover: Cover, sheets: dict[str, Sheet], properties: dict, language: str) -> bytes:
    """The .xlsx of a cover and then each named sheet in order, with its document properties and language."""
    buffer = io.BytesIO()
    workbook = _Workbook(buffer, WORKBOOK_OPTIONS)
    writer = Writer(workbook)
    writer.cover(cover)
    for name, sheet in sheets.items():
        writer.sheet(name, sheet)
    workbook.set_properties(properties | {LANGUAGE_PROPERTY: language})
    workbook.close()
    return buffer.getvalue()


MAX_SHEET_NAME = 31


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
