"""Unrated measures published and applicability enforced, through the stages run without Prefect."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from flows.config import PROJECT
from flows.store.warehouse import read_table
from tests.flows.factcheck.conftest import build_warehouse

DYFED = "dyfed-powys-2025"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The Dyfed Powys sample, and a copy whose adjusted Probation Reset case answers a reviewing question."""
    root = tmp_path_factory.mktemp("applicability")
    landing = root / "landing"
    shutil.copytree(PROJECT / "data" / "landing" / DYFED, landing / DYFED)
    broken = landing / "dyfed-powys-2025-broken"
    broken.mkdir()
    manifest = (landing / DYFED / "inspection.toml").read_text(encoding="utf-8")
    (broken / "inspection.toml").write_text(manifest.replace(DYFED, broken.name), encoding="utf-8")
    cases = pl.read_csv(landing / DYFED / "cases.csv", infer_schema=False)
    row = cases.with_row_index().filter(pl.col("probation_reset") == "adjusted")["index"][0]
    cases.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit("Yes")).otherwise(pl.col("P2.4.2")).alias("P2.4.2")
    ).write_csv(broken / "cases.csv")
    outcomes = build_warehouse(landing, root / "warehouse", [DYFED, broken.name])
    return {"outcomes": {o["inspection_id"]: o for o in outcomes}, "warehouse": str(root / "warehouse"), "row": row}


def test_unrated_measures_are_published(run):
    assert run["outcomes"][DYFED]["outcome"] == "published"
    unrated = read_table(run["warehouse"], "unrated_results").filter(pl.col("inspection_id") == DYFED)
    assert unrated.select("measure_id", "yes", "relevant_cases").rows() == [("U1", 21, 45), ("U2", 2, 6)]


def test_a_yes_where_the_question_does_not_apply_is_quarantined(run):
    broken = "dyfed-powys-2025-broken"
    assert run["outcomes"][broken]["outcome"] == "rejected"
    quarantine = read_table(run["warehouse"], "quarantine").filter(pl.col("inspection_id") == broken)
    [problem] = quarantine.filter(pl.col("check") == "applies_to_case").to_dicts()
    assert (problem["row"], problem["column"], problem["value"]) == (run["row"] + 2, "P2.4.2", "Yes")
    assert "probation_reset adjusted" in problem["message"] and "record N/A" in problem["message"]
