"""How the gate runs: samples pass, one bad inspection of many is named, Data Docs are written, GX loads late."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from schemas.quality import FAILURE_SCHEMA, QUALITY_TABLES, quality_failures
from tests.schemas.quality.conftest import (
    BROKEN,
    CLEAN,
    HALF_UP,
    SAMPLES,
    SCORE,
    change,
    combine,
    failed,
    offending,
    value,
)


def test_all_five_samples_pass_together(samples):
    tables, framework = samples
    found = quality_failures(combine(tables, SAMPLES), {framework.id: framework})
    assert found.schema == FAILURE_SCHEMA
    assert found.height == 0, found.to_dicts()


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_passes_alone(samples, name):
    tables, framework = samples
    found = quality_failures(tables[name], {framework.id: framework})
    assert found.to_dicts() == []


def test_only_the_corrupted_inspection_among_many_is_reported(samples):
    """200 inspections checked in one call; one corrupted deep in the batch is the only one reported."""
    tables, framework = samples
    base = combine(tables, SAMPLES)
    batch = {
        name: pl.concat(
            [frame.with_columns(inspection_id=pl.col("inspection_id") + f"-{copy:02d}") for copy in range(40)]
        )
        for name, frame in base.items()
    }
    assert batch["inspections"].height == 200
    target = "south-moor-2025-27"
    cell = (
        batch["breakdowns"]
        .filter((pl.col("inspection_id") == target) & (pl.col("dimension") == "rosh") & ~pl.col("suppressed"))
        .row(-1, named=True)
    )
    where = {k: cell[k] for k in ("inspection_id", "dimension", "category", "question_id")}
    published = value(batch, "breakdowns", where, "published_percentage")
    found = quality_failures(
        change(batch, "breakdowns", where, published_percentage=published - 1), {framework.id: framework}
    )
    assert failed(found) == {(target, "breakdowns", HALF_UP)}
    [row] = offending(found, HALF_UP)
    assert {k: row[k] for k in where} == where
    assert (row["published_percentage"], row["expected_published_percentage"]) == (published - 1, published)


def test_missing_table_is_refused(samples):
    tables, framework = samples
    partial = {k: v for k, v in tables[CLEAN].items() if k != "breakdowns"}
    with pytest.raises(ValueError, match="table breakdowns is missing"):
        quality_failures(partial, {framework.id: framework})


def test_data_docs_written_with_offline_summary(pair, tmp_path: Path):
    tables, framework = pair
    where = {"inspection_id": BROKEN}
    points = tables["standard_ratings"].filter(pl.col("inspection_id") == BROKEN)["points"].sum()
    docs = tmp_path / "quality-docs"
    found = quality_failures(
        change(tables, "inspections", where, score=points + 1), {framework.id: framework}, docs_dir=str(docs)
    )
    assert failed(found) == {(BROKEN, "inspections", SCORE)}
    index = docs / "index.html"
    assert index.is_file()
    text = index.read_text(encoding="utf-8")
    assert "Annexe quality checks" in text and "1 failure(s) in 1 inspection(s)" in text
    links = re.findall(r'href="((?:validations|expectations)/[^"]+)"', text)
    tables_linked = {link.split("/")[2] for link in links if link.startswith("validations/")}
    assert tables_linked == set(QUALITY_TABLES)
    assert all((docs / link).is_file() for link in links)
    page = next(docs.glob("validations/annexe_quality/inspections/**/*.html")).read_text(encoding="utf-8")
    assert "The score should be the sum of the points" in page and "expected_score" in page


def test_importing_the_package_does_not_load_great_expectations():
    """GX takes seconds and most of the gate's memory to import: only running the gate may load it."""
    code = "import sys, schemas.quality, schemas.quality.derive; print('great_expectations' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
