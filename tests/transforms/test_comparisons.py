"""Periods, pooled national and regional figures, funnel benchmarks and trends, against hand values and scipy."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from scipy.stats import binomtest

from schemas.comparison_tables import COMPARISON_TABLES
from transforms.comparisons import (
    FUNNEL_ZONES,
    benchmarks,
    financial_year,
    funnel_zone,
    national_results,
    regional_results,
    trends,
)
from transforms.intervals import Z95, Z998
from transforms.percentages import counts_to_percentages

TOLERANCE = 1e-9
F, G = "probation-pdu-2023", "other-framework"

# id: framework, pdu, region, fieldwork_start. "a" and "b" sit on the edges of the 2024-25 financial year.
INSPECTIONS = {
    "a": (F, "Alpha", "North", dt.date(2024, 4, 1)),
    "b": (F, "Beta", "North", dt.date(2025, 3, 31)),
    "c": (F, "Gamma", "South", dt.date(2024, 6, 15)),
    "d": (F, "Alpha", "North", dt.date(2025, 4, 1)),
    "e": (F, "Delta", "West", dt.date(2025, 8, 11)),
    "g": (G, "Alpha", "North", dt.date(2025, 9, 1)),
}
# (inspection, key question): yes, no, N/A. "z" was not published: its results must not count.
KEY_QUESTIONS = {
    ("a", "S1.1"): (40, 10, 0), ("a", "S1.2"): (0, 0, 50),
    ("b", "S1.1"): (45, 5, 0), ("b", "S1.2"): (0, 0, 50),
    ("c", "S1.1"): (5, 45, 0), ("c", "S1.2"): (0, 0, 50),
    ("d", "S1.1"): (1, 3, 0), ("d", "S1.2"): (6, 0, 2),
    ("e", "S1.1"): (0, 4, 1), ("e", "S1.2"): (0, 0, 8),
    ("g", "S1.1"): (7, 3, 0), ("g", "S1.2"): (2, 2, 6),
    ("z", "S1.1"): (99, 0, 0), ("z", "S1.2"): (99, 0, 0),
}  # fmt: skip
PROMPTS = {("a", "S1.1.a"): (3, 1, 46), ("b", "S1.1.a"): (2, 2, 46), ("d", "S1.1.a"): (4, 0, 0)}


def inspections_frame(inspections: dict = INSPECTIONS) -> pl.DataFrame:
    return pl.DataFrame(
        [{"inspection_id": i, "framework": f, "pdu": p, "region": r, "fieldwork_start": d}
         for i, (f, p, r, d) in inspections.items()]
    )  # fmt: skip


def results_frame(counts: dict, item: str = "question_id") -> pl.DataFrame:
    rows = [
        {"inspection_id": i, "standard_id": q.split(".")[0], item: q, "yes": y, "no": n, "not_applicable": na}
        for (i, q), (y, n, na) in counts.items()
    ]
    frame = counts_to_percentages(pl.DataFrame(rows))
    if item == "prompt_id":
        frame = frame.with_columns(question_id=pl.col("prompt_id").str.replace(r"\.[a-z]$", ""))
    return frame


@pytest.fixture(scope="module")
def national() -> pl.DataFrame:
    return national_results(results_frame(KEY_QUESTIONS), results_frame(PROMPTS, "prompt_id"), inspections_frame())


def rows_by(frame: pl.DataFrame, *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in frame.iter_rows(named=True)}


def scipy_wilson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return 100 * float(ci.low), 100 * float(ci.high)


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (dt.date(2025, 8, 11), "2025-26"),
        (dt.date(2025, 2, 1), "2024-25"),
        (dt.date(2025, 3, 31), "2024-25"),
        (dt.date(2025, 4, 1), "2025-26"),
        (dt.date(2024, 1, 1), "2023-24"),
        (dt.date(2024, 12, 31), "2024-25"),
        (dt.date(1999, 4, 1), "1999-00"),
        (dt.date(2009, 5, 1), "2009-10"),
    ],
)
def test_financial_year(day, period):
    assert pl.select(financial_year(pl.lit(day))).item() == period


def test_national_pools_the_published_inspections_of_each_framework_and_period(national):
    assert national.columns == COMPARISON_TABLES["national_results"].column_names
    got = rows_by(national.filter(pl.col("measure") == "key_question"), "framework", "period", "question_id")
    assert set(got) == {(F, "2024-25", "S1.1"), (F, "2024-25", "S1.2"), (F, "2025-26", "S1.1"),
                        (F, "2025-26", "S1.2"), (G, "2025-26", "S1.1"), (G, "2025-26", "S1.2")}  # fmt: skip
    # 2024-25: a (1 April 2024), b (31 March 2025) and c; not z, which is not published.
    row = got[(F, "2024-25", "S1.1")]
    assert (row["inspections"], row["yes"], row["no"], row["not_applicable"], row["relevant_cases"]) == (
        3,
        90,
        60,
        0,
        150,
    )
    assert (row["percentage"], row["published_percentage"]) == (60.0, 60)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(scipy_wilson(90, 150), abs=TOLERANCE)
    # 2025-26: d (1 April 2025) and e: 1 of 8 is 12.5%, published half up as 13%.
    row = got[(F, "2025-26", "S1.1")]
    assert (row["inspections"], row["yes"], row["relevant_cases"], row["not_applicable"]) == (2, 1, 8, 1)
    assert (row["percentage"], row["published_percentage"]) == (12.5, 13)


def test_a_key_question_with_no_relevant_case_anywhere(national):
    row = rows_by(national, "framework", "period", "question_id", "measure")[(F, "2024-25", "S1.2", "key_question")]
    assert (row["inspections"], row["relevant_cases"], row["not_applicable"]) == (3, 0, 150)
    assert [row[c] for c in ("percentage", "published_percentage", "ci_lower", "ci_upper")] == [None] * 4


def test_one_inspection_in_a_period_is_its_own_figure(national):
    got = rows_by(national.filter(pl.col("framework") == G), "question_id", "prompt_id")
    row = got[("S1.2", None)]
    assert (row["inspections"], row["yes"], row["no"], row["not_applicable"]) == (1, 2, 2, 6)
    assert (row["percentage"], row["published_percentage"]) == (50.0, 50)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(scipy_wilson(2, 4), abs=TOLERANCE)


def test_prompts_are_pooled_with_their_key_question(national):
    prompts = national.filter(pl.col("measure") == "prompt")
    assert prompts.select("period", "standard_id", "question_id", "prompt_id", "inspections", "yes", "no").rows() == [
        ("2024-25", "S1", "S1.1", "S1.1.a", 2, 5, 3),
        ("2025-26", "S1", "S1.1", "S1.1.a", 1, 4, 0),
    ]
    assert national.filter(pl.col("measure") == "key_question")["prompt_id"].null_count() == 6
    # Key questions come before prompts within each framework and period.
    assert national.filter(pl.col("framework") == F)["measure"].to_list() == ["key_question"] * 2 + ["prompt"] + [
        "key_question"
    ] * 2 + ["prompt"]
    without = national_results(results_frame(KEY_QUESTIONS), None, inspections_frame())
    assert set(without["measure"]) == {"key_question"}
    assert without.equals(national.filter(pl.col("measure") == "key_question"))


def test_every_pooled_interval_agrees_with_scipy(national):
    for row in national.filter(pl.col("relevant_cases") > 0).iter_rows(named=True):
        assert row["percentage"] == pytest.approx(100 * row["yes"] / row["relevant_cases"], abs=TOLERANCE)
        expected = scipy_wilson(row["yes"], row["relevant_cases"])
        assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(expected, abs=TOLERANCE), row


def test_regional_results_by_region_and_period():
    regional = regional_results(results_frame(KEY_QUESTIONS), results_frame(PROMPTS, "prompt_id"), inspections_frame())
    assert regional.columns == COMPARISON_TABLES["regional_results"].column_names
    got = rows_by(regional.filter(pl.col("measure") == "key_question", pl.col("question_id") == "S1.1"),
                  "framework", "period", "region")  # fmt: skip
    assert {k: (r["inspections"], r["yes"], r["relevant_cases"]) for k, r in got.items()} == {
        (F, "2024-25", "North"): (2, 85, 100),  # a and b
        (F, "2024-25", "South"): (1, 5, 50),
        (F, "2025-26", "North"): (1, 1, 4),
        (F, "2025-26", "West"): (1, 0, 4),
        (G, "2025-26", "North"): (1, 7, 10),
    }
    assert got[(F, "2024-25", "North")]["published_percentage"] == 85
    assert (got[(F, "2025-26", "West")]["ci_lower"], got[(F, "2025-26", "West")]["percentage"]) == (0.0, 0.0)
    for row in regional.filter(pl.col("relevant_cases") > 0).iter_rows(named=True):
        expected = scipy_wilson(row["yes"], row["relevant_cases"])
        assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(expected, abs=TOLERANCE)
    # Regions add up to the nation.
    summed = regional.group_by("framework", "period", "measure", "question_id", "prompt_id").agg(
        pl.col("yes", "no", "not_applicable", "inspections").sum()
    )
    national = national_results(results_frame(KEY_QUESTIONS), results_frame(PROMPTS, "prompt_id"), inspections_frame())
    joined = national.join(summed, on=["framework", "period", "measure", "question_id", "prompt_id"], nulls_equal=True)
    assert joined.height == national.height
    for column in ("yes", "no", "not_applicable", "inspections"):
        assert (joined[column] == joined[f"{column}_right"]).all()


# --- Funnel benchmarks -----------------------------------------------------------------------------------------


def limits_by_hand(p0: float, n: int) -> dict[str, float]:
    spread = math.sqrt(p0 * (1 - p0) / n)
    return {
        "lower_99_8": max(0.0, 100 * (p0 - Z998 * spread)),
        "lower_95": max(0.0, 100 * (p0 - Z95 * spread)),
        "upper_95": min(100.0, 100 * (p0 + Z95 * spread)),
        "upper_99_8": min(100.0, 100 * (p0 + Z998 * spread)),
    }


def zone_by_hand(percentage: float, limits: dict[str, float]) -> str:
    if percentage > limits["upper_99_8"]:
        return "above_99_8"
    if percentage > limits["upper_95"]:
        return "above_95"
    if percentage < limits["lower_99_8"]:
        return "below_99_8"
    if percentage < limits["lower_95"]:
        return "below_95"
    return "within"


@pytest.fixture(scope="module")
def funnel(national) -> pl.DataFrame:
    return benchmarks(results_frame(KEY_QUESTIONS), inspections_frame(), national)


def test_benchmarks_by_hand(funnel):
    assert funnel.columns == COMPARISON_TABLES["benchmarks"].column_names
    assert "z" not in funnel["inspection_id"].to_list()
    got = rows_by(funnel, "inspection_id", "question_id")
    # 2024-25, S1.1: p0 = 90/150 = 0.6; n = 50, so the spread is sqrt(0.24 / 50).
    spread = math.sqrt(0.6 * 0.4 / 50)
    a = got[("a", "S1.1")]
    assert a["national_percentage"] == 60.0
    assert a["upper_95"] == pytest.approx(60 + 100 * Z95 * spread, abs=TOLERANCE)
    assert a["upper_95"] == pytest.approx(73.58, abs=0.01) and a["upper_99_8"] == pytest.approx(81.41, abs=0.01)
    assert a["lower_95"] == pytest.approx(46.42, abs=0.01) and a["lower_99_8"] == pytest.approx(38.59, abs=0.01)
    # 80% is above the 95% limit but within the 99.8% one; 90% above both; 10% below both.
    assert (a["funnel_zone"], got[("b", "S1.1")]["funnel_zone"], got[("c", "S1.1")]["funnel_zone"]) == (
        "above_95", "above_99_8", "below_99_8",
    )  # fmt: skip


def test_benchmark_limits_and_zones_agree_with_their_formula(funnel):
    seen = set()
    for row in funnel.filter(pl.col("relevant_cases") > 0).iter_rows(named=True):
        expected = limits_by_hand(row["national_percentage"] / 100, row["relevant_cases"])
        assert {k: row[k] for k in expected} == pytest.approx(expected, abs=TOLERANCE)
        assert row["funnel_zone"] == zone_by_hand(row["percentage"], expected)
        seen.add(row["funnel_zone"])
    assert seen <= set(FUNNEL_ZONES)


def test_no_relevant_case_has_no_zone(funnel):
    row = rows_by(funnel, "inspection_id", "question_id")[("e", "S1.2")]
    assert row["national_percentage"] == 100.0, "d answered Yes in all six relevant cases"
    assert [row[c] for c in ("percentage", "lower_95", "upper_95", "lower_99_8", "upper_99_8", "funnel_zone")] == [
        None
    ] * 6
    # No inspection of 2024-25 had a relevant case for S1.2: no national percentage, no limits, no zone.
    row = rows_by(funnel, "inspection_id", "question_id")[("a", "S1.2")]
    assert (row["national_percentage"], row["funnel_zone"]) == (None, None)


def test_a_national_percentage_of_0_or_100_closes_the_funnel(funnel):
    got = rows_by(funnel, "inspection_id", "question_id")
    # 2025-26, S1.2: only d has relevant cases, all Yes, so p0 = 1 and the limits are all 100.
    d = got[("d", "S1.2")]
    assert [d[c] for c in ("lower_99_8", "lower_95", "upper_95", "upper_99_8")] == [100.0] * 4
    assert (d["percentage"], d["funnel_zone"]) == (100.0, "within"), "on the limits, so within"
    nobody = pl.DataFrame({"inspection_id": ["p", "q"], "question_id": "S1.1", "relevant_cases": [3, 9],
                           "percentage": [0.0, 0.0], "published_percentage": [0, 0], "standard_id": "S1",
                           "yes": [0, 0], "no": [3, 9], "not_applicable": [0, 0]})  # fmt: skip
    visits = inspections_frame({"p": INSPECTIONS["a"], "q": INSPECTIONS["b"]})
    zero = benchmarks(nobody, visits, national_results(nobody, None, visits))
    assert zero["funnel_zone"].to_list() == ["within", "within"]
    assert zero.select("lower_99_8", "upper_99_8").rows() == [(0.0, 0.0), (0.0, 0.0)]


def test_a_percentage_exactly_on_a_limit_is_within_it():
    limits = {"lower_99_8": 20.0, "lower_95": 30.0, "upper_95": 70.0, "upper_99_8": 80.0}
    values = [19.0, 20.0, 25.0, 30.0, 50.0, 70.0, 75.0, 80.0, 81.0, None]
    frame = pl.DataFrame({"percentage": values}).with_columns(**{k: pl.lit(v) for k, v in limits.items()})
    assert frame.select(funnel_zone())["funnel_zone"].to_list() == [
        "below_99_8", "below_95", "below_95", "within", "within", "within", "above_95", "above_95", "above_99_8", None,
    ]  # fmt: skip


# --- Trends --------------------------------------------------------------------------------------------------------

VISITS = {
    "alpha-3": (F, "Alpha", "North", dt.date(2026, 5, 1)),
    "alpha-1": (F, "Alpha", "North", dt.date(2023, 9, 4)),
    "alpha-2": (F, "Alpha", "Central", dt.date(2024, 11, 18)),
    "alpha-g": (G, "Alpha", "North", dt.date(2025, 1, 6)),
    "beta-1": (F, "Beta", "South", dt.date(2024, 2, 5)),
}
VISIT_COUNTS = {
    ("alpha-1", "S1.1"): (40, 10, 0), ("alpha-1", "S1.2"): (0, 0, 50),
    ("alpha-2", "S1.1"): (1, 3, 0), ("alpha-2", "S1.2"): (6, 4, 2),
    ("alpha-3", "S1.1"): (2, 3, 0), ("alpha-3", "S1.2"): (9, 1, 0),
    ("alpha-g", "S1.1"): (7, 3, 0), ("alpha-g", "S1.2"): (2, 2, 6),
    ("beta-1", "S1.1"): (5, 5, 0), ("beta-1", "S1.2"): (5, 5, 0),
}  # fmt: skip


def newcombe_by_hand(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """Newcombe's method 10 for p2 - p1, from scipy's Wilson intervals (proportions), as percentage points."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = (x / 100 for x in scipy_wilson(k1, n1))
    l2, u2 = (x / 100 for x in scipy_wilson(k2, n2))
    lower = p2 - p1 - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = p2 - p1 + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return 100 * (p2 - p1), 100 * lower, 100 * upper


