"""Counts per key question, prompt and breakdown cell, for any number of inspections at once."""

from __future__ import annotations

import polars as pl

from transforms.framework import load_framework
from transforms.results import count_items, prompt_results, sample_profile

FRAMEWORK = load_framework("probation-pdu-2023")


def test_counts_and_half_up_percentages_per_group():
    cases = pl.DataFrame({"inspection_id": ["a"] * 8, "P2.1.1": ["Yes"] * 5 + ["No"] * 2 + ["N/A"]})
    row = count_items(cases, ["P2.1.1"], ["inspection_id"], "question_id").row(0, named=True)
    assert row == {
        "inspection_id": "a",
        "question_id": "P2.1.1",
        "yes": 5,
        "no": 2,
        "not_applicable": 1,
        "relevant_cases": 7,
        "percentage": 100 * 5 / 7,
        "published_percentage": 71,
    }


def test_a_prompt_one_extract_of_the_batch_did_not_supply_has_no_row_for_it():
    one = pl.DataFrame({"inspection_id": ["a", "a"], "P2.1.1.a": ["Yes", "N/A"]})
    other = pl.DataFrame({"inspection_id": ["b", "b"], "P2.1.1.b": ["No", "No"]})
    results = prompt_results(pl.concat([one, other], how="diagonal"), FRAMEWORK)
    assert results.select("inspection_id", "prompt_id", "yes", "no", "not_applicable").rows() == [
        ("a", "P2.1.1.a", 1, 0, 1),
        ("b", "P2.1.1.b", 0, 2, 0),
    ]


def test_no_prompt_columns_at_all_gives_an_empty_table_with_its_columns():
    results = prompt_results(pl.DataFrame({"inspection_id": ["a"], "P2.1.1": ["Yes"]}), FRAMEWORK)
    assert results.height == 0 and "published_percentage" in results.columns


def test_sample_profile_lists_every_category_including_empty_ones():
    cases = pl.DataFrame(
        {"inspection_id": ["a"] * 3, **{d: [v[0]] * 3 for d, v in FRAMEWORK.case_characteristics.items()}}
    )
    profile = sample_profile(cases, FRAMEWORK)
    assert profile.height == sum(len(v) for v in FRAMEWORK.case_characteristics.values())
    assert profile.filter(pl.col("dimension") == "sex").select("category", "cases").rows() == [
        ("male", 3),
        ("female", 0),
        ("other", 0),
    ]
