"""Issue 12 through the stages (no Prefect): intervals, pooled figures, sensitivity and funnel zones against their
definitions on generated inspections over three financial years, and a change to one inspection rewriting only
its own files and its period's."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from flows.config import DEFAULT_FRAMEWORKS, settings
from flows.stages.periods import refresh, touches
from flows.store import manifest
from flows.store.verify import verify
from flows.store.warehouse import Warehouse, read_table
from flows.synth import synthetic_data, write_landing
from tests.conftest import PROJECT, tree_hashes
from tests.stages import run_stages

Z95, Z998 = 1.959963984540054, 3.090232306167813
# id: (pdu, region, fieldwork start); 2023-24 has one inspection; PDU One and PDU Two are inspected twice.
LAYOUT = {
    "echo-2023": ("PDU Two", "Wales", dt.date(2023, 10, 2)),
    "alpha-2024": ("PDU One", "North East", dt.date(2024, 6, 3)),
    "bravo-2024": ("PDU Two", "Wales", dt.date(2024, 9, 2)),
    "charlie-2025": ("PDU Three", "London", dt.date(2025, 1, 6)),
    "delta-2025": ("PDU One", "North East", dt.date(2025, 6, 2)),
    "foxtrot-2025": ("PDU Four", "Wales", dt.date(2025, 7, 7)),
}
PERIODS = {"echo-2023": "2023-24", "alpha-2024": "2024-25", "bravo-2024": "2024-25", "charlie-2025": "2024-25",
           "delta-2025": "2025-26", "foxtrot-2025": "2025-26"}  # fmt: skip
EMPTY_QUESTION = ("echo-2023", "P2.2.1")  # answered N/A in every case: no relevant case


def _write(landing: Path, seed: int = 3) -> None:
    data = synthetic_data(len(LAYOUT), 30, seed=seed)
    rename = dict(zip(data.inspection_ids, LAYOUT, strict=True))
    manifests = data.manifests.with_columns(
        inspection_id=pl.Series(list(LAYOUT)),
        pdu=pl.Series([v[0] for v in LAYOUT.values()]),
        region=pl.Series([v[1] for v in LAYOUT.values()]),
        fieldwork_start=pl.Series([v[2] for v in LAYOUT.values()]),
    )
    cases = data.cases.with_columns(pl.col("inspection_id").replace_strict(rename))
    inspection, question = EMPTY_QUESTION
    cases = cases.with_columns(
        pl.when(pl.col("inspection_id") == inspection).then(pl.lit("N/A")).otherwise(pl.col(question)).alias(question)
    )
    ratings = data.organisational_ratings.with_columns(pl.col("inspection_id").replace_strict(rename))
    write_landing(type(data)(cases, manifests, ratings, data.framework), landing)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """Six inspections over three financial years, published by one batch; read only (tests copy it)."""
    root = tmp_path_factory.mktemp("periods")
    _write(root / "landing")
    outcomes = run_stages(root / "landing", root / "warehouse", list(LAYOUT), "run-1")
    assert {o["outcome"] for o in outcomes} == {"published"}, outcomes
    return root


def _copy(published: Path, tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(published, tmp_path / "copy")
    return tmp_path / "copy" / "landing", tmp_path / "copy" / "warehouse"


def _wilson(yes: int, n: int) -> tuple[float, float]:
    p = yes / n
    centre, half = p + Z95**2 / (2 * n), Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return 100 * (centre - half) / (1 + Z95**2 / n), 100 * (centre + half) / (1 + Z95**2 / n)


def test_every_percentage_carries_its_wilson_interval(published):
    warehouse = str(published / "warehouse")
    for table in ("key_question_results", "prompt_results"):
        for row in read_table(warehouse, table).iter_rows(named=True):
            if row["relevant_cases"] == 0:
                assert row["ci_lower"] is None and row["ci_upper"] is None
            else:
                lower, upper = _wilson(row["yes"], row["relevant_cases"])
                assert row["ci_lower"] == pytest.approx(max(lower, 0), abs=1e-9)
                assert row["ci_upper"] == pytest.approx(min(upper, 100), abs=1e-9)
    inspection, question = EMPTY_QUESTION
    kq = read_table(warehouse, "key_question_results")
    assert kq.filter((pl.col("inspection_id") == inspection) & (pl.col("question_id") == question))[
        "relevant_cases"
    ].to_list() == [0]


def test_pooled_figures_are_sums_over_the_periods_published_inspections(published):
    warehouse = str(published / "warehouse")
    kq = read_table(warehouse, "key_question_results").with_columns(
        period=pl.col("inspection_id").replace_strict(PERIODS),
        region=pl.col("inspection_id").replace_strict({k: v[1] for k, v in LAYOUT.items()}),
    )
    for table, by in (("national_results", ["period"]), ("regional_results", ["period", "region"])):
        pooled = read_table(warehouse, table).filter(pl.col("measure") == "key_question")
        expected = kq.group_by([*by, "question_id"]).agg(
            pl.len().alias("inspections"), pl.col("yes").sum(), pl.col("no").sum(), pl.col("not_applicable").sum()
        )
        got = pooled.select(*by, "question_id", "inspections", "yes", "no", "not_applicable")
        assert got.sort([*by, "question_id"]).rows() == expected.select(got.columns).sort([*by, "question_id"]).rows()
        for row in pooled.iter_rows(named=True):
            n = row["yes"] + row["no"]
            assert row["relevant_cases"] == n
            if n == 0:
                assert row["percentage"] is None and row["ci_lower"] is None
            else:
                assert row["percentage"] == pytest.approx(100 * row["yes"] / n)
                assert row["ci_lower"] == pytest.approx(max(_wilson(row["yes"], n)[0], 0), abs=1e-9)
    national = read_table(warehouse, "national_results")
    assert sorted(set(national["period"])) == ["2023-24", "2024-25", "2025-26"]
    alone = national.filter((pl.col("period") == "2023-24") & (pl.col("question_id") == EMPTY_QUESTION[1]))
    assert alone.filter(pl.col("measure") == "key_question")["percentage"].to_list() == [None]


def _zone(percentage: float, p0: float, n: int) -> str:
    limits = {}
    for name, sign, z in (("l998", -1, Z998), ("l95", -1, Z95), ("u95", 1, Z95), ("u998", 1, Z998)):
        limits[name] = min(max(100 * (p0 + sign * z * math.sqrt(p0 * (1 - p0) / n)), 0), 100)
    if percentage > limits["u998"]:
        return "above_99_8"
    if percentage > limits["u95"]:
        return "above_95"
    if percentage < limits["l998"]:
        return "below_99_8"
    return "below_95" if percentage < limits["l95"] else "within"


def test_funnel_zones_follow_the_limits_around_the_national_figure(published):
    warehouse = str(published / "warehouse")
    national = read_table(warehouse, "national_results").filter(pl.col("measure") == "key_question")
    p0 = {(r["period"], r["question_id"]): r["percentage"] for r in national.iter_rows(named=True)}
    marks = read_table(warehouse, "benchmarks")
    assert marks.height == read_table(warehouse, "key_question_results").height
    for row in marks.iter_rows(named=True):
        assert row["period"] == PERIODS[row["inspection_id"]]
        if row["relevant_cases"] == 0 or p0[(row["period"], row["question_id"])] is None:
            assert row["funnel_zone"] is None
            continue
        centre = p0[(row["period"], row["question_id"])] / 100
        assert row["funnel_zone"] == _zone(row["percentage"], centre, row["relevant_cases"]), row
    # An inspection alone in its year is the national figure, so within its own funnel.
    assert set(marks.filter(pl.col("period") == "2023-24")["funnel_zone"].drop_nulls()) == {"within"}


def _band(value: float, bands: list[dict]) -> str:
    whole = math.floor(value + 0.5)
    return next(b["rating"] for b in bands if b["min"] <= whole <= b["max"])


def test_plausible_ratings_band_the_interval_ends(published):
    from transforms.framework import load_framework

    warehouse = str(published / "warehouse")
    framework = load_framework("probation-pdu-2023")
    assert framework.banding_basis == "published"
    bands = framework.rating_bands.to_dicts()
    kq = read_table(warehouse, "key_question_results").filter(pl.col("relevant_cases") > 0)
    sensitive = 0
    for row in read_table(warehouse, "standard_ratings").iter_rows(named=True):
        own = kq.filter(
            (pl.col("inspection_id") == row["inspection_id"]) & (pl.col("standard_id") == row["standard_id"])
        )
        if own.is_empty():
            assert row["plausible_lowest_rating"] is None and row["rating_sensitive"] is None
            continue
        low, high = _band(own["ci_lower"].min(), bands), _band(own["ci_upper"].min(), bands)
        assert (row["plausible_lowest_rating"], row["plausible_highest_rating"]) == (low, high)
        assert row["rating_sensitive"] == (low != row["rating"] or high != row["rating"])
        sensitive += row["rating_sensitive"]
    assert sensitive  # samples of 30 cases leave some ratings open


def test_trends_pair_consecutive_inspections_in_the_later_ones_period(published):
    trends = read_table(str(published / "warehouse"), "trends")
    pairs = set(trends.select("previous_inspection_id", "current_inspection_id", "period").unique().rows())
    assert pairs == {("echo-2023", "bravo-2024", "2024-25"), ("alpha-2024", "delta-2025", "2025-26")}


def test_the_annexe_and_index_show_intervals_sensitivity_and_the_national_figure(published):
    files = published / "warehouse" / "annexe" / "files"
    state = json.loads((published / "warehouse" / "datapackage.json").read_text())["inspections"]["charlie-2025"]
    assert state["period"] == "2024-25" and state["national"]["inspections"] == 3
    page = (files / "charlie-2025" / "data-annexe.html").read_text()
    assert "National figure for 2024-25 when published" in page and "../national/2024-25/overview.html" in page
    assert 'class="whisker"' in page and "data-ci-lower" in page
    assert "given the sample size" in page
    index = (files / "index.html").read_text()
    for period in ("2023-24", "2024-25", "2025-26"):
        assert f"national/{period}/overview.html" in index
        assert (files / "national" / period / "overview.html").exists()
        assert (files / "national" / period / "overview.xlsx").exists()


def _flip(landing: Path, inspection_id: str, question: str = "P2.1.1") -> None:
    """Change some answers of one inspection's extract."""
    path = landing / inspection_id / "cases.csv"
    cases = pl.read_csv(path, infer_schema=False)
    flipped = pl.when(pl.col(question) == "Yes").then(pl.lit("No")).otherwise(pl.col(question))
    cases = cases.with_columns(
        pl.when(pl.int_range(pl.len()) < 8).then(flipped).otherwise(pl.col(question)).alias(question)
    )
    cases.write_csv(path)


