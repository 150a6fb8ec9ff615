"""Ways to break a copy of the Dyfed Powys extract, each with the reason the pipeline must give."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from schemas.contract import MAX_CASES_BYTES, MAX_COLUMNS, MAX_MANIFEST_BYTES, MAX_ROWS
from tests.conftest import LANDING, PROJECT

SOURCE = LANDING / "dyfed-powys-2025"
FRAMEWORKS = PROJECT / "data" / "frameworks"


def _edit_cases(folder: Path, edit: Callable[[list[list[str]]], list[list[str]]]) -> None:
    path = folder / "cases.csv"
    rows = list(csv.reader(path.open(newline="")))
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(edit(rows))


def _set(rows: list[list[str]], line: int, column: str, value: str) -> list[list[str]]:
    rows[line - 1][rows[0].index(column)] = value
    return rows


def _drop_column(rows: list[list[str]], column: str) -> list[list[str]]:
    index = rows[0].index(column)
    return [r[:index] + r[index + 1 :] for r in rows]


def _add_column(rows: list[list[str]], column: str, value: str) -> list[list[str]]:
    return [r + [column if n == 0 else value] for n, r in enumerate(rows)]


def _write_xlsx(
    folder: Path,
    edit: Callable[[list[list[str]]], list[list[str]]] = lambda r: r,
    sheets: int = 1,
    member: str = "xl/worksheets/sheet1.xml",
    edit_xml: Callable[[bytes], bytes] | None = None,
) -> None:
    """Replace cases.csv by a cases.xlsx of the same (edited) rows; optionally more sheets or a zip member edited."""
    import xlsxwriter

    rows = edit(list(csv.reader((folder / "cases.csv").open(newline=""))))
    (folder / "cases.csv").unlink()
    workbook = xlsxwriter.Workbook(str(folder / "cases.xlsx"))
    for n in range(sheets):
        sheet = workbook.add_worksheet("cases" if n == 0 else None)
        for line, row in enumerate(rows if n == 0 else []):
            sheet.write_row(line, 0, row)
    workbook.close()
    if edit_xml is not None:
        source = zipfile.ZipFile(io.BytesIO((folder / "cases.xlsx").read_bytes()))
        with zipfile.ZipFile(folder / "cases.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                target.writestr(info.filename, edit_xml(data) if info.filename == member else data)


def _huge_sheet(xml: bytes) -> bytes:
    """A sheet that declares, and reaches, the last cell Excel allows: the reader would allocate every cell."""
    start = xml.index(b'<dimension ref="')
    end = xml.index(b'"', start + 16)
    xml = xml[:start] + b'<dimension ref="A1:XFD1048576' + xml[end:]
    return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')


def _link_outside(folder: Path, name: str) -> None:
    """Move a file out of the landing zone and leave a symbolic link to it in its place."""
    outside = folder.parent.parent / "outside"
    outside.mkdir(exist_ok=True)
    target = outside / f"{folder.name}-{name}"
    (folder / name).rename(target)
    (folder / name).symlink_to(target)


def _framework_in_extract(folder: Path) -> None:
    """Ship a framework inside the extract, with its path as its id, and point the manifest at it by that path."""
    text = (FRAMEWORKS / "probation-pdu-2023.toml").read_text()
    (folder / "shipped.toml").write_text(text.replace('id = "probation-pdu-2023"', f'id = "{folder / "shipped"}"'))
    _edit_manifest(folder, 'framework = "probation-pdu-2023"', f'framework = "{folder / "shipped"}"')


def _edit_manifest(folder: Path, old: str, new: str) -> None:
    path = folder / "inspection.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@dataclass(frozen=True)
class Breakage:
    """A broken extract: how to make it, and what its quarantine row must say."""

    name: str
    make: Callable[[Path], None]
    check: str
    column: str | None
    row: int | None
    message: str


BREAKAGES = [
    Breakage(
        "missing-sex",
        lambda f: _edit_cases(f, lambda r: _drop_column(r, "sex")),
        "required_column",
        "sex",
        None,
        "column sex is missing: every case needs its sex (one of male, female, other)",
    ),
    Breakage(
        "missing-column",
        lambda f: _edit_cases(f, lambda r: _drop_column(r, "P2.4.3")),
        "required_column",
        "P2.4.3",
        None,
        "column P2.4.3 is missing",
    ),
    Breakage(
        "bad-answer",
        lambda f: _edit_cases(f, lambda r: _set(r, 4, "P2.1.1", "Maybe")),
        "allowed_values",
        "P2.1.1",
        4,
        "'Maybe' is not allowed in P2.1.1: use one of Yes, No, N/A",
    ),
    Breakage(
        "duplicate-case",
        lambda f: _edit_cases(f, lambda r: _set(r, 6, "case_id", r[6][0])),
        "unique_case_id",
        "case_id",
        6,
        "appears more than once",
    ),
    Breakage(
        "blank-answer",
        lambda f: _edit_cases(f, lambda r: _set(r, 5, "P2.2.1", "")),
        "no_blanks",
        "P2.2.1",
        5,
        "P2.2.1 is blank: the inspector must record Yes, No or N/A explicitly",
    ),
    Breakage(
        "unknown-framework",
        lambda f: _edit_manifest(f, 'framework = "probation-pdu-2023"', 'framework = "probation-pdu-2031"'),
        "known_framework",
        "framework",
        None,
        "framework 'probation-pdu-2031' cannot be used",
    ),
    Breakage(
        "id-mismatch", lambda f: None, "id_matches_folder", "inspection_id", None, "does not match its folder name"
    ),
    Breakage(
        "unreadable-file",
        lambda f: (f / "cases.csv").write_bytes(b'case_id,sex\n"unterminated,\x00\xff\n'),
        "readable",
        None,
        None,
        "cases.csv cannot be read as CSV",
    ),
    Breakage("empty-file", lambda f: (f / "cases.csv").write_bytes(b""), "not_empty", None, None, "cases.csv is empty"),
    Breakage(
        "wrong-organisational-standards",
        lambda f: _edit_manifest(f, '"P1.3" = "Requires improvement"', '"P2.1" = "Good"'),
        "organisational_ratings",
        "organisational_ratings.P1.3",
        None,
        "no rating given for judged standard P1.3 (Services)",
    ),
    # Issue 9: nothing in an extract can crash the run, reach outside the landing zone or choose code.
    Breakage(
        "xlsx-huge-dimension",
        lambda f: _write_xlsx(f, edit_xml=_huge_sheet),
        "within_limits",
        None,
        None,
        "cases.xlsx declares a sheet of 1,048,576 rows by 16,384 columns",
    ),
    Breakage(
        "xlsx-zip-bomb",
        lambda f: _write_xlsx(
            f, edit_xml=lambda x: x.replace(b"</sheetData>", b" " * (64 * 1024 * 1024) + b"</sheetData>")
        ),
        "within_limits",
        None,
        None,
        "bytes once unzipped: the limit is 67,108,864",
    ),
    Breakage(
        "xlsx-many-sheets",
        lambda f: _write_xlsx(f, sheets=17),
        "within_limits",
        None,
        None,
        "cases.xlsx has 17 sheets: the limit is 16",
    ),
    Breakage(
        "xlsx-shared-strings",
        lambda f: _write_xlsx(
            f,
            member="xl/sharedStrings.xml",
            edit_xml=lambda x: x.replace(b'uniqueCount="', b'uniqueCount="4000000000" x="'),
        ),
        "within_limits",
        None,
        None,
        "cases.xlsx has 4,000,000,000 shared strings declared",
    ),
    Breakage(
        "oversized-file",
        lambda f: (f / "cases.csv").write_bytes((f / "cases.csv").read_bytes() + b"\n" * MAX_CASES_BYTES),
        "within_limits",
        None,
        None,
        f"bytes: the limit is {MAX_CASES_BYTES:,} (extract contract)",
    ),
    Breakage(
        "too-many-rows",
        lambda f: _edit_cases(
            f, lambda r: [r[0]] + [[f"X-{n}", *row[1:]] for n, row in enumerate(r[1:] * (MAX_ROWS // (len(r) - 1) + 1))]
        ),
        "within_limits",
        None,
        None,
        f"cases.csv has {MAX_ROWS + 1:,} rows of cases (or more)",
    ),
    Breakage(
        "too-many-columns",
        lambda f: _edit_cases(
            f,
            lambda r: [
                row + ([f"extra_{n}" for n in range(MAX_COLUMNS)] if i == 0 else [""] * MAX_COLUMNS)
                for i, row in enumerate(r)
            ],
        ),
        "within_limits",
        None,
        None,
        f"the limit is {MAX_COLUMNS:,} (extract contract)",
    ),
    Breakage(
        "oversized-manifest",
        lambda f: (f / "inspection.toml").write_text(
            (f / "inspection.toml").read_text() + "#" * MAX_MANIFEST_BYTES + "\n"
        ),
        "within_limits",
        None,
        None,
        f"bytes: the limit is {MAX_MANIFEST_BYTES:,} (extract contract)",
    ),
    Breakage(
        "nested-manifest",
        lambda f: (f / "inspection.toml").write_text(
            "notes = " + "[" * 6 + "1" + "]" * 6 + "\n" + (f / "inspection.toml").read_text()
        ),
        "readable",
        None,
        None,
        "inspection.toml nests tables or arrays more than 4 deep",
    ),
    Breakage("framework-path", _framework_in_extract, "known_framework", "framework", None, "is not a framework id"),
    Breakage(
        "cases-linked-outside",
        lambda f: _link_outside(f, "cases.csv"),
        "inside_landing",
        None,
        None,
        "cases.csv is a symbolic link to a file outside the landing zone",
    ),
    Breakage(
        "manifest-linked-outside",
        lambda f: _link_outside(f, "inspection.toml"),
        "inside_landing",
        None,
        None,
        "inspection.toml is a symbolic link to a file outside the landing zone",
    ),
    Breakage(
        "cases-not-a-file",
        lambda f: ((f / "cases.csv").unlink(), (f / "cases.csv").mkdir()),
        "regular_file",
        None,
        None,
        "cases.csv is not a plain file (directory)",
    ),
    Breakage(
        "duplicate-header",
        lambda f: _edit_cases(f, lambda r: _add_column(r, "P2.1.1", "No")),
        "unique_columns",
        "P2.1.1",
        None,
        "column P2.1.1 appears 2 times in the header (columns 8, 43)",
    ),
    Breakage(
        "duplicate-header-xlsx",
        lambda f: _write_xlsx(f, lambda r: _add_column(r, "sex", "male")),
        "unique_columns",
        "sex",
        None,
        "column sex appears 2 times in the header (columns 3, 43)",
    ),
    Breakage(
        "future-fieldwork",
        lambda f: _edit_manifest(f, "fieldwork_start = 2025-08-11", "fieldwork_start = 2099-08-11"),
        "fieldwork_date",
        "fieldwork_start",
        None,
        "fieldwork_start 2099-08-11 is in the future",
    ),
    Breakage(
        "fieldwork-before-framework",
        lambda f: _edit_manifest(f, "fieldwork_start = 2025-08-11", "fieldwork_start = 2019-08-11"),
        "fieldwork_date",
        "fieldwork_start",
        None,
        "fieldwork_start 2019-08-11 is before framework probation-pdu-2023 applied (from 2023-01-01)",
    ),
    Breakage(
        "fieldwork-datetime",
        lambda f: _edit_manifest(f, "fieldwork_start = 2025-08-11", "fieldwork_start = 2025-08-11T09:30:00"),
        "date",
        "fieldwork_start",
        None,
        "found '2025-08-11T09:30:00'",
    ),
    Breakage(
        "tiny-sample",
        lambda f: _edit_cases(f, lambda r: r[:2]),
        "sample_size",
        None,
        None,
        "cases.csv has 1 case(s): at least 10 are needed to publish",
    ),
]


def make_broken(landing: Path, breakage: Breakage) -> str:
    """Copy Dyfed Powys into the landing zone as a new, broken inspection; return its id."""
    inspection_id = f"broken-{breakage.name}"
    folder = landing / inspection_id
    shutil.copytree(SOURCE, folder)
    if breakage.name != "id-mismatch":
        _edit_manifest(folder, 'inspection_id = "dyfed-powys-2025"', f'inspection_id = "{inspection_id}"')
    breakage.make(folder)
    return inspection_id
