"""Wilson intervals, Newcombe differences and rating sensitivity, against hand values and scipy."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy.stats import binomtest

from transforms.framework import FRAMEWORKS_DIR, load_framework, parse_framework
from transforms.intervals import Z95, Z998, newcombe_difference, rating_sensitivity, wilson_bounds, with_intervals

TOLERANCE = 1e-9
Z2 = Z95**2


@pytest.fixture(scope="module")
def framework():
    return load_framework("probation-pdu-2023")


def intervals(pairs: list[tuple[int, int]]) -> list[tuple[float | None, float | None]]:
    frame = pl.DataFrame(
        {"yes": [k for k, _ in pairs], "relevant_cases": [n for _, n in pairs]},
        schema=pl.Schema({"yes": pl.Int64, "relevant_cases": pl.Int64}),
    )
    return list(with_intervals(frame).select("ci_lower", "ci_upper").iter_rows())


def scipy_wilson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return 100 * float(ci.low), 100 * float(ci.high)


def test_the_z_values_are_the_normal_centiles():
    from scipy.stats import norm

    assert Z95 == pytest.approx(norm.ppf(0.975), abs=1e-15)
    assert Z998 == pytest.approx(norm.ppf(0.999), abs=1e-15)


def test_hand_computed_intervals():
    (none, zero, one, some, single) = intervals([(0, 0), (0, 10), (10, 10), (17, 45), (1, 1)])
    assert none == (None, None), "no relevant case: no interval"
    # p = 0: the lower end is 0 and the upper end is z^2 / (n + z^2); p = 1 mirrors it.
    assert zero[0] == 0.0
    assert zero[1] == pytest.approx(100 * Z2 / (10 + Z2), abs=TOLERANCE)
    assert zero[1] == pytest.approx(27.753279986288926, abs=TOLERANCE)
    assert one[0] == pytest.approx(100 * 10 / (10 + Z2), abs=TOLERANCE)
    assert one[0] == pytest.approx(72.24672001371107, abs=TOLERANCE)
    assert one[1] == pytest.approx(100.0, abs=TOLERANCE) and one[1] <= 100.0
    # 17 of 45 (P2.1.3 of the Dyfed Powys report, 38%), from the formula by hand.
    p, n = 17 / 45, 45
    centre = (p + Z2 / (2 * n)) / (1 + Z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z2 / (4 * n * n)) / (1 + Z2 / n)
    assert some == pytest.approx((100 * (centre - half), 100 * (centre + half)), abs=TOLERANCE)
    assert some == pytest.approx((25.108084672137913, 52.370065519110476), abs=TOLERANCE)
    assert single == pytest.approx((100 * 1 / (1 + Z2), 100.0), abs=TOLERANCE)


def test_bounds_stay_within_0_and_100_and_around_the_percentage():
    pairs = [(k, n) for n in range(1, 41) for k in range(n + 1)]
    for (k, n), (lower, upper) in zip(pairs, intervals(pairs), strict=True):
        assert 0.0 <= lower <= 100 * k / n <= upper <= 100.0


def test_wilson_agrees_with_scipy():
    pairs = [(k, n) for n in (*range(1, 61), 97, 250, 1000, 4321) for k in sorted({0, 1, n // 3, n // 2, n - 1, n})]
    pairs += [(k, 45) for k in range(46)]
    for (k, n), got in zip(pairs, intervals(pairs), strict=True):
        assert got == pytest.approx(scipy_wilson(k, n), abs=TOLERANCE), (k, n)


def test_wilson_bounds_take_another_z():
    frame = pl.DataFrame({"yes": [30], "n": [60]})
    lower, upper = wilson_bounds(pl.col("yes"), pl.col("n"), Z998)
    got = frame.select(lower, upper).row(0)
    ci = binomtest(30, 60).proportion_ci(confidence_level=0.998, method="wilson")
    assert got == pytest.approx((100 * ci.low, 100 * ci.high), abs=TOLERANCE)


def newcombe_by_hand(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """Newcombe (1998) method 10 for p2 - p1, written out independently from scipy's Wilson intervals."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = (b / 100 for b in scipy_wilson(k1, n1))
    l2, u2 = (b / 100 for b in scipy_wilson(k2, n2))
    d = p2 - p1
    delta = math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    epsilon = math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return 100 * d, 100 * (d - delta), 100 * (d + epsilon)


