"""The GX quality gate: clean samples pass; each corrupted aggregate fails with the named expectation,
the right inspection and the offending row; Data Docs are written."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import polars as pl
import pytest

from schemas.quality import FAILURE_SCHEMA, quality_failures
from tests.sample_tables import sample_tables

SAMPLES = ["dyfed-powys-2025", "north-shire-2025", "east-vale-2024", "south-moor-2025", "band-edges-2025"]
CLEAN = "dyfed-powys-2025"
BROKEN = "north-shire-2025"

HALF_UP = "expect_column_pair_values_to_be_equal: published_percentage is half-up rounding of percentage"
RATING_BANDS = "expect_column_pair_values_to_be_equal: rating matches bands of lowest key question"
POINTS = "expect_column_pair_values_to_be_equal: points match rating"
SCORE = "expect_column_pair_values_to_be_equal: score is the sum of points"
RELEVANT_SUM = "expect_column_pair_values_to_be_equal: relevant_cases equals yes + no"
RELEVANT_MAX = "expect_column_pair_values_a_to_be_greater_than_b: relevant_cases at most the inspection's cases"
UNIQUE_QUESTION = "expect_compound_columns_to_be_unique: one row per inspection and question"
KNOWN_QUESTION = "expect_column_values_to_be_in_set: question_id belongs to the framework"
ALL_QUESTIONS = "expect_column_pair_values_to_be_equal: every key question has results"


@pytest.fixture(scope="module")
def samples():
    """Each bundled sample's tables, and the framework (all samples share one)."""
    built = {name: sample_tables(name) for name in SAMPLES}
    framework = built[CLEAN][1]
    assert all(fw.id == framework.id for _, fw in built.values())
    return {name: tables for name, (tables, _) in built.items()}, framework


def combine(samples: dict, names: list[str]) -> dict[str, pl.DataFrame]:
    """The tables of several inspections, stacked."""
    return {table: pl.concat([samples[n][table] for n in names]) for table in samples[names[0]]}


@pytest.fixture(scope="module")
def pair(samples):
    """Two inspections checked together; tests corrupt only BROKEN."""
    tables, framework = samples
    return combine(tables, [CLEAN, BROKEN]), framework


