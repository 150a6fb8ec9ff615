"""Unrated measures and applicability rules: parsed from the framework, counted, and enforced on cases."""

from __future__ import annotations

import polars as pl
import pytest

from flows.config import PROJECT
from transforms.applicability import applicability_violations
from transforms.framework import FrameworkError, load_framework, parse_framework
from transforms.results import unrated_results

FRAMEWORK = load_framework("probation-pdu-2023")
TEXT = (PROJECT / "data" / "frameworks" / "probation-pdu-2023.toml").read_text(encoding="utf-8")


def test_unrated_measures_and_rules_are_read_from_the_framework():
    assert FRAMEWORK.unrated_ids == ["U1", "U2"]
    assert FRAMEWORK.applies_to["P2.4.1"] == {"probation_reset": ("none", "core")}
    assert FRAMEWORK.applies_to["P2.4.1.a"] == {"probation_reset": ("none", "core")}  # inherited by its prompts
    assert "P2.1.1" not in FRAMEWORK.applies_to


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "U1"', 'id = "M1"', "must be U and a number"),
        ('applies_to = { probation_reset = ["none", "core"] }', 'applies_to = { reset = ["none"] }', "not a case"),
        ('applies_to = { probation_reset = ["none", "core"] }', 'applies_to = { probation_reset = ["x"] }', "unknown"),
        ('provenance = "seed report, P1.2', 'origin = "seed report, P1.2', "unknown key 'origin'"),
    ],
)
def test_bad_unrated_measures_and_rules_are_refused(old, new, message):
    with pytest.raises(FrameworkError, match=message):
        parse_framework(TEXT.replace(old, new, 1))


def _cases(**columns) -> pl.DataFrame:
    base = {"case_id": ["A", "B", "C"], "probation_reset": ["none", "adjusted", "core"]}
    return pl.DataFrame({**base, **columns})


def test_a_yes_or_no_where_the_question_does_not_apply_is_a_violation():
    cases = _cases(**{"P2.4.1": ["Yes", "No", "Yes"], "P2.4.1.a": ["No", "N/A", "Yes"]})
    found = applicability_violations(cases, FRAMEWORK)
    assert found.select("row_index", "case_id", "column", "value").rows() == [(1, "B", "P2.4.1", "No")]
    assert found["case_type"][0] == "probation_reset adjusted"
    assert found["applies_to"][0] == "probation_reset none or core"


def test_na_where_the_question_does_not_apply_is_fine_and_an_unknown_category_is_left_to_allowed_values():
    cases = _cases(**{"P2.4.1": ["Yes", "N/A", "Yes"]})
    assert applicability_violations(cases, FRAMEWORK).is_empty()
    odd = _cases(**{"P2.4.1": ["Yes", "Yes", "Yes"]}).with_columns(probation_reset=pl.lit("sometimes"))
    assert applicability_violations(odd, FRAMEWORK).is_empty()


def test_unrated_results_count_like_prompts():
    cases = pl.DataFrame(
        {"inspection_id": ["x"] * 4, "U1": ["Yes", "No", "Yes", "N/A"], "U2": ["N/A", "N/A", "Yes", "No"]}
    )
    got = unrated_results(cases, FRAMEWORK)
    assert got.select("measure_id", "yes", "no", "not_applicable", "relevant_cases", "published_percentage").rows() == [
        ("U1", 2, 1, 1, 3, 67),
        ("U2", 1, 1, 2, 2, 50),
    ]
    assert got["measure_text"][0] == "management oversight of the case is sufficient"
    assert unrated_results(cases.drop("U1", "U2"), FRAMEWORK).is_empty()
