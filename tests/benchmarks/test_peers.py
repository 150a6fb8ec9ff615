"""The project, DuckDB and pandas agree figure for figure; the synthetic generator is seeded and valid."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.peers import duckdb_results, normalise, pandas_results, project_results
from flows.store.landing import discover, read_extract
from flows.synth import synthesise, synthetic_data
from schemas.extract import check_cases, check_cases_many, check_extract, check_ratable, check_ratable_many
from transforms.framework import (
    FRAMEWORKS_DIR,
    Framework,
    cached_loader,
    framework_path,
    load_framework,
    parse_framework,
)

INSPECTIONS, CASES = 20, 30


def _framework(basis: str) -> Framework:
    text = framework_path("probation-pdu-2023").read_text(encoding="utf-8")
    if basis != "published":
        assert 'basis = "published"' in text
        text = text.replace('basis = "published"', f'basis = "{basis}"')
    return parse_framework(text)


def _edge_inspection(framework: Framework) -> tuple[pl.DataFrame, pl.DataFrame]:
    """200 cases answered to sit on every edge: x.5 percentages, band edges, ties, all N/A."""
    n = 200

    def answers(yes: int, no: int) -> list[str]:
        return ["Yes"] * yes + ["No"] * no + ["N/A"] * (n - yes - no)

    questions = {
        "P2.1.1": answers(129, 71),  # 64.5 -> 65: Good on the published basis, RI unrounded
        "P2.1.2": answers(159, 41),  # 79.5 -> 80: Outstanding / Good
        "P2.1.3": answers(99, 101),  # 49.5 -> 50: RI / Inadequate; the lowest, drives P2.1
        "P2.2.1": answers(0, 0),  # no relevant case: no percentage, does not drive the rating
        "P2.2.2": answers(1, 7),  # 12.5 -> 13
        "P2.2.3": answers(5, 3),  # 62.5 -> 63
        "P2.3.1": answers(3, 1),  # 75: tie with P2.3.2, the first in published order drives
        "P2.3.2": answers(150, 50),  # 75
        "P2.3.3": answers(160, 40),  # 80
        "P2.4.1": answers(0, 1),  # 0
        "P2.4.2": answers(1, 0),  # 100
        "P2.4.3": answers(0, 0),  # all N/A
    }
    assert list(questions) == framework.question_ids
    characteristics = {
        name: [values[i % len(values)] for i in range(n)] for name, values in framework.case_characteristics.items()
    }
    cases = pl.DataFrame(
        {
            "inspection_id": ["edge-2025"] * n,
            "case_id": [f"E-{i:03d}" for i in range(n)],
            **characteristics,
            **questions,
        }
    )
    organisational = pl.DataFrame(
        {
            "inspection_id": "edge-2025",
            "standard_id": framework.judged_standard_ids,
            "rating": ["Outstanding", "Inadequate", "Good"],
        }
    )
    return cases, organisational


@pytest.fixture(scope="module", params=["published", "unrounded"])
def inputs(request):
    framework = _framework(request.param)
    data = synthetic_data(INSPECTIONS, CASES, seed=7, framework=framework)
    edge_cases, edge_ratings = _edge_inspection(framework)
    cases = pl.concat([data.cases, edge_cases], how="diagonal")
    organisational = pl.concat([data.organisational_ratings, edge_ratings])
    return cases, organisational, framework


def _assert_same(expected: dict[str, pl.DataFrame], actual: dict[str, pl.DataFrame]) -> None:
    expected, actual = normalise(expected), normalise(actual)
    for name in expected:
        # Counts, published percentages, ratings, points and scores exactly; percentages within 1e-9.
        assert_frame_equal(expected[name], actual[name], check_exact=False, rel_tol=0, abs_tol=1e-9)


def test_peers_have_the_projects_columns_and_types(inputs):
    cases, organisational, framework = inputs
    project = project_results(cases, organisational, framework)
    for results in (
        duckdb_results(cases.to_arrow(), organisational.to_arrow(), framework),
        pandas_results(cases.to_pandas(), organisational.to_pandas(), framework),
    ):
        for name, frame in results.items():
            assert frame.schema == project[name].schema, name


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_duckdb_agrees_with_the_project(inputs, layout):
    cases, organisational, framework = inputs
    _assert_same(
        project_results(cases, organisational, framework),
        duckdb_results(cases.to_arrow(), organisational.to_arrow(), framework, layout=layout),
    )


def test_duckdb_from_parquet_agrees_with_the_project(inputs, tmp_path):
    cases, organisational, framework = inputs
    cases.write_parquet(tmp_path / "cases.parquet")
    _assert_same(
        project_results(cases, organisational, framework),
        duckdb_results(str(tmp_path / "cases.parquet"), organisational.to_arrow(), framework),
    )


def test_pandas_agrees_with_the_project(inputs):
    cases, organisational, framework = inputs
    _assert_same(
        project_results(cases, organisational, framework),
        pandas_results(cases.to_pandas(), organisational.to_pandas(), framework),
    )


def test_edges_come_out_as_the_methodology_says(inputs):
    cases, organisational, framework = inputs
    results = project_results(cases, organisational, framework)
    kq = results["key_question_results"].filter(pl.col("inspection_id") == "edge-2025")
    published = dict(kq.select("question_id", "published_percentage").iter_rows())
    assert published == {
        "P2.1.1": 65,
        "P2.1.2": 80,
        "P2.1.3": 50,
        "P2.2.1": None,
        "P2.2.2": 13,
        "P2.2.3": 63,
        "P2.3.1": 75,
        "P2.3.2": 75,
        "P2.3.3": 80,
        "P2.4.1": 0,
        "P2.4.2": 100,
        "P2.4.3": None,
    }
    ratings = results["standard_ratings"].filter(pl.col("inspection_id") == "edge-2025")
    rows = {r["standard_id"]: (r["rating"], r["lowest_question_id"]) for r in ratings.iter_rows(named=True)}
    p21 = "Requires improvement" if framework.banding_basis == "published" else "Inadequate"
    assert rows["P2.1"] == (p21, "P2.1.3")
    assert rows["P2.2"] == ("Inadequate", "P2.2.2")
    assert rows["P2.3"] == ("Good", "P2.3.1")
    assert rows["P2.4"] == ("Inadequate", "P2.4.1")


def test_generator_is_deterministic_for_a_seed(tmp_path):
    def tree(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    formats = ("csv", "parquet")
    first = synthesise(tmp_path / "a", INSPECTIONS, CASES, seed=3, formats=formats)
    second = synthesise(tmp_path / "b", INSPECTIONS, CASES, seed=3, formats=formats)
    synthesise(tmp_path / "c", INSPECTIONS, CASES, seed=4, formats=formats)
    assert first == second
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a") != tree(tmp_path / "c")
    assert_frame_equal(synthetic_data(5, 10, seed=3).cases, synthetic_data(5, 10, seed=3).cases)


def test_generated_landing_zone_passes_the_projects_validation(tmp_path):
    ids = synthesise(tmp_path, INSPECTIONS, CASES, seed=11, formats=("csv", "parquet", "xlsx"))
    assert discover(str(tmp_path)) == sorted(ids)
    assert all(i.startswith("pdu-") and i[-4:] in {"2023", "2024", "2025", "2026"} for i in ids)
    load = cached_loader(str(FRAMEWORKS_DIR))
    for inspection_id in ids:
        extract = read_extract(str(tmp_path), inspection_id)
        assert extract.problems == []
        framework = load(extract.manifest["framework"])
        assert extract.cases.height == CASES
        assert check_cases(extract.cases, framework, inspection_id, extract.cases_file, extract.header_rows) == []
        found, _ = check_extract(
            inspection_id,
            extract.manifest,
            extract.cases,
            extract.cases_file,
            extract.header_rows,
            extract.problems,
            load,
            minimum_cases=10,
        )
        assert found == []


def test_generated_answers_are_realistic():
    data = synthetic_data(200, 50, seed=5)
    cases, framework = data.cases, data.framework
    for name, allowed in framework.case_characteristics.items():
        assert set(cases[name].unique()) <= set(allowed)
    assert set(cases["sentence_type"].unique()) == {"community_order", "licence"}
    na = {q: (cases[q] == "N/A").mean() for q in framework.question_ids}
    assert 0.10 <= na["P2.4.1"] <= 0.25  # reviewing: too early for a review
    assert na["P2.1.1"] == 0
    low = cases.filter(pl.col("rosh") == "low")
    assert (low["P2.1.3"] == "N/A").mean() > 0.2 > (cases.filter(pl.col("rosh") != "low")["P2.1.3"] == "N/A").mean()
    for prompt_id, question_id in framework.prompts.select("prompt_id", "question_id").iter_rows():
        assert cases.filter((pl.col(question_id) == "N/A") & (pl.col(prompt_id) != "N/A")).height == 0
    results = project_results(cases, data.organisational_ratings, framework)
    yes = results["key_question_results"]["percentage"]
    assert 20 < yes.quantile(0.05) < yes.median() < yes.quantile(0.95) <= 100
    assert results["scores"]["overall_rating"].n_unique() >= 3  # a spread of outcomes, not one
    starts = data.manifests["fieldwork_start"]
    assert starts.min().year == 2023 and starts.max().year == 2026


def test_check_cases_many_finds_exactly_what_check_cases_finds():
    framework = load_framework("probation-pdu-2023")
    data = synthetic_data(12, 15, seed=2)
    frames = {i: data.cases.filter(pl.col("inspection_id") == i).drop("inspection_id") for i in data.inspection_ids}
    ids = data.inspection_ids
    frames[ids[1]] = frames[ids[1]].with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("Maybe")).otherwise(pl.col("P2.1.1")).alias("P2.1.1")
    )
    frames[ids[2]] = frames[ids[2]].with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("P2.2.2")).alias("P2.2.2")
    )
    frames[ids[3]] = frames[ids[3]].with_columns(
        pl.when(pl.int_range(pl.len()) == 5)
        .then(pl.lit(frames[ids[3]]["case_id"][0]))
        .otherwise(pl.col("case_id"))
        .alias("case_id")
    )
    frames[ids[4]] = frames[ids[4]].drop("P2.4.3")
    frames[ids[5]] = frames[ids[5]].with_columns(pl.lit("Yes").alias("P2.9.9"))
    frames[ids[6]] = frames[ids[6]].with_columns(pl.col("sex").str.to_uppercase())
    frames[ids[7]] = frames[ids[7]].with_columns(pl.lit(1).alias("P2.3.1"))
    # The same case id in two inspections is fine.
    frames[ids[9]] = frames[ids[9]].with_columns(case_id=frames[ids[8]]["case_id"])
    extracts = [(i, frames[i], f"{i}/cases.csv", 1) for i in ids]
    expected = {i: check_cases(c, framework, i, f, h) for i, c, f, h in extracts}
    assert [i for i in ids if expected[i]] == ids[1:8]
    assert check_cases_many(extracts, framework) == expected


def test_check_ratable_many_matches_check_ratable():
    framework = load_framework("probation-pdu-2023")
    data = synthetic_data(6, 10, seed=1)
    cases = data.cases.with_columns(
        [
            pl.when(pl.col("inspection_id") == data.inspection_ids[2]).then(pl.lit("N/A")).otherwise(pl.col(q)).alias(q)
            for q in framework.question_ids
            if q.startswith("P2.4.")
        ]
    )
    per_inspection = [
        (i, p["column"])
        for i in data.inspection_ids
        for p in check_ratable(cases.filter(pl.col("inspection_id") == i).drop("inspection_id"), framework, i, "f")
    ]
    assert per_inspection == [(data.inspection_ids[2], "P2.4")]
    many = check_ratable_many(cases, framework, {i: "f" for i in data.inspection_ids})
    assert [(i, p["column"]) for i, found in many.items() for p in found] == per_inspection
    assert many[data.inspection_ids[2]] == check_ratable(
        cases.filter(pl.col("inspection_id") == data.inspection_ids[2]).drop("inspection_id"),
        framework,
        data.inspection_ids[2],
        "f",
    )


def test_duckdb_from_the_landing_zones_csv_files_gives_the_projects_published_percentages(tmp_path):
    from benchmarks.peers import duckdb_csv_key_questions
    from transforms.results import key_question_results

    framework = load_framework("probation-pdu-2023")
    ids = synthesise(tmp_path, 6, 40, seed=3)
    cases = pl.concat(
        [read_extract(str(tmp_path), i).cases.with_columns(inspection_id=pl.lit(i)) for i in ids], how="diagonal"
    )
    columns = ["inspection_id", "question_id", "yes", "no", "not_applicable", "published_percentage"]
    expected = key_question_results(cases, framework).select(columns).sort("inspection_id", "question_id")
    actual = duckdb_csv_key_questions(str(tmp_path), framework).select(columns).sort("inspection_id", "question_id")
    assert expected.height == 6 * len(framework.question_ids)
    assert_frame_equal(actual, expected, check_dtypes=False)
