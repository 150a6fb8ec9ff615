"""Each kind of broken extract is reported with its file, row, column and a reason in plain words."""

from __future__ import annotations

import pytest

from flows.config import DEFAULT_FRAMEWORKS
from flows.landing import read_extract
from flows.stages import check_extract, framework_loader
from tests.broken import BREAKAGES, make_broken


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.name)
def test_broken_extract_names_file_row_column_and_reason(tmp_path, breakage):
    inspection_id = make_broken(tmp_path, breakage)
    extract = read_extract(str(tmp_path), inspection_id, DEFAULT_FRAMEWORKS)
    found, _ = check_extract(inspection_id, extract.manifest, extract.cases, extract.cases_file,
                             extract.header_rows, extract.problems, framework_loader(DEFAULT_FRAMEWORKS))
    matching = [p for p in found if p["check"] == breakage.check]
    assert matching, found
    first = matching[0]
    assert breakage.message in first["message"]
    assert first["column"] == breakage.column
    assert first["row"] == breakage.row
    assert first["inspection_id"] == inspection_id
    assert first["file"].startswith(f"{inspection_id}/")


def test_all_problems_in_a_file_are_reported_at_once(tmp_path):
    inspection_id = make_broken(tmp_path, BREAKAGES[1])  # bad answer on row 4
    BREAKAGES[3].make(tmp_path / inspection_id)           # and a blank on row 5
    BREAKAGES[2].make(tmp_path / inspection_id)           # and a duplicate case id on rows 6 and 7
    extract = read_extract(str(tmp_path), inspection_id, DEFAULT_FRAMEWORKS)
    found, _ = check_extract(inspection_id, extract.manifest, extract.cases, extract.cases_file,
                             extract.header_rows, extract.problems, framework_loader(DEFAULT_FRAMEWORKS))
    assert sorted((p["check"], p["row"]) for p in found) == [
        ("allowed_values", 4), ("no_blanks", 5), ("unique_case_id", 6), ("unique_case_id", 7)
    ]
    assert {p["case_id"] for p in found if p["row"] == 4} == {"DP-003"}


def test_standard_with_every_case_not_applicable_cannot_be_rated(tmp_path):
    from tests.broken import _edit_cases, Breakage

    def all_na(rows):
        header = rows[0]
        for column in ("P2.4.1", "P2.4.2", "P2.4.3"):
            for row in rows[1:]:
                row[header.index(column)] = "N/A"
        return rows

    inspection_id = make_broken(tmp_path, Breakage("all-na", lambda f: _edit_cases(f, all_na), "", None, None, ""))
    extract = read_extract(str(tmp_path), inspection_id, DEFAULT_FRAMEWORKS)
    found, _ = check_extract(inspection_id, extract.manifest, extract.cases, extract.cases_file,
                             extract.header_rows, extract.problems, framework_loader(DEFAULT_FRAMEWORKS))
    assert [(p["check"], p["column"]) for p in found] == [("ratable_standard", "P2.4")]
    assert "standard P2.4 (Reviewing) cannot be rated" in found[0]["message"]
