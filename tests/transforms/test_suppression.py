"""Small numbers are withheld, and never recoverable from the published tables by subtraction."""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.config import DEFAULT_LANDING
from tests.conftest import SAMPLES
from transforms.framework import Framework, load_framework
from transforms.results import breakdowns
from transforms.suppression import suppress_sample_profile, suppress_small_numbers
from transforms.tables import build_tables

try:  # the landing-zone reader is moving to flows.store
    from flows.store.landing import read_extract
except ImportError:  # pragma: no cover
    from flows.landing import read_extract

THRESHOLD = 5


def _cells(relevant: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "inspection_id": "x",
            "dimension": "sex",
            "question_id": "P2.1.1",
            "category": [f"c{i}" for i in range(len(relevant))],
            "yes": relevant,
            "no": [0] * len(relevant),
            "not_applicable": 0,
            "relevant_cases": relevant,
            "percentage": 100.0,
            "published_percentage": 100,
        }
    )


def _group(answers: list[tuple[int, int, int]], categories: list[str] | None = None) -> pl.DataFrame:
    """One characteristic x key question: a cell per (yes, no, N/A), categories in framework order."""
    yes, no, na = (list(column) for column in zip(*answers, strict=True))
    relevant = [y + n for y, n in zip(yes, no, strict=True)]
    return pl.DataFrame(
        {
            "inspection_id": "x",
            "dimension": "sex",
            "question_id": "P2.1.1",
            "category": categories or [f"c{i}" for i in range(len(answers))],
            "yes": yes,
            "no": no,
            "not_applicable": na,
            "relevant_cases": relevant,
            "percentage": [100 * y / r if r else None for y, r in zip(yes, relevant, strict=True)],
            "published_percentage": None,
        },
        schema_overrides={"published_percentage": pl.Int64},
    )


def _withheld(answers: list[tuple[int, int, int]], threshold: int = THRESHOLD, **kwargs) -> list[bool]:
    return suppress_small_numbers(_group(answers, **kwargs), threshold)["suppressed"].to_list()


def _profile(cases: list[int], dimension: str = "sex") -> pl.DataFrame:
    return pl.DataFrame(
        {"inspection_id": "x", "dimension": dimension, "category": [f"c{i}" for i in range(len(cases))], "cases": cases}
    )


# --- breakdowns, hand-made groups ------------------------------------------------------------------


def test_cells_below_threshold_are_suppressed_and_blanked():
    out = suppress_small_numbers(_cells([30, 3, 2]), threshold=5)
    assert out["suppressed"].to_list() == [False, True, True]
    assert out["yes"].to_list() == [30, None, None]
    assert out["published_percentage"].to_list() == [100, None, None]
    assert out.columns == [*_cells([1]).columns, "suppressed"]


def test_lone_suppressed_cell_gets_a_secondary_partner():
    out = suppress_small_numbers(_cells([30, 3, 12, 9]), threshold=5)
    # c1 (3) alone would be total - others: the smallest other cell (c3, 9) is withheld too.
    assert out["suppressed"].to_list() == [False, True, False, True]


def test_lone_small_cell_with_mixed_answers():
    # c1 (2 Yes, 1 No) is joined by the smallest shown cell, c2: together 10 Yes, 5 No.
    assert _withheld([(20, 10, 0), (2, 1, 0), (8, 4, 0)]) == [False, True, True]


def test_two_small_cells_summing_below_threshold_get_a_third():
    # c1 + c2 hold 3 relevant cases: the old rule stopped there, and 3 could be worked out.
    assert _withheld([(20, 10, 0), (1, 1, 0), (1, 0, 0), (6, 3, 0)]) == [False, True, True, True]


def test_two_small_cells_reaching_the_threshold_together_suffice():
    assert _withheld([(20, 10, 0), (2, 1, 0), (1, 1, 0), (6, 3, 0)]) == [False, True, True, False]


