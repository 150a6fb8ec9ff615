"""Ways to break a copy of the Dyfed Powys extract, each with the reason the pipeline must give."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.conftest import LANDING

SOURCE = LANDING / "dyfed-powys-2025"


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
    return [r[:index] + r[index + 1:] for r in rows]


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
    Breakage("missing-column", lambda f: _edit_cases(f, lambda r: _drop_column(r, "P2.4.3")),
             "required_column", "P2.4.3", None, "column P2.4.3 is missing"),
    Breakage("bad-answer", lambda f: _edit_cases(f, lambda r: _set(r, 4, "P2.1.1", "Maybe")),
             "allowed_values", "P2.1.1", 4, "'Maybe' is not allowed in P2.1.1: use one of Yes, No, N/A"),
    Breakage("duplicate-case", lambda f: _edit_cases(f, lambda r: _set(r, 6, "case_id", r[6][0])),
             "unique_case_id", "case_id", 6, "appears more than once"),
    Breakage("blank-answer", lambda f: _edit_cases(f, lambda r: _set(r, 5, "P2.2.1", "")),
             "no_blanks", "P2.2.1", 5, "P2.2.1 is blank: the inspector must record Yes, No or N/A explicitly"),
    Breakage("unknown-framework",
             lambda f: _edit_manifest(f, 'framework = "probation-pdu-2023"', 'framework = "probation-pdu-2031"'),
             "known_framework", "framework", None, "framework 'probation-pdu-2031' cannot be used"),
    Breakage("id-mismatch", lambda f: None, "id_matches_folder", "inspection_id", None,
             "does not match its folder name"),
    Breakage("unreadable-file", lambda f: (f / "cases.csv").write_bytes(b"case_id,sex\n\"unterminated,\x00\xff\n"),
             "readable", None, None, "cases.csv cannot be read as CSV"),
    Breakage("empty-file", lambda f: (f / "cases.csv").write_bytes(b""),
             "not_empty", None, None, "cases.csv is empty"),
    Breakage("wrong-organisational-standards",
             lambda f: _edit_manifest(f, '"P1.3" = "Requires improvement"', '"P2.1" = "Good"'),
             "organisational_ratings", "organisational_ratings.P1.3", None,
             "no rating given for judged standard P1.3 (Services)"),
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
