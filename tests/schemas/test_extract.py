"""Each kind of broken extract is reported with its file, row, column and a reason in plain words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.store.landing import read_extract
from schemas.extract import check_extract, check_manifest
from tests.broken import BREAKAGES, make_broken
from tests.conftest import LANDING
from transforms.framework import FrameworkError, cached_loader, framework_path, parse_framework

BROKEN = {b.name: b for b in BREAKAGES}
MINIMUM_CASES = settings().minimum_cases


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.name)
def test_broken_extract_names_file_row_column_and_reason(tmp_path, breakage):
    landing = tmp_path / "landing"  # its parent holds what some breakages link to from outside the landing zone
    landing.mkdir()
    inspection_id = make_broken(landing, breakage)
    extract = read_extract(str(landing), inspection_id, DEFAULT_FRAMEWORKS)
    found, _ = check_extract(
        inspection_id,
        extract.manifest,
        extract.cases,
        extract.cases_file,
        extract.header_rows,
        extract.problems,
        cached_loader(DEFAULT_FRAMEWORKS),
        minimum_cases=MINIMUM_CASES,
    )
    matching = [p for p in found if p["check"] == breakage.check]
    assert matching, found
    first = matching[0]
    assert breakage.message in first["message"]
    assert first["column"] == breakage.column
    assert first["row"] == breakage.row
    assert first["inspection_id"] == inspection_id
    assert first["file"].startswith(f"{inspection_id}/")


def test_all_problems_in_a_file_are_reported_at_once(tmp_path):
    inspection_id = make_broken(tmp_path, BROKEN["bad-answer"])  # bad answer on row 4
    BROKEN["blank-answer"].make(tmp_path / inspection_id)  # and a blank on row 5
    BROKEN["duplicate-case"].make(tmp_path / inspection_id)  # and a duplicate case id on rows 6 and 7
    extract = read_extract(str(tmp_path), inspection_id, DEFAULT_FRAMEWORKS)
    found, _ = check_extract(
        inspection_id,
        extract.manifest,
        extract.cases,
        extract.cases_file,
        extract.header_rows,
        extract.problems,
        cached_loader(DEFAULT_FRAMEWORKS),
        minimum_cases=MINIMUM_CASES,
    )
    assert sorted((p["check"], p["row"]) for p in found) == [
        ("allowed_values", 4),
        ("no_blanks", 5),
        ("unique_case_id", 6),
        ("unique_case_id", 7),
    ]
    assert {p["case_id"] for p in found if p["row"] == 4} == {"DP-003"}


def test_standard_with_every_case_not_applicable_cannot_be_rated(tmp_path):
    from tests.broken import Breakage, _edit_cases

    def all_na(rows):
        header = rows[0]
        for column in ("P2.4.1", "P2.4.2", "P2.4.3"):
            for row in rows[1:]:
                row[header.index(column)] = "N/A"
        return rows

    inspection_id = make_broken(tmp_path, Breakage("all-na", lambda f: _edit_cases(f, all_na), "", None, None, ""))
    extract = read_extract(str(tmp_path), inspection_id, DEFAULT_FRAMEWORKS)
    found, _ = check_extract(
        inspection_id,
        extract.manifest,
        extract.cases,
        extract.cases_file,
        extract.header_rows,
        extract.problems,
        cached_loader(DEFAULT_FRAMEWORKS),
        minimum_cases=MINIMUM_CASES,
    )
    assert [(p["check"], p["column"]) for p in found] == [("ratable_standard", "P2.4")]
    assert "standard P2.4 (Reviewing) cannot be rated" in found[0]["message"]


def test_inspections_of_a_framework_file_with_an_unknown_key_are_quarantined_naming_key_and_file(tmp_path):
    frameworks = tmp_path / "frameworks"
    frameworks.mkdir()
    text = (Path(DEFAULT_FRAMEWORKS) / "probation-pdu-2023.toml").read_text()
    (frameworks / "probation-pdu-2023.toml").write_text("mystery_setting = 1\n" + text)
    extract = read_extract(str(LANDING), "dyfed-powys-2025", str(frameworks))
    found, framework = check_extract(
        "dyfed-powys-2025",
        extract.manifest,
        extract.cases,
        extract.cases_file,
        extract.header_rows,
        extract.problems,
        cached_loader(str(frameworks)),
        minimum_cases=MINIMUM_CASES,
    )
    assert framework is None
    assert [(p["check"], p["column"], p["file"]) for p in found] == [
        ("known_framework", "framework", "dyfed-powys-2025/inspection.toml")
    ]
    assert "unknown key 'mystery_setting'" in found[0]["message"]
    assert str(frameworks / "probation-pdu-2023.toml") in found[0]["message"]


@pytest.mark.parametrize(
    "framework_id",
    [
        "../frameworks/probation-pdu-2023",
        "/etc/passwd",
        "Probation-PDU-2023",
        "probation-pdu-2023.toml",
        "p" * 65,
        "-probation",
        "",
    ],
)
def test_a_framework_is_named_never_given_as_a_path(framework_id):
    with pytest.raises(FrameworkError, match="is not a framework id"):
        framework_path(framework_id)
    manifest = {"framework": framework_id}
    found, framework = check_manifest(manifest, "x-2025", cached_loader(DEFAULT_FRAMEWORKS))
    assert framework is None
    assert [p["column"] for p in found if p["check"] == "known_framework"] == ["framework"]


def test_the_earliest_fieldwork_of_a_framework_must_be_a_date():
    text = (Path(DEFAULT_FRAMEWORKS) / "probation-pdu-2023.toml").read_text()
    assert parse_framework(text).earliest_fieldwork == dt.date(2023, 1, 1)
    with pytest.raises(FrameworkError, match="earliest_fieldwork must be a TOML date"):
        parse_framework(text.replace("earliest_fieldwork = 2023-01-01", 'earliest_fieldwork = "2023-01-01"'))