def test_withheld_cells_all_yes_when_the_total_is_not_get_a_mixed_partner():
    # c1 + c2 = 6 Yes of 6 while the total has Nos: c3 (5 Yes, 2 No) makes it 11 of 13.
    assert _withheld([(10, 10, 0), (3, 0, 0), (3, 0, 0), (5, 2, 0)]) == [False, True, True, True]


def test_withheld_cells_all_yes_are_fine_when_the_total_is_all_yes():
    assert _withheld([(30, 0, 0), (3, 0, 0), (2, 0, 0)]) == [False, True, True]


def test_everything_goes_when_no_partner_mixes_the_answers():
    # Dyfed Powys, sex x P2.2.3: 21 of 45; male 21 of 39, so female + other would be 0 of 6.
    assert _withheld([(21, 18, 0), (0, 5, 0), (0, 1, 0)], categories=["male", "female", "other"]) == [True] * 3


def test_na_only_cells_are_withheld_and_not_left_known_to_be_all_na():
    # c1 has no relevant case; alone it would be known to be 6 N/A: c2 joins it.
    assert _withheld([(20, 10, 0), (0, 0, 6), (4, 2, 0)]) == [False, True, True]
    # Two N/A-only cells together (7 cases, all N/A) are no better: the whole characteristic goes.
    assert _withheld([(20, 10, 0), (0, 0, 3), (0, 0, 4)]) == [True, True, True]


def test_na_only_cells_may_go_alone_when_the_total_has_no_relevant_case():
    assert _withheld([(0, 0, 30), (0, 0, 2)]) == [True, True]


def test_small_na_counts_next_to_enough_relevant_cases_are_fine():
    assert _withheld([(20, 10, 0), (2, 1, 1), (1, 1, 2), (9, 9, 0)]) == [False, True, True, False]


def test_ties_go_to_the_category_first_in_framework_order():
    # c2 and c3 both hold 6 relevant cases: the first listed goes, whatever the names' alphabetical order.
    answers = [(10, 10, 0), (2, 0, 0), (3, 3, 0), (3, 3, 0)]
    assert _withheld(answers, categories=["w", "z", "y", "a"]) == [False, True, True, False]


def test_threshold_is_a_parameter():
    assert suppress_small_numbers(_cells([30, 3, 2]), threshold=2)["suppressed"].to_list() == [False, False, False]


def test_threshold_zero_withholds_nothing():
    assert _withheld([(20, 10, 0), (0, 0, 2), (1, 0, 0)], threshold=0) == [False, False, False]


def test_threshold_one_withholds_only_na_only_cells_and_their_partners():
    assert _withheld([(20, 10, 0), (1, 0, 0)], threshold=1) == [False, False]
    assert _withheld([(20, 10, 0), (0, 0, 2), (1, 1, 0)], threshold=1) == [False, True, True]


def test_groups_are_independent():
    two = pl.concat(
        [
            _group([(20, 10, 0), (2, 1, 0), (8, 4, 0)]),
            _group([(20, 10, 0), (8, 4, 0)]).with_columns(question_id=pl.lit("P2.1.2")),
        ]
    )
    assert suppress_small_numbers(two, THRESHOLD)["suppressed"].to_list() == [False, True, True, False, False]


def test_categories_withheld_from_the_profile_are_withheld_in_every_breakdown():
    cells = _group([(20, 10, 0), (6, 4, 0), (5, 5, 0)])
    profile = _profile([30, 10, 10]).with_columns(suppressed=pl.Series([False, True, False]))
    # c1 is big enough here, but a shown cell would reveal its size (yes + no + N/A) withheld from the profile.
    assert suppress_small_numbers(cells, THRESHOLD, profile)["suppressed"].to_list() == [False, True, False]
    assert suppress_small_numbers(cells, THRESHOLD)["suppressed"].to_list() == [False, False, False]


# --- sample profile, hand-made ---------------------------------------------------------------------


