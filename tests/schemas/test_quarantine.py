"""Quarantine rows: one schema, derived from the published table, for every way a problem is raised."""

from __future__ import annotations

import polars as pl

from schemas.quarantine import (
    PROBLEM_SCHEMA,
    empty_quarantine,
    problem,
    problems_frame,
    quality_problems,
    quarantine_rows,
)
from schemas.tables import TABLES


def test_problem_schema_is_the_published_table_without_its_fingerprint():
    assert list(PROBLEM_SCHEMA) == [c for c in TABLES["quarantine"].column_names if c != "fingerprint"]


def test_problem_keeps_values_as_text_and_rows_as_numbers():
    row = problem("x-2025", "x-2025/cases.csv", "allowed_values", "bad", row=4, case_id="C1", column="P2.1.1", value=3)
    frame = problems_frame([row])
    assert frame.row(0, named=True) == {
        "inspection_id": "x-2025",
        "file": "x-2025/cases.csv",
        "row": 4,
        "case_id": "C1",
        "column": "P2.1.1",
        "value": "3",
        "check": "allowed_values",
        "message": "bad",
    }


def test_quarantine_rows_are_stamped_with_the_fingerprint_in_published_order():
    rows = quarantine_rows([problem("x-2025", "x-2025/", "cases_present", "no cases file")], "abc")
    assert rows.columns == TABLES["quarantine"].column_names
    assert rows["fingerprint"].to_list() == ["abc"]
    assert empty_quarantine().schema == TABLES["quarantine"].polars_schema


def test_quality_gate_failures_become_problems_naming_table_expectation_and_rows():
    failures = pl.DataFrame(
        {
            "inspection_id": ["x-2025"],
            "table": ["key_question_results"],
            "expectation": ["expect_column_pair_values_to_be_equal:published"],
            "message": ["not rounded half up"],
            "offending_rows": ['[{"question_id":"P2.1.3"}]'],
        }
    )
    [found] = quality_problems(failures)
    assert found["file"] == "(computed) key_question_results"
    assert found["check"] == "expect_column_pair_values_to_be_equal"
    assert found["message"] == 'quality gate: not rounded half up (offending rows: [{"question_id":"P2.1.3"}])'