def test_newcombe_agrees_with_its_formula():
    cases = [(17, 45, 30, 44), (56, 70, 48, 80), (0, 10, 10, 10), (5, 5, 0, 7), (3, 9, 3, 9), (40, 52, 9, 28)]
    frame = with_intervals(pl.DataFrame({"yes": [c[0] for c in cases], "relevant_cases": [c[1] for c in cases]}))
    frame = frame.rename({"yes": "yes1", "relevant_cases": "n1", "ci_lower": "l1", "ci_upper": "u1"})
    second = with_intervals(pl.DataFrame({"yes": [c[2] for c in cases], "relevant_cases": [c[3] for c in cases]}))
    frame = pl.concat([frame, second], how="horizontal").with_columns(
        p1=100 * pl.col("yes1") / pl.col("n1"), p2=100 * pl.col("yes") / pl.col("relevant_cases")
    )
    d, lower, upper = newcombe_difference(
        (pl.col("p1"), pl.col("l1"), pl.col("u1")), (pl.col("p2"), pl.col("ci_lower"), pl.col("ci_upper"))
    )
    got = frame.select(d, lower.alias("lower"), upper.alias("upper")).rows()
    for case, row in zip(cases, got, strict=True):
        assert row == pytest.approx(newcombe_by_hand(*case), abs=TOLERANCE), case
    # Known value, Newcombe (1998) table II, example (a): 56/70 against 48/80, difference 0.2, 95% 0.0524 to 0.3339.
    assert got[1] == pytest.approx((-20.0, -33.39, -5.24), abs=0.01)


# --- Rating sensitivity ---------------------------------------------------------------------------------------


