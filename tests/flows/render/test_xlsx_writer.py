"""The low-level workbook writer: text stays text, links only from Link, widths, formats and properties."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest

from flows.render.xlsx_writer import Cover, Link, Sheet, workbook_bytes
from tests.flows.render.variants import HOSTILE

# Text that Excel or xlsxwriter would otherwise turn into a number, a formula or a link.
LOOKS_LIKE_CODE = (*HOSTILE, "0123", "1e5", "12%", "http://example.org", "mailto:a@example.org", "{=SUM(A1)}")
PROPERTIES = {"title": "A workbook", "created": dt.datetime(2026, 3, 5)}


def sheet(rows: list[list], headers: list[str] | None = None) -> Sheet:
    return Sheet(
        table_name="data",
        title="A title",
        subtitles=["A subtitle"],
        legend=[],
        headers=headers or ["Text", "Number"],
        rows=rows,
        instructions="This worksheet contains one table.",
    )


def write(sheets: dict[str, Sheet], cover: Cover | None = None) -> bytes:
    return workbook_bytes(cover or Cover("Cover title", [("Heading", ["Some text."])]), sheets, PROPERTIES, "en-GB")


def sheet_xml(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")}


def test_text_that_looks_like_code_stays_text():
    data = write(
        {"Data": sheet([[text, n] for n, text in enumerate(LOOKS_LIKE_CODE)])},
        Cover(LOOKS_LIKE_CODE[0], [(LOOKS_LIKE_CODE[3], list(LOOKS_LIKE_CODE))]),
    )
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    column = [c.value for c in workbook["Data"]["A"][4:]]
    assert column == list(LOOKS_LIKE_CODE)
    cover = [c.value for c in workbook["Cover"]["A"]]
    assert cover == [LOOKS_LIKE_CODE[0], LOOKS_LIKE_CODE[3], *LOOKS_LIKE_CODE]
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.hyperlink is None, f"{ws.title}!{cell.coordinate} is a link"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", f"{ws.title}!{cell.coordinate} is {cell.data_type}"
    for name, xml in sheet_xml(data).items():
        assert "<f>" not in xml and "<f " not in xml, f"{name} has a formula"
        assert "<hyperlink" not in xml, f"{name} has a link"


@pytest.mark.filterwarnings("ignore:Ignoring URL")
def test_links_only_from_link_cells():
    long_url = "https://example.org/" + "a" * 2100
    data = write(
        {"Data": sheet([[Link("Sheet", "internal:'Data'!A1"), 1], ["http://example.org", 2]])},
        Cover(
            "Title",
            [("Contact", [Link("Email: a@example.org", "mailto:a@example.org"), Link("Too long for Excel", long_url)])],
        ),
    )
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cover = workbook["Cover"]
    assert cover["A3"].value == "Email: a@example.org"
    assert cover["A3"].hyperlink.target == "mailto:a@example.org"
    assert (cover["A4"].value, cover["A4"].hyperlink) == ("Too long for Excel", None), "shown as text instead"
    data_sheet = workbook["Data"]
    assert data_sheet["A5"].value == "Sheet" and data_sheet["A5"].hyperlink.location == "'Data'!A1"
    assert data_sheet["A6"].hyperlink is None


def test_columns_are_at_most_255_characters_wide_and_wrap():
    data = write({"Data": sheet([["x" * 2000, 1], ["short", 2]])})
    ws = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    assert ws.column_dimensions["A"].width == 255
    assert ws["A5"].alignment.wrap_text
    assert 0 < ws.column_dimensions["B"].width < 20


def test_numbers_and_shorthand_are_right_aligned_text_left():
    ws = openpyxl.load_workbook(io.BytesIO(write({"Data": sheet([["a", 1], ["b", "[c]"]])})))["Data"]
    assert ws["A5"].alignment.horizontal == "left"
    assert ws["B5"].alignment.horizontal == ws["B6"].alignment.horizontal == "right"


def test_document_properties_and_language():
    data = write({"Data": sheet([["a", 1]])})
    properties = openpyxl.load_workbook(io.BytesIO(data)).properties
    assert properties.language == "en-GB"
    assert properties.title == "A workbook"
    assert properties.created == dt.datetime(2026, 3, 5)
    assert write({"Data": sheet([["a", 1]])}) == data, "the same inputs give the same bytes"


@pytest.mark.parametrize("value", ["", "  ", None, "-", "*", "…"])
def test_refuses_blank_and_symbol_only_cells(value):
    with pytest.raises(ValueError, match=re.escape("in column 'Text'")):
        write({"Data": sheet([[value, 1]])})


def test_letters_of_any_script_are_letters():
    data = write({"Data": sheet([["شمال ويلز", 1], ["北ウェールズ", 2]])})
    ws = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    assert [ws["A5"].value, ws["A6"].value] == ["شمال ويلز", "北ウェールズ"]
