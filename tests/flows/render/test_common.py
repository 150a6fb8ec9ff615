"""What both renderers share: checked inputs, labels, notes, prompt statements and release facts."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from flows.render.common import (
    category_label,
    check_tables,
    dimension_label,
    methodology_notes,
    ordered_profile,
    ordered_prompts,
    prompts_statement,
    release_facts,
    suppression_text,
)
from tests.flows.render.variants import RELEASE, protected_profile, some_prompts, unprotected_profile


def test_check_tables_needs_every_table_but_prompts(dyfed):
    tables, _ = dyfed
    without = {name: frame for name, frame in tables.items() if name != "breakdowns"}
    with pytest.raises(ValueError, match="missing tables breakdowns"):
        check_tables(without)
    no_prompts = {name: frame for name, frame in tables.items() if name != "prompt_results"}
    assert check_tables(no_prompts)["inspection_id"] == "dyfed-powys-2025"
    assert check_tables(tables | {"prompt_results": tables["prompt_results"].clear()})["pdu"] == "Dyfed Powys"


def test_check_tables_refuses_rows_of_other_inspections(dyfed):
    tables, _ = dyfed
    other = tables["prompt_results"].with_columns(inspection_id=pl.lit("elsewhere-2025"))
    with pytest.raises(ValueError, match="prompt_results has rows for other inspections: elsewhere-2025"):
        check_tables(tables | {"prompt_results": other})
    with pytest.raises(ValueError, match="one inspection"):
        check_tables(tables | {"inspections": tables["inspections"].clear()})


def test_prompts_absent_partly_and_fully_supplied(dyfed):
    tables, framework = dyfed
    absent = {name: frame for name, frame in tables.items() if name != "prompt_results"}
    assert ordered_prompts(absent, framework) is None
    assert ordered_prompts(tables | {"prompt_results": tables["prompt_results"].clear()}, framework) is None
    assert prompts_statement(None, framework) == (
        "No prompt answers were supplied for this inspection, so no prompt figures are published."
    )
    full = ordered_prompts(tables, framework)
    assert full.height == 21 and prompts_statement(full, framework) == ""
    part = ordered_prompts(some_prompts(tables, ("P2.3.1", "P2.1.3")), framework)
    assert part["question_id"].unique(maintain_order=True).to_list() == ["P2.1.3", "P2.3.1"], "framework order"
    assert prompts_statement(part, framework) == (
        f"Prompt answers were supplied for {part.height} of the 21 prompts of the framework for this inspection; "
        "only those prompts are shown."
    )


def test_profile_carries_suppression_flags_old_frames_or_new(dyfed):
    tables, framework = dyfed
    old = ordered_profile(unprotected_profile(tables), framework)
    assert old.select("category", "cases", "suppressed").rows() == [
        ("male", 39, False),
        ("female", 5, False),
        ("other", 1, False),
    ]
    new = ordered_profile(protected_profile(tables), framework)
    withheld = new.filter(pl.col("suppressed"))
    assert withheld["cases"].null_count() == withheld.height > 0
    assert set(zip(withheld["dimension"], withheld["category"], strict=True)) >= {
        ("sex", "other"),
        ("probation_reset", "core"),
    }


def test_suppression_note_states_the_rule(publication):
    text = suppression_text(publication)
    assert text.startswith("[c] marks a figure withheld")
    for words in (
        "A breakdown cell with fewer than 5 relevant cases is withheld.",
        "Further cells are then withheld, smallest first (secondary suppression)",
        "withheld cells of each characteristic and key question together hold either no relevant case or at least 5",
        "unless every relevant case of that key question has the same answer, do not all share one answer",
        "The same protection applies to the numbers of cases in the sample profile, except for sentence type",
        "a category withheld from the sample profile is withheld from the breakdowns too.",
    ):
        assert words in text
    assert "too few relevant cases" in suppression_text({})


def test_methodology_notes_carry_the_suppression_rule(dyfed, publication):
    _, framework = dyfed
    notes = {note.ref: note for note in methodology_notes(framework, publication)}
    assert notes["suppression"].text == suppression_text(publication)
    assert notes["suppression"].title == "Suppressed figures [c]"


def test_labels():
    assert dimension_label("rosh") == "Risk of serious harm (RoSH)"
    assert dimension_label("case_age") == "Case age"
    assert category_label("sentence_type", "licence") == "Release on licence"
    assert category_label("sex", "not_known") == "Not known"
    assert category_label("practitioner_grade", "SPO") == "SPO"


def test_no_release_facts_when_none_are_given(publication):
    assert release_facts(publication) is None


def test_release_facts_in_order_with_revisions_newest_first():
    release = release_facts({"release": RELEASE})
    assert release.facts() == [
        ("Published", "5 March 2026"),
        ("Statistics status", "Official statistics in development"),
        ("Next update", "Not planned: each inspection is published once"),
    ]
    assert [r.date for r in release.revisions] == [dt.date(2026, 4, 2), dt.date(2026, 3, 12)]
    assert release.report_link == RELEASE["report_url"]
    minimal = release_facts({"release": {"published_on": dt.date(2026, 3, 5), "statistics_status": "Official"}})
    assert (minimal.next_update, minimal.report_url, minimal.revisions) == (None, None, ())
    assert [label for label, _ in minimal.facts()] == ["Published", "Statistics status"]


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://example.org/report", True),
        ("http://example.org/report", True),
        ("HTTPS://EXAMPLE.ORG/report", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//example.org/report", False),
        ("example.org/report", False),
        ("https://example.org/a report", False),
        ('https://example.org/"><script>', True),  # a link, whose address the HTML escapes
        ("https://example.org/\nreport", False),
    ],
)
def test_report_url_is_a_link_only_when_it_is_a_web_address(url, trusted):
    release = release_facts({"release": RELEASE | {"report_url": url}})
    assert release.report_url == url
    assert release.report_link == (url if trusted else None)


def test_release_dates_must_be_dates():
    with pytest.raises(ValueError, match="release dates must be dates"):
        release_facts({"release": RELEASE | {"published_on": "2026-03-05"}})