def _changed(before: dict, after: dict) -> set[str]:
    return {p for p in set(before) | set(after) if before.get(p) != after.get(p)}


def _outside(paths: set[str], inspection_id: str, period: str) -> set[str]:
    """Paths that are neither the inspection's, its period's, nor the files every run rewrites."""
    shared = ("datapackage.json", "manifest/package.json", "annexe/files/index.html")
    return {
        p
        for p in paths
        if f"inspection_id={inspection_id}/" not in p
        and not p.startswith(f"annexe/files/{inspection_id}/")
        and p != f"manifest/inspections/{inspection_id}.json"
        and f"period={period}/" not in p
        and not p.startswith(f"annexe/files/national/{period}/")
        and not p.startswith(("ledger/", "quality-docs/", "_locks/", "_staging/"))  # every run's own
        and p not in shared
    }


def test_changing_one_inspection_rewrites_only_its_files_and_its_periods(published, tmp_path):
    landing, warehouse = _copy(published, tmp_path)
    before = tree_hashes(warehouse)
    times = {p: (warehouse / p).stat().st_mtime_ns for p in before}
    _flip(landing, "charlie-2025")
    assert {o["outcome"] for o in run_stages(landing, warehouse, ["charlie-2025"], "run-2")} == {"published"}
    after = tree_hashes(warehouse)
    changed = _changed(before, after)
    assert not _outside(changed, "charlie-2025", "2024-25"), _outside(changed, "charlie-2025", "2024-25")
    assert any("national_results/period=2024-25/" in p for p in changed)
    assert any(p.startswith("annexe/files/national/2024-25/") for p in changed)
    untouched = [p for p in before if p in after and ("2023-24" in p or "2025-26" in p)]
    assert untouched and all((warehouse / p).stat().st_mtime_ns == times[p] for p in untouched)
    # The other inspections' annexes keep the national figure they were published with.
    for other in ("alpha-2024", "bravo-2024"):
        assert f"annexe/files/{other}/data-annexe.html" not in changed
    assert verify(str(warehouse)) == []