def change(tables: dict, table: str, where: dict, **values) -> dict:
    """A copy of the tables with `values` set on the rows of `table` matching `where`."""
    frame = tables[table]
    match = pl.all_horizontal([pl.col(k) == v for k, v in where.items()])
    assert frame.filter(match).height == 1, where
    changed = frame.with_columns(
        [pl.when(match).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )
    return {**tables, table: changed}


def value(tables: dict, table: str, where: dict, column: str):
    """One cell of a table."""
    match = pl.all_horizontal([pl.col(k) == v for k, v in where.items()])
    return tables[table].filter(match)[column].item()


def failed(found: pl.DataFrame) -> set[tuple[str, str, str]]:
    """(inspection_id, table, expectation) of every failure."""
    return set(found.select("inspection_id", "table", "expectation").iter_rows())


def offending(found: pl.DataFrame, expectation: str) -> list[dict]:
    """The offending rows listed for one failed expectation."""
    return json.loads(found.filter(pl.col("expectation") == expectation)["offending_rows"].item())


def test_all_five_samples_pass_together(samples):
    tables, framework = samples
    found = quality_failures(combine(tables, SAMPLES), {framework.id: framework})
    assert found.schema == FAILURE_SCHEMA
    assert found.height == 0, found.to_dicts()


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_passes_alone(samples, name):
    tables, framework = samples
    found = quality_failures(tables[name], {framework.id: framework})
    assert found.to_dicts() == []


def test_published_percentage_off_by_one(pair):
    tables, framework = pair
    where = {"inspection_id": BROKEN, "question_id": "P2.2.2"}
    published = value(tables, "key_question_results", where, "published_percentage")
    found = quality_failures(change(tables, "key_question_results", where, published_percentage=published + 1),
                             {framework.id: framework})
    assert failed(found) == {(BROKEN, "key_question_results", HALF_UP)}
    [row] = offending(found, HALF_UP)
    assert row["question_id"] == "P2.2.2"
    assert row["published_percentage"] == published + 1
    assert row["expected_published_percentage"] == published
    assert "rounded half up" in found["message"].item() and "1 row" in found["message"].item()


def test_half_to_even_rounding_is_caught(samples):
    """52.5% must be published as 53 (half up), not 52 (Python's round, half to even)."""
    tables, framework = samples
    where = {"inspection_id": "band-edges-2025", "question_id": "P2.3.2"}
    edges = tables["band-edges-2025"]
    assert value(edges, "key_question_results", where, "percentage") == 52.5
    assert value(edges, "key_question_results", where, "published_percentage") == 53
    found = quality_failures(change(edges, "key_question_results", where, published_percentage=round(52.5)),
                             {framework.id: framework})
    assert failed(found) == {("band-edges-2025", "key_question_results", HALF_UP)}
    [row] = offending(found, HALF_UP)
    assert (row["published_percentage"], row["expected_published_percentage"], row["percentage"]) == (52, 53, 52.5)


def test_rating_wrong_for_its_band(pair):
    tables, framework = pair
    where = {"inspection_id": BROKEN, "standard_id": "P2.1"}
    assert value(tables, "standard_ratings", where, "rating") == "Outstanding"
    found = quality_failures(change(tables, "standard_ratings", where, rating="Good"), {framework.id: framework})
    # The label no longer fits the band of its lowest key question, nor the points recorded for it.
    assert failed(found) == {(BROKEN, "standard_ratings", RATING_BANDS), (BROKEN, "standard_ratings", POINTS)}
    [row] = offending(found, RATING_BANDS)
    assert (row["standard_id"], row["rating"], row["expected_rating"]) == ("P2.1", "Good", "Outstanding")
    assert row["lowest_question_id"] == "P2.1.3"
    [row] = offending(found, POINTS)
    assert (row["standard_id"], row["points"], row["expected_points"]) == ("P2.1", 3, 2)


def test_score_not_sum_of_points(pair):
    tables, framework = pair
    points = tables["standard_ratings"].filter(pl.col("inspection_id") == BROKEN)["points"].sum()
    where = {"inspection_id": BROKEN}
    assert value(tables, "inspections", where, "score") == points
    found = quality_failures(change(tables, "inspections", where, score=points + 1), {framework.id: framework})
    assert failed(found) == {(BROKEN, "inspections", SCORE)}
    assert offending(found, SCORE) == [{"inspection_id": BROKEN, "score": points + 1, "expected_score": points}]


def test_relevant_cases_above_inspection_cases(pair):
    tables, framework = pair
    cases = value(tables, "inspections", {"inspection_id": BROKEN}, "cases")
    where = {"inspection_id": BROKEN, "question_id": "P2.1.1"}
    found = quality_failures(change(tables, "key_question_results", where, relevant_cases=cases + 1),
                             {framework.id: framework})
    assert failed(found) == {
        (BROKEN, "key_question_results", RELEVANT_MAX), (BROKEN, "key_question_results", RELEVANT_SUM)
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
    found = quality_failures(change(tables, "key_question_results", where, question_id="P2.4.9"),
                             {framework.id: framework})
    assert failed(found) == {
        (BROKEN, "key_question_results", KNOWN_QUESTION), (BROKEN, "inspections", ALL_QUESTIONS)
    }
    assert offending(found, KNOWN_QUESTION) == [
        {"inspection_id": BROKEN, "framework_question": f"{framework.id}/P2.4.9", "question_id": "P2.4.9"}
    ]
    assert offending(found, ALL_QUESTIONS) == [
        {"inspection_id": BROKEN, "key_questions_present": 11, "expected_key_questions": 12}
    ]


def test_only_the_corrupted_inspection_among_many_is_reported(samples):
    """200 inspections checked in one call; one corrupted deep in the batch is the only one reported."""
    tables, framework = samples
    base = combine(tables, SAMPLES)
    batch = {
        name: pl.concat([frame.with_columns(inspection_id=pl.col("inspection_id") + f"-{copy:02d}")
                         for copy in range(40)])
        for name, frame in base.items()
    }
    assert batch["inspections"].height == 200
    target = "south-moor-2025-27"
    cell = batch["breakdowns"].filter(
        (pl.col("inspection_id") == target) & (pl.col("dimension") == "rosh") & ~pl.col("suppressed")
    ).row(-1, named=True)
    where = {k: cell[k] for k in ("inspection_id", "dimension", "category", "question_id")}
    published = value(batch, "breakdowns", where, "published_percentage")
    found = quality_failures(change(batch, "breakdowns", where, published_percentage=published - 1),
                             {framework.id: framework})
    assert failed(found) == {(target, "breakdowns", HALF_UP)}
    [row] = offending(found, HALF_UP)
    assert {k: row[k] for k in where} == where
    assert (row["published_percentage"], row["expected_published_percentage"]) == (published - 1, published)


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
    assert failed(found) == {(BROKEN, "prompt_results", within), (BROKEN, "prompt_results", exact)}
    assert offending(found, within) == [{"inspection_id": BROKEN, "prompt_id": "P2.1.1.a", "percentage": 101.0}]


def test_overall_rating_outside_its_band(pair):
    tables, framework = pair
    where = {"inspection_id": CLEAN}
    assert (value(tables, "inspections", where, "score"),
            value(tables, "inspections", where, "overall_rating")) == (4, "Requires improvement")
    found = quality_failures(change(tables, "inspections", where, overall_rating="Inadequate"),
                             {framework.id: framework})
    expectation = "expect_column_pair_values_to_be_equal: overall rating matches overall bands"
    assert failed(found) == {(CLEAN, "inspections", expectation)}
    assert offending(found, expectation) == [
        {"inspection_id": CLEAN, "overall_rating": "Inadequate", "expected_overall_rating": "Requires improvement",
         "score": 4}
    ]


def test_unrounded_banding_basis_rates_both_sides_of_the_edges(samples):
    """On the unrounded basis 64.58% is below 65 and 79.55% below 80: the published-basis ratings no longer fit."""
    tables, framework = samples
    edges = tables["band-edges-2025"]
    unrounded = dataclasses.replace(framework, banding_basis="unrounded")
    found = quality_failures(edges, {framework.id: unrounded})
    assert failed(found) == {("band-edges-2025", "standard_ratings", RATING_BANDS)}
    mismatches = {(r["standard_id"], r["rating"], r["expected_rating"]) for r in offending(found, RATING_BANDS)}
    assert mismatches == {("P2.1", "Outstanding", "Good"), ("P2.2", "Good", "Requires improvement")}

    # Ratings, points, score and overall rating as the unrounded basis gives them pass.
    fixed = change(edges, "standard_ratings", {"standard_id": "P2.1"}, rating="Good", points=2)
    fixed = change(fixed, "standard_ratings", {"standard_id": "P2.2"}, rating="Requires improvement", points=1)
    score = value(edges, "inspections", {"inspection_id": "band-edges-2025"}, "score") - 2
    fixed = change(fixed, "inspections", {"inspection_id": "band-edges-2025"}, score=score,
                   overall_rating="Good" if score >= 11 else "Requires improvement")
    assert quality_failures(fixed, {framework.id: unrounded}).to_dicts() == []


def test_unknown_framework_is_reported_once(samples):
    tables, framework = samples
    clean = tables[CLEAN]
    found = quality_failures(change(clean, "inspections", {"inspection_id": CLEAN}, framework="youth-2024"),
                             {framework.id: framework})
    expectation = "expect_column_values_to_be_in_set: framework is known"
    assert failed(found) == {(CLEAN, "inspections", expectation)}
    assert offending(found, expectation) == [{"inspection_id": CLEAN, "framework": "youth-2024"}]


def test_missing_table_is_refused(samples):
    tables, framework = samples
    partial = {k: v for k, v in tables[CLEAN].items() if k != "breakdowns"}
    with pytest.raises(ValueError, match="table breakdowns is missing"):
        quality_failures(partial, {framework.id: framework})


def test_data_docs_written_with_offline_summary(pair, tmp_path: Path):
    tables, framework = pair
    where = {"inspection_id": BROKEN}
    points = tables["standard_ratings"].filter(pl.col("inspection_id") == BROKEN)["points"].sum()
    docs = tmp_path / "quality-docs"
    found = quality_failures(change(tables, "inspections", where, score=points + 1), {framework.id: framework},
                             docs_dir=str(docs))
    assert failed(found) == {(BROKEN, "inspections", SCORE)}
    index = docs / "index.html"
    assert index.is_file()
    text = index.read_text(encoding="utf-8")
    assert "Annexe quality checks" in text and "1 failure(s) in 1 inspection(s)" in text
    links = re.findall(r'href="((?:validations|expectations)/[^"]+)"', text)
    tables_linked = {link.split("/")[2] for link in links if link.startswith("validations/")}
    assert tables_linked == set(FAILURE_TABLES)
    assert all((docs / link).is_file() for link in links)
    page = next(docs.glob("validations/annexe_quality/inspections/**/*.html")).read_text(encoding="utf-8")
    assert "The score should be the sum of the points" in page and "expected_score" in page


FAILURE_TABLES = (
    "inspections", "standard_ratings", "key_question_results", "prompt_results", "breakdowns", "sample_profile",
)