def test_profile_small_categories_are_withheld_with_a_partner():
    out = suppress_sample_profile(_profile([39, 5, 1]), THRESHOLD)
    assert out["suppressed"].to_list() == [False, True, True]
    assert out["cases"].to_list() == [39, None, None]


def test_profile_empty_categories_stay_shown_and_are_no_partner():
    assert suppress_sample_profile(_profile([40, 0, 3, 6]), THRESHOLD)["suppressed"].to_list() == [
        False,
        False,
        True,
        True,
    ]


def test_profile_of_an_inspection_below_threshold_is_withheld_whole():
    assert suppress_sample_profile(_profile([3, 0, 1]), THRESHOLD)["suppressed"].to_list() == [True, True, True]


def test_profile_sentence_type_is_published_whatever_its_size():
    out = suppress_sample_profile(_profile([40, 2], dimension="sentence_type"), THRESHOLD)
    assert out["suppressed"].to_list() == [False, False]
    assert out["cases"].to_list() == [40, 2]


def test_profile_threshold_zero_and_one_withhold_nothing():
    for threshold in (0, 1):
        assert not suppress_sample_profile(_profile([39, 0, 1]), threshold)["suppressed"].any()


# --- the adversary: everything published, together -----------------------------------------------


def disclosures(tables: dict[str, pl.DataFrame], threshold: int) -> list[str]:
    """Every withheld figure a reader can work out from all the published tables together."""
    found = []
    inspections = tables["inspections"]
    totals = tables["key_question_results"].select("inspection_id", "question_id", Y="yes", N="no", A="not_applicable")
    cells = tables["breakdowns"]
    shown = cells.group_by("inspection_id", "dimension", "question_id").agg(
        pl.col("yes").sum(), pl.col("no").sum(), pl.col("not_applicable").sum()
    )
    derived = (
        shown.join(totals, on=["inspection_id", "question_id"])
        .with_columns(
            y=pl.col("Y") - pl.col("yes"), n=pl.col("N") - pl.col("no"), a=pl.col("A") - pl.col("not_applicable")
        )
        .with_columns(r=pl.col("y") + pl.col("n"), c=pl.col("y") + pl.col("n") + pl.col("a"))
    )
    # Withholding the whole characteristic leaves the published total: nothing new to learn.
    hidden = derived.filter(pl.col("c") != pl.col("Y") + pl.col("N") + pl.col("A"))
    small = hidden.filter(pl.col("r").is_between(1, threshold - 1) | pl.col("c").is_between(1, threshold - 1))
    all_yes = hidden.filter((pl.col("r") > 0) & (pl.col("n") == 0) & (pl.col("N") > 0))
    all_no = hidden.filter((pl.col("r") > 0) & (pl.col("y") == 0) & (pl.col("Y") > 0))
    all_na = hidden.filter((pl.col("c") > 0) & (pl.col("r") == 0) & (pl.col("Y") + pl.col("N") > 0))
    for kind, frame in (("small", small), ("all Yes", all_yes), ("all No", all_no), ("all N/A", all_na)):
        found += [f"breakdowns {kind}: {row}" for row in frame.iter_rows(named=True)]

    # Category sizes: shown in the profile, or given by any shown breakdown cell as yes + no + N/A.
    profile = tables["sample_profile"]
    from_cells = (
        cells.filter(~pl.col("suppressed"))
        .group_by("inspection_id", "dimension", "category")
        .agg(from_cells=(pl.col("yes") + pl.col("no") + pl.col("not_applicable")).first())
    )
    sizes = profile.join(from_cells, on=["inspection_id", "dimension", "category"], how="left").with_columns(
        known=pl.coalesce("cases", "from_cells")
    )
    contradictions = sizes.filter(
        pl.col("cases").is_not_null() & pl.col("from_cells").is_not_null() & (pl.col("cases") != pl.col("from_cells"))
    )
    found += [f"inconsistent size: {row}" for row in contradictions.iter_rows(named=True)]
    unknown = (
        sizes.group_by("inspection_id", "dimension")
        .agg(known=pl.col("known").sum(), unknown=pl.col("known").is_null().sum(), categories=pl.len())
        .join(inspections.select("inspection_id", "cases"), on="inspection_id")
        .with_columns(rest=pl.col("cases") - pl.col("known"))
    )
    leaks = unknown.filter(
        (pl.col("unknown") > 0)
        & (pl.col("unknown") < pl.col("categories"))
        & pl.col("rest").is_between(1, threshold - 1)
    )
    found += [f"profile small: {row}" for row in leaks.iter_rows(named=True)]
    # Shown outright: only sentence type's sizes may be small, the inspectorate publishes them.
    shown_small = profile.filter(pl.col("cases").is_between(1, threshold - 1), pl.col("dimension") != "sentence_type")
    found += [f"profile shows small: {row}" for row in shown_small.iter_rows(named=True)]
    # Sentence type: the inspections table publishes it, and the profile must agree.
    sentence = (
        profile.filter(pl.col("dimension") == "sentence_type")
        .pivot("category", index="inspection_id", values="cases")
        .join(inspections, on="inspection_id")
    )
    found += [
        f"sentence type: {row}"
        for row in sentence.filter(
            (pl.col("community_order") != pl.col("community_orders")) | (pl.col("licence") != pl.col("licences"))
        ).iter_rows(named=True)
    ]
    return found


