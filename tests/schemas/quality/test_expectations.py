"""What the gate expects of each table: a corrupted row fails the named expectation, with its inspection and row."""

from __future__ import annotations

import polars as pl

from schemas.quality import quality_failures
from tests.schemas.quality.conftest import BROKEN, CLEAN, change, failed, offending, value

RELEVANT_SUM = "expect_column_pair_values_to_be_equal: relevant_cases equals yes + no"
RELEVANT_MAX = "expect_column_pair_values_a_to_be_greater_than_b: relevant_cases at most the inspection's cases"
UNIQUE_QUESTION = "expect_compound_columns_to_be_unique: one row per inspection and question"
KNOWN_QUESTION = "expect_column_values_to_be_in_set: question_id belongs to the framework"
ALL_QUESTIONS = "expect_column_pair_values_to_be_equal: every key question has results"


def test_relevant_cases_above_inspection_cases(pair):
    tables, framework = pair
    cases = value(tables, "inspections", {"inspection_id": BROKEN}, "cases")
    where = {"inspection_id": BROKEN, "question_id": "P2.1.1"}
    found = quality_failures(
        change(tables, "key_question_results", where, relevant_cases=cases + 1), {framework.id: framework}
    )
    assert failed(found) == {
        (BROKEN, "key_question_results", RELEVANT_MAX),
        (BROKEN, "key_question_results", RELEVANT_SUM),
    }
    assert offending(found, RELEVANT_MAX) == [
        {"inspection_id": BROKEN, "question_id": "P2.1.1", "inspection_cases": cases, "relevant_cases": cases + 1}
    ]


def test_duplicate_question_row(pair):
    tables, framework = pair
    kq = tables["key_question_results"]
    duplicate = kq.filter((pl.col("inspection_id") == BROKEN) & (pl.col("question_id") == "P2.3.2"))
    found = quality_failures({**tables, "key_question_results": pl.concat([kq, duplicate])}, {framework.id: framework})
    assert failed(found) == {(BROKEN, "key_question_results", UNIQUE_QUESTION)}
    assert offending(found, UNIQUE_QUESTION) == [{"inspection_id": BROKEN, "question_id": "P2.3.2"}] * 2
    assert "2 rows" in found["message"].item()


def test_unknown_question_id(pair):
    tables, framework = pair
    where = {"inspection_id": BROKEN, "question_id": "P2.4.2"}
    found = quality_failures(
        change(tables, "key_question_results", where, question_id="P2.4.9"), {framework.id: framework}
    )
    assert failed(found) == {(BROKEN, "key_question_results", KNOWN_QUESTION), (BROKEN, "inspections", ALL_QUESTIONS)}
    assert offending(found, KNOWN_QUESTION) == [
        {"inspection_id": BROKEN, "framework_question": f"{framework.id}/P2.4.9", "question_id": "P2.4.9"}
    ]
    assert offending(found, ALL_QUESTIONS) == [
        {"inspection_id": BROKEN, "key_questions_present": 11, "expected_key_questions": 12}
    ]


def test_suppressed_cell_showing_figures(pair):
    tables, framework = pair
    bd = tables["breakdowns"]
    cell = bd.filter((pl.col("inspection_id") == BROKEN) & pl.col("suppressed")).row(0, named=True)
    where = {k: cell[k] for k in ("inspection_id", "dimension", "category", "question_id")}
    found = quality_failures(change(tables, "breakdowns", where, yes=3), {framework.id: framework})
    expectation = "expect_column_values_to_be_null: suppressed cells have no yes"
    assert failed(found) == {(BROKEN, "breakdowns", expectation)}
    assert offending(found, expectation) == [{**where, "yes": 3, "suppressed": True}]


def test_percentage_out_of_range(pair):
    tables, framework = pair
    where = {"inspection_id": BROKEN, "prompt_id": "P2.1.1.a"}
    found = quality_failures(change(tables, "prompt_results", where, percentage=101.0), {framework.id: framework})
    within = "expect_column_values_to_be_between: percentage within 0-100"
    exact = "expect_column_pair_values_to_be_equal: percentage is 100 x yes / (yes + no)"
    above = "expect_column_pair_values_a_to_be_greater_than_b: ci_upper at least percentage"  # and above its interval
    assert failed(found) == {(BROKEN, "prompt_results", c) for c in (within, exact, above)}
    assert offending(found, within) == [{"inspection_id": BROKEN, "prompt_id": "P2.1.1.a", "percentage": 101.0}]


def test_unknown_framework_is_reported_once(samples):
    tables, framework = samples
    clean = tables[CLEAN]
    found = quality_failures(
        change(clean, "inspections", {"inspection_id": CLEAN}, framework="youth-2024"), {framework.id: framework}
    )
    expectation = "expect_column_values_to_be_in_set: framework is known"
    assert failed(found) == {(CLEAN, "inspections", expectation)}
    assert offending(found, expectation) == [{"inspection_id": CLEAN, "framework": "youth-2024"}]