def test_a_changed_inspection_updates_the_trend_of_its_pdus_next_inspection_only(published, tmp_path):
    landing, warehouse = _copy(published, tmp_path)
    before = tree_hashes(warehouse)
    _flip(landing, "alpha-2024")
    run_stages(landing, warehouse, ["alpha-2024"], "run-2")
    outside = _outside(_changed(before, tree_hashes(warehouse)), "alpha-2024", "2024-25")
    # delta-2025 (2025-26) is compared with alpha-2024: its trend rows, and nothing else of 2025-26, change.
    assert outside and all(p.startswith("annexe/trends/period=2025-26/") for p in outside), outside


def test_an_unchanged_rerun_and_a_rejected_extract_leave_every_period_alone(published, tmp_path):
    landing, warehouse = _copy(published, tmp_path)
    before = tree_hashes(warehouse)
    run_stages(landing, warehouse, list(LAYOUT), "run-2")  # forced: the same inputs again
    forced = _changed(before, tree_hashes(warehouse))
    # Tables, annexes, period tables and overviews come out byte for byte the same (so are not rewritten).
    assert not {p for p in forced if p.startswith("annexe/") and p != "annexe/files/index.html"}, forced
    path = landing / "bravo-2024" / "cases.csv"
    path.write_text(path.read_text().replace("Yes", "Perhaps", 1))
    before = tree_hashes(warehouse)
    [outcome] = run_stages(landing, warehouse, ["bravo-2024"], "run-3")
    assert outcome["outcome"] == "rejected"
    changed = _changed(before, tree_hashes(warehouse))
    assert not {p for p in changed if "period=" in p or "/national/" in p}, changed
    assert (
        read_table(str(warehouse), "national_results").filter(pl.col("period") == "2024-25")["inspections"].max() == 3
    )