@cache
def _framework() -> Framework:
    return load_framework("probation-pdu-2023")


def _build(cases: pl.DataFrame, threshold: int) -> dict[str, pl.DataFrame]:
    """Published tables for case samples of made-up inspections."""
    framework = _framework()
    ids = cases["inspection_id"].unique(maintain_order=True).to_list()
    manifests = pl.DataFrame(
        {
            "inspection_id": ids,
            "framework": framework.id,
            "pdu": ids,
            "region": "r",
            "fieldwork_start": dt.date(2025, 1, 6),
            "fingerprint": "f",
        }
    )
    judged = pl.DataFrame({"inspection_id": ids}).join(
        pl.DataFrame({"standard_id": framework.judged_standard_ids, "rating": "Good"}), how="cross"
    )
    return build_tables(cases, manifests, judged, framework, threshold)


def weights_of(count: int, top: int) -> st.SearchStrategy[list[int]]:
    """`count` weights from 0 to `top`, not all 0."""
    return st.tuples(st.lists(st.integers(0, top), min_size=count, max_size=count), st.integers(0, count - 1)).map(
        lambda drawn: [w + (i == drawn[1]) for i, w in enumerate(drawn[0])]
    )


@st.composite
def case_samples(draw) -> pl.DataFrame:
    """One or two inspections of 5 to 60 cases, categories skewed so that small groups are common."""
    framework = _framework()
    rows = []
    for inspection in range(draw(st.integers(1, 2))):
        size = draw(st.integers(5, 60))
        # Per characteristic, category weights from 0 to 30 (one at least 1): some categories rare, some empty.
        weights = {d: draw(weights_of(len(c), 30)) for d, c in framework.case_characteristics.items()}
        # Per question, answer weights: often one answer dominates, so groups all Yes or all No are common.
        answers = {q: draw(weights_of(3, 10)) for q in framework.question_ids}
        # Cases drawn from those weights by a seeded generator: thousands of Hypothesis draws would be slow.
        rng = random.Random(draw(st.integers(0, 2**32 - 1)))
        for case in range(size):
            row = {"inspection_id": f"i{inspection}", "case_id": f"i{inspection}-{case}"}
            for dimension, categories in framework.case_characteristics.items():
                row[dimension] = rng.choices(categories, weights[dimension])[0]
            for question in framework.question_ids:
                row[question] = rng.choices(("Yes", "No", "N/A"), answers[question])[0]
            rows.append(row)
    return pl.DataFrame(rows)


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=case_samples(), threshold=st.sampled_from([THRESHOLD, THRESHOLD, 3, 10]))
def test_no_withheld_figure_can_be_worked_out_from_all_published_tables(cases, threshold):
    tables = _build(cases, threshold)
    assert disclosures(tables, threshold) == []
    # Withheld means blank, in both tables.
    assert tables["breakdowns"].filter("suppressed")["yes"].null_count() == tables["breakdowns"]["suppressed"].sum()
    assert (
        tables["sample_profile"].filter("suppressed")["cases"].null_count()
        == tables["sample_profile"]["suppressed"].sum()
    )


