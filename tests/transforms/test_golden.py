"""Ground-truth backtests: the published Dyfed Powys report, and every bundled sample's expected figures."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.config import PROJECT
from tests.conftest import SAMPLES
from tests.report import REPORT_PERCENTAGES, REPORT_RATINGS
from tests.sample_tables import sample_tables

# The "Ratings" box and the four key-question tables of the published report (methodology.md section 4).
DYFED_RATINGS = pl.DataFrame(
    {
        "standard_id": list(REPORT_RATINGS),
        "standard_name": [
            "Leadership",
            "Staffing",
            "Services",
            "Assessment",
            "Planning",
            "Implementation and delivery",
            "Reviewing",
        ],
        "rating": list(REPORT_RATINGS.values()),
    }
)
DYFED_PERCENTAGES = pl.DataFrame(
    {
        "question_id": list(REPORT_PERCENTAGES),
        "question_text": [
            "Does assessment focus sufficiently on engaging the person on probation?",
            "Does assessment focus sufficiently on the factors linked to offending and desistance?",
            "Does assessment focus sufficiently on keeping other people safe?",
            "Does planning focus sufficiently on engaging the person on probation?",
            "Does planning focus sufficiently on reducing reoffending and supporting desistance?",
            "Does planning focus sufficiently on keeping other people safe?",
            "Is the sentence or post-custody period implemented effectively with a focus on engaging the person on "
            "probation?",
            "Does the implementation and delivery of services effectively support desistance?",
            "Does the implementation and delivery of services effectively support the safety of other people?",
            "Does reviewing focus sufficiently on supporting the compliance and engagement of the person on probation?",
            "Does reviewing focus sufficiently on supporting desistance?",
            "Does reviewing focus sufficiently on keeping other people safe?",
        ],
        "published_percentage": list(REPORT_PERCENTAGES.values()),
    }
)


def test_dyfed_powys_ratings_box_reproduced():
    tables, _ = sample_tables("dyfed-powys-2025")
    assert_frame_equal(tables["standard_ratings"].select("standard_id", "standard_name", "rating"), DYFED_RATINGS)
    summary = tables["inspections"].row(0, named=True)
    assert (summary["score"], summary["max_score"], summary["overall_rating"]) == (4, 21, "Requires improvement")
    assert (summary["cases"], summary["community_orders"], summary["licences"]) == (45, 27, 18)
    assert str(summary["fieldwork_start"]) == "2025-08-11"


def test_dyfed_powys_key_question_percentages_reproduced():
    tables, _ = sample_tables("dyfed-powys-2025")
    assert_frame_equal(
        tables["key_question_results"].select("question_id", "question_text", "published_percentage"),
        DYFED_PERCENTAGES,
    )


def test_dyfed_powys_prompt_counts_match_the_report():
    tables, _ = sample_tables("dyfed-powys-2025")
    prompts = {r["prompt_id"]: (r["yes"], r["relevant_cases"]) for r in tables["prompt_results"].iter_rows(named=True)}
    assert prompts["P2.3.1.a"] == (27, 38)  # home visits in 27 of 38 relevant cases
    assert prompts["P2.4.1.a"] == (24, 38)  # plans adjusted in 24 of 38 relevant reviewing cases
    assert prompts["P2.3.3.a"] == (13, 33)  # police domestic-abuse information adequate in 13 of 33
    assert prompts["P2.3.3.b"] == (10, 12)  # MAPPA liaison sufficient in 10 of 12


@pytest.mark.parametrize("inspection_id", SAMPLES)
def test_sample_matches_its_independently_computed_expectation(inspection_id):
    expected = json.loads((PROJECT / "data" / "expected" / f"{inspection_id}.json").read_text())
    tables, _ = sample_tables(inspection_id)
    key_questions = tables["key_question_results"].select(
        "question_id", "yes", "no", "not_applicable", "published_percentage"
    )
    expected_key_questions = pl.DataFrame(
        [
            {"question_id": q, **{k: v[k] for k in ("yes", "no", "not_applicable", "published_percentage")}}
            for q, v in expected["key_questions"].items()
        ]
    )
    assert_frame_equal(key_questions, expected_key_questions)
    ratings = dict(tables["standard_ratings"].select("standard_id", "rating").iter_rows())
    assert ratings == expected["standard_ratings"]
    summary = tables["inspections"].row(0, named=True)
    assert {
        k: summary[k] for k in ("cases", "community_orders", "licences", "score", "max_score", "overall_rating")
    } == {k: expected[k] for k in ("cases", "community_orders", "licences", "score", "max_score", "overall_rating")}