def ratings_frame(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame({"inspection_id": "x", "standard_id": [s for s, _ in rows], "rating": [r for _, r in rows]})


def kq_frame(rows: list[tuple[str, float | None, float | None]]) -> pl.DataFrame:
    """Key-question rows with given interval ends (the function reads only the ends)."""
    return pl.DataFrame(
        {
            "inspection_id": "x",
            "standard_id": [q.rsplit(".", 1)[0] for q, _, _ in rows],
            "question_id": [q for q, _, _ in rows],
            "ci_lower": [lo for _, lo, _ in rows],
            "ci_upper": [hi for _, _, hi in rows],
        },
        schema_overrides={"ci_lower": pl.Float64, "ci_upper": pl.Float64},
    )


def test_sensitivity_by_hand(framework):
    ratings = ratings_frame(
        [("P1.1", "Good"), ("P2.1", "Inadequate"), ("P2.2", "Good"), ("P2.3", "Outstanding"), ("P2.4", "Good")]
    )
    kq = kq_frame(
        [
            # P2.1: lowest lower 25.1 (Inadequate), lowest upper 52.4 (Requires improvement): sensitive.
            ("P2.1.1", 60.0, 90.0),
            ("P2.1.2", 55.0, 85.0),
            ("P2.1.3", 25.1, 52.4),
            # P2.2: every end in Good; the key question with no relevant case is left out.
            ("P2.2.1", 66.0, 78.0),
            ("P2.2.2", None, None),
            ("P2.2.3", 70.0, 79.4),
            # P2.3: lower end 79.5 rounds half up to 80 (Outstanding); upper 100.
            ("P2.3.1", 79.5, 100.0),
            # P2.4: lower 64.49 rounds to 64 (Requires improvement); the lowest upper 80.2 is Outstanding.
            ("P2.4.1", 64.49, 80.2),
            ("P2.4.2", 70.0, 95.0),
        ]  # fmt: skip
    )
    got = {r["standard_id"]: r for r in rating_sensitivity(ratings, kq, framework).iter_rows(named=True)}
    assert (got["P1.1"]["plausible_lowest_rating"], got["P1.1"]["plausible_highest_rating"]) == (None, None)
    assert got["P1.1"]["rating_sensitive"] is None, "judged by inspectors: no sensitivity"
    assert (got["P2.1"]["plausible_lowest_rating"], got["P2.1"]["plausible_highest_rating"]) == (
        "Inadequate", "Requires improvement",
    )  # fmt: skip
    assert got["P2.1"]["rating_sensitive"] is True
    assert (got["P2.2"]["plausible_lowest_rating"], got["P2.2"]["plausible_highest_rating"]) == ("Good", "Good")
    assert got["P2.2"]["rating_sensitive"] is False
    assert (got["P2.3"]["plausible_lowest_rating"], got["P2.3"]["plausible_highest_rating"]) == (
        "Outstanding", "Outstanding",
    )  # fmt: skip
    assert got["P2.3"]["rating_sensitive"] is False
    assert (got["P2.4"]["plausible_lowest_rating"], got["P2.4"]["plausible_highest_rating"]) == (
        "Requires improvement", "Outstanding",
    )  # fmt: skip
    assert got["P2.4"]["rating_sensitive"] is True


def test_sensitivity_keeps_the_ratings_and_types(framework):
    ratings = ratings_frame([("P2.1", "Good"), ("P1.2", "Inadequate")]).with_columns(points=pl.lit(2))
    out = rating_sensitivity(ratings, kq_frame([("P2.1.1", 70.0, 75.0)]), framework)
    assert out.columns == [*ratings.columns, "plausible_lowest_rating", "plausible_highest_rating", "rating_sensitive"]
    assert out.select(pl.exclude(ratings.columns)).schema == pl.Schema(
        {"plausible_lowest_rating": pl.String, "plausible_highest_rating": pl.String, "rating_sensitive": pl.Boolean}
    )
    assert out["standard_id"].to_list() == ["P2.1", "P1.2"]


def test_sensitivity_bands_as_the_framework_bands(framework):
    text = (FRAMEWORKS_DIR / "probation-pdu-2023.toml").read_text(encoding="utf-8")
    unrounded = parse_framework(text.replace('basis = "published"', 'basis = "unrounded"'))
    assert unrounded.banding_basis == "unrounded"
    ratings = ratings_frame([("P2.1", "Good")])
    kq = kq_frame([("P2.1.1", 64.5, 79.5)])
    published = rating_sensitivity(ratings, kq, framework).row(0, named=True)
    assert (published["plausible_lowest_rating"], published["plausible_highest_rating"]) == ("Good", "Outstanding")
    exact = rating_sensitivity(ratings, kq, unrounded).row(0, named=True)
    assert (exact["plausible_lowest_rating"], exact["plausible_highest_rating"]) == ("Requires improvement", "Good")


def test_sensitivity_of_the_sample_inspection(framework):
    from tests.sample_tables import sample_tables

    tables, _ = sample_tables("dyfed-powys-2025")
    kq = with_intervals(tables["key_question_results"])
    out = {
        r["standard_id"]: r for r in rating_sensitivity(tables["standard_ratings"], kq, framework).iter_rows(named=True)
    }
    # P2.1 is Inadequate from 17/45 = 38%: its interval 25.1-52.4 reaches Requires improvement.
    assert out["P2.1"]["rating"] == "Inadequate"
    assert (out["P2.1"]["plausible_lowest_rating"], out["P2.1"]["plausible_highest_rating"]) == (
        "Inadequate", "Requires improvement",
    )  # fmt: skip
    for standard_id in framework.judged_standard_ids:
        assert out[standard_id]["rating_sensitive"] is None