# --- the bundled samples ---------------------------------------------------------------------------


@cache
def _sample(inspection_id: str) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """A bundled sample's cases and its published tables."""
    extract = read_extract(DEFAULT_LANDING, inspection_id)
    cases = extract.cases.with_columns(inspection_id=pl.lit(inspection_id))
    return cases, _build(cases, THRESHOLD)


@pytest.mark.parametrize("inspection_id", SAMPLES)
def test_no_withheld_figure_can_be_worked_out_in_a_bundled_sample(inspection_id):
    _, tables = _sample(inspection_id)
    assert disclosures(tables, THRESHOLD) == []


def test_the_old_rule_let_figures_be_worked_out_in_the_samples():
    # The audit of issue 9: 62 groups of the bundled samples could be worked out under the old rule.
    def old_rule(cells: pl.DataFrame) -> pl.DataFrame:
        group = ["inspection_id", "dimension", "question_id"]
        ranked = cells.with_columns(primary=pl.col("relevant_cases") < THRESHOLD).with_columns(
            primaries=pl.col("primary").sum().over(group),
            rank=pl.when(~pl.col("primary")).then(
                pl.struct("relevant_cases", "category").rank("ordinal").over([*group, "primary"])
            ),
        )
        flagged = ranked.with_columns(
            suppressed=pl.col("primary") | ((pl.col("primaries") == 1) & (pl.col("rank") == 1)).fill_null(False)
        )
        return flagged.with_columns(
            [pl.when("suppressed").then(None).otherwise(m).alias(m) for m in ("yes", "no", "not_applicable")]
        )

    found = set()
    for inspection_id in SAMPLES:
        cases, tables = _sample(inspection_id)
        old = old_rule(breakdowns(cases, _framework()))
        # A group can be disclosed twice over (too small and all No): count groups once.
        found |= {
            d.split(": ", 1)[1]
            for d in disclosures({**tables, "breakdowns": old}, THRESHOLD)
            if d.startswith("breakdowns")
        }
        assert (
            not old.filter("suppressed")
            .join(tables["breakdowns"].filter(~pl.col("suppressed")), on=["dimension", "category", "question_id"])
            .height
        ), "the new rule withholds everything the old one did"
    assert len(found) == 60  # 62 before the Dyfed Powys sample was made faithful to its report (issue 11)


def test_dyfed_powys_sex_by_p241_is_withheld_whole():
    _, tables = _sample("dyfed-powys-2025")
    cells = tables["breakdowns"].filter((pl.col("dimension") == "sex") & (pl.col("question_id") == "P2.4.1"))
    assert cells["suppressed"].all()


def test_no_group_in_a_sample_has_exactly_one_suppressed_cell():
    _, tables = _sample("dyfed-powys-2025")
    counts = tables["breakdowns"].group_by("dimension", "question_id").agg(pl.col("suppressed").sum())
    assert counts["suppressed"].max() >= 2
    assert 1 not in counts["suppressed"].to_list()


def test_dyfed_powys_profile_withholds_the_small_categories_but_not_sentence_type():
    _, tables = _sample("dyfed-powys-2025")
    profile = tables["sample_profile"]
    withheld = profile.filter("suppressed").select("dimension", "category").rows()
    assert ("probation_reset", "core") in withheld and ("probation_reset", "adjusted") in withheld
    assert not profile.filter(pl.col("dimension") == "sentence_type")["suppressed"].any()
    assert not profile.filter(~pl.col("suppressed"))["cases"].is_between(1, THRESHOLD - 1).any()
