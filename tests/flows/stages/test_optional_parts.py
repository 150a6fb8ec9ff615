"""Extracts made from the contract, not from the bundled samples: every optional part absent, present and partly
present, in every file format, publish figures equal to an independent computation."""

from __future__ import annotations

import json
from collections import Counter

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.peers import duckdb_results, normalise, project_results
from flows.store.warehouse import read_table
from flows.synth import synthetic_data, write_landing
from tests.stages import run_stages
from transforms.framework import load_framework

FRAMEWORK = load_framework("probation-pdu-2023")
PROMPTS = FRAMEWORK.prompt_ids


def _prompt_columns(variant: str, k: int) -> list[str]:
    """The prompt columns inspection k's extract carries in each variant."""
    if variant == "absent":
        return []
    if variant == "present":
        return PROMPTS
    return PROMPTS[k % 3 :: 3]  # partly present: a different third of the prompts in each extract


def _run_stages(landing, warehouse, ids) -> list[dict]:
    return run_stages(landing, warehouse, ids)


@pytest.fixture(scope="module", params=["absent", "present", "partly"])
def published(request, tmp_path_factory):
    """Nine inspections in csv, xlsx and parquet with the variant's prompt columns, through every stage."""
    root = tmp_path_factory.mktemp(f"prompts-{request.param}")
    data = synthetic_data(9, 24, seed=11)
    keep = {i: _prompt_columns(request.param, k) for k, i in enumerate(data.inspection_ids)}
    written = []
    for k, inspection_id in enumerate(data.inspection_ids):
        one = data.cases.filter(pl.col("inspection_id") == inspection_id)
        one = one.drop([p for p in PROMPTS if p not in keep[inspection_id]])
        part = type(data)(
            one,
            data.manifests.slice(k, 1),
            data.organisational_ratings.filter(pl.col("inspection_id") == inspection_id),
            data.framework,
        )
        written += write_landing(part, root / "landing", formats=(("csv", "xlsx", "parquet")[k % 3],))
    outcomes = _run_stages(root / "landing", root / "warehouse", written)
    return {"variant": request.param, "data": data, "keep": keep, "outcomes": outcomes, "warehouse": root / "warehouse"}


def test_every_extract_publishes(published):
    assert Counter(o["outcome"] for o in published["outcomes"]) == {"published": 9}, published["outcomes"]


def test_key_questions_ratings_and_scores_equal_duckdb(published):
    data, warehouse = published["data"], str(published["warehouse"])
    expected = normalise(duckdb_results(data.cases, data.organisational_ratings, data.framework))
    kq = read_table(warehouse, "key_question_results").drop("fingerprint")
    ratings = read_table(warehouse, "standard_ratings").drop("fingerprint")
    actual = normalise(project_results(data.cases, data.organisational_ratings, data.framework))
    assert_frame_equal(
        expected["key_question_results"], actual["key_question_results"], check_exact=False, abs_tol=1e-9
    )
    assert_frame_equal(
        expected["key_question_results"],
        normalise({"key_question_results": kq, **{k: v for k, v in actual.items() if k != "key_question_results"}})[
            "key_question_results"
        ],
        check_exact=False,
        abs_tol=1e-9,
    )
    assert_frame_equal(
        expected["standard_ratings"], normalise({**actual, "standard_ratings": ratings})["standard_ratings"]
    )
    scores = read_table(warehouse, "inspections").select(expected["scores"].columns)
    assert_frame_equal(expected["scores"], normalise({**actual, "scores": scores})["scores"])


def test_prompt_results_are_exactly_the_prompts_supplied_counted_independently(published):
    data, keep = published["data"], published["keep"]
    prompts = read_table(str(published["warehouse"]), "prompt_results")
    expected = []
    for row in data.cases.iter_rows(named=True):
        for prompt_id in keep[row["inspection_id"]]:
            expected.append((row["inspection_id"], prompt_id, row[prompt_id]))
    counts = Counter(expected)
    rows = []
    for inspection_id, prompt_id in sorted({(i, p) for i, p, _ in expected}):
        yes, no, na = (counts[(inspection_id, prompt_id, a)] for a in ("Yes", "No", "N/A"))
        published_percentage = None if yes + no == 0 else (200 * yes + yes + no) // (2 * (yes + no))
        rows.append((inspection_id, prompt_id, yes, no, na, yes + no, published_percentage))
    got = sorted(
        prompts.select(
            "inspection_id", "prompt_id", "yes", "no", "not_applicable", "relevant_cases", "published_percentage"
        ).rows()
    )
    assert got == rows


def test_the_annexe_says_which_prompts_were_supplied(published):
    manifest = json.loads((published["warehouse"] / "datapackage.json").read_text())
    for inspection_id, columns in published["keep"].items():
        page = (published["warehouse"] / "annexe" / "files" / inspection_id / "data-annexe.html").read_text()
        assert any(e["path"].endswith(f"{inspection_id}/data-annexe.xlsx") for e in manifest["resources"])
        if not columns:
            assert "No prompt answers were supplied for this inspection" in page
        elif published["variant"] == "partly":
            assert f"supplied for {len(columns)} of the {len(PROMPTS)} prompts" in page