def test_a_crash_after_the_period_swap_is_finished_by_the_next_run(published, tmp_path):
    landing, warehouse = _copy(published, tmp_path)
    _flip(landing, "charlie-2025")
    script = (
        "import sys; from pathlib import Path; from tests.stages import run_stages; "
        "run_stages(Path(sys.argv[1]), Path(sys.argv[2]), ['charlie-2025'], 'run-crash')"
    )
    env = {**os.environ, "ANNEXE_FAULT": "after_period_swap"}
    crashed = subprocess.run([sys.executable, "-c", script, str(landing), str(warehouse)], cwd=PROJECT, env=env)
    assert crashed.returncode == 86
    state = json.loads((warehouse / "datapackage.json").read_text())
    assert any(e.get("period") == "2024-25" and "/.pending/" in e["path"] for e in state["resources"])
    stray = warehouse / "annexe" / "benchmarks" / "period=2025-26" / "part-0000000000000000.parquet"
    stray.write_bytes(b"left by a run killed before its swap")
    healed = manifest.heal(Warehouse(str(warehouse)), list(LAYOUT), touches(Warehouse(str(warehouse))))
    assert healed["periods_finished"] == ["2024-25", "2025-26"]
    assert not stray.exists()
    assert [f for f in verify(str(warehouse)) if f["kind"] != "staging" and f["kind"] != "lock"] == []


def test_periods_a_dead_run_left_out_of_date_are_restaged_by_the_next_run(published, tmp_path):
    from flows.stages.plan import assess

    landing, warehouse = _copy(published, tmp_path)
    national_before = read_table(str(warehouse), "national_results")
    _flip(landing, "charlie-2025")
    run_stages(landing, warehouse, ["charlie-2025"], "run-dies", periods=False)
    store = Warehouse(str(warehouse))
    assert manifest.read(store)["inspections"]["charlie-2025"].get("pending")  # committed, not yet consolidated
    assessed = assess(str(landing), str(warehouse), DEFAULT_FRAMEWORKS)
    assert assessed["process"] == [] and any("charlie-2025" in r for r in assessed["repairs"]), assessed["repairs"]
    manifest.consolidate(store, touches(store))  # and the run died before restaging the period
    state = json.loads((warehouse / "datapackage.json").read_text())
    assert state["periods_pending"] == ["2024-25"]
    assert read_table(str(warehouse), "national_results").equals(national_before)
    assessed = assess(str(landing), str(warehouse), DEFAULT_FRAMEWORKS)
    assert assessed["process"] == [] and any("2024-25" in r for r in assessed["repairs"]), assessed["repairs"]
    config = settings(landing=str(landing), warehouse=str(warehouse))
    assert refresh(str(warehouse), "run-next", DEFAULT_FRAMEWORKS, config.publication) == ["2024-25"]
    assert "periods_pending" not in json.loads((warehouse / "datapackage.json").read_text())
    after = read_table(str(warehouse), "national_results")
    changed = after.filter(pl.col("period") == "2024-25").drop("fingerprint", strict=False)
    assert not changed.equals(national_before.filter(pl.col("period") == "2024-25").drop("fingerprint", strict=False))
    assert after.filter(pl.col("period") != "2024-25").equals(national_before.filter(pl.col("period") != "2024-25"))
    assert refresh(str(warehouse), "run-again", DEFAULT_FRAMEWORKS, config.publication) == []
