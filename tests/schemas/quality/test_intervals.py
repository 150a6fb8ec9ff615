"""The gate on issue 12's columns: intervals around each percentage, plausible ratings and the sensitive flag."""

from __future__ import annotations

import polars as pl

from schemas.quality import quality_failures
from tests.schemas.quality.conftest import BROKEN, CLEAN, SAMPLES, change, combine, failed

WILSON = "expect_column_pair_values_to_be_equal: ci_lower is the Wilson 95% bound"
ORDER = "expect_column_pair_values_a_to_be_greater_than_b: ci_lower at most percentage"
SENSITIVE = "expect_column_pair_values_to_be_equal: rating_sensitive follows the plausible ratings"
JUDGED = "expect_column_values_to_be_null: judged standards have no plausible_lowest_rating"
LABEL = "expect_column_values_to_be_in_set: plausible_highest_rating is a rating"
EMPTY = "expect_column_values_to_be_null: ci_upper empty without relevant cases"


def test_the_samples_carry_intervals_and_sensitivity_that_pass(samples):
    tables, framework = samples
    both = combine(tables, SAMPLES)
    assert both["key_question_results"]["ci_lower"].null_count() < both["key_question_results"].height
    assert quality_failures(both, {framework.id: framework}).height == 0


def test_wrong_intervals_labels_and_flags_are_each_named(samples, pair):
    tables, framework = pair
    kq = tables["key_question_results"].filter(pl.col("inspection_id") == BROKEN).row(0, named=True)
    where = {"inspection_id": BROKEN, "question_id": kq["question_id"]}
    broken = change(tables, "key_question_results", where, ci_lower=kq["percentage"] + 1)
    judged = framework.standards.filter(pl.col("rated_by") == "judgement")["standard_id"][0]
    broken = change(broken, "standard_ratings", {"inspection_id": BROKEN, "standard_id": judged},
                    plausible_lowest_rating="Good")  # fmt: skip
    rated = (
        tables["standard_ratings"]
        .filter((pl.col("inspection_id") == BROKEN) & pl.col("rating_sensitive").is_not_null())
        .row(0, named=True)
    )
    at = {"inspection_id": BROKEN, "standard_id": rated["standard_id"]}
    broken = change(broken, "standard_ratings", at, rating_sensitive=not rated["rating_sensitive"])
    broken = change(broken, "standard_ratings", at, plausible_highest_rating="Splendid")
    found = failed(quality_failures(broken, {framework.id: framework}))
    for expectation in (WILSON, ORDER):
        assert (BROKEN, "key_question_results", expectation) in found
    for expectation in (SENSITIVE, JUDGED, LABEL):
        assert (BROKEN, "standard_ratings", expectation) in found
    assert not any(inspection == CLEAN for inspection, _, _ in found)


def test_an_interval_without_relevant_cases_is_refused(pair):
    tables, framework = pair
    kq = tables["key_question_results"]
    row = kq.filter(pl.col("inspection_id") == BROKEN).row(0, named=True)
    where = {"inspection_id": BROKEN, "question_id": row["question_id"]}
    broken = change(tables, "key_question_results", where, yes=0, no=0, not_applicable=row["yes"] + row["no"]
                    + row["not_applicable"], relevant_cases=0, percentage=None, published_percentage=None,
                    ci_lower=None)  # fmt: skip
    found = failed(quality_failures(broken, {framework.id: framework}))
    assert (BROKEN, "key_question_results", EMPTY) in found