def test_trends_pair_consecutive_inspections_of_a_pdu_under_one_framework():
    got = trends(results_frame(VISIT_COUNTS), inspections_frame(VISITS))
    assert got.columns == COMPARISON_TABLES["trends"].column_names
    pairs = got.select("pdu", "framework", "question_id", "previous_inspection_id", "current_inspection_id").rows()
    assert pairs == [
        ("Alpha", F, "S1.1", "alpha-1", "alpha-2"),
        ("Alpha", F, "S1.1", "alpha-2", "alpha-3"),
        ("Alpha", F, "S1.2", "alpha-1", "alpha-2"),
        ("Alpha", F, "S1.2", "alpha-2", "alpha-3"),
    ], "by fieldwork start; Beta (once) and the other framework's inspection are not paired"
    assert got["region"].to_list() == ["Central", "North", "Central", "North"], "region at the later inspection"
    rows = rows_by(got, "question_id", "current_inspection_id")
    # 80% (40/50) to 25% (1/4): down 55 points, and the interval (about -77 to -8) excludes zero.
    first = rows[("S1.1", "alpha-2")]
    assert (first["previous_percentage"], first["current_percentage"], first["difference"]) == (80.0, 25.0, -55.0)
    assert (first["difference"], first["ci_lower"], first["ci_upper"]) == pytest.approx(
        newcombe_by_hand(40, 50, 1, 4), abs=TOLERANCE
    )
    assert first["ci_lower"] == pytest.approx(-77.3, abs=0.1) and first["ci_upper"] == pytest.approx(-8.3, abs=0.1)
    assert first["excludes_zero"] is True
    second = rows[("S1.1", "alpha-3")]
    assert (second["difference"], second["ci_lower"], second["ci_upper"]) == pytest.approx(
        newcombe_by_hand(1, 4, 2, 5), abs=TOLERANCE
    )
    assert second["excludes_zero"] is False
    # No relevant case at alpha-1 for S1.2: no difference, no interval.
    empty = rows[("S1.2", "alpha-2")]
    assert [empty[c] for c in ("previous_percentage", "difference", "ci_lower", "ci_upper", "excludes_zero")] == [
        None
    ] * 5
    assert (empty["previous_relevant_cases"], empty["current_relevant_cases"]) == (0, 10)
    assert rows[("S1.2", "alpha-3")]["difference"] == pytest.approx(30.0, abs=TOLERANCE)


def test_trends_of_pdus_inspected_once_are_empty():
    once = {k: v for k, v in VISITS.items() if k in ("alpha-1", "beta-1", "alpha-g")}
    got = trends(results_frame({k: v for k, v in VISIT_COUNTS.items() if k[0] in once}), inspections_frame(once))
    assert got.is_empty()
    assert got.columns == COMPARISON_TABLES["trends"].column_names


def test_comparison_tables_conform_to_their_specs(national, funnel):
    frames = {
        "national_results": national,
        "regional_results": regional_results(results_frame(KEY_QUESTIONS), None, inspections_frame()),
        "benchmarks": funnel,
        "trends": trends(results_frame(VISIT_COUNTS), inspections_frame(VISITS)),
    }
    assert set(frames) == set(COMPARISON_TABLES)
    for name, frame in frames.items():
        spec = COMPARISON_TABLES[name]
        assert frame.schema == spec.polars_schema, name
        spec.pandera_schema().validate(frame)
