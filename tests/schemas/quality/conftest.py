"""Fixtures and helpers shared by the quality-gate tests: the bundled samples' tables, and ways to corrupt them."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.sample_tables import sample_tables

SAMPLES = ["dyfed-powys-2025", "north-shire-2025", "east-vale-2024", "south-moor-2025", "band-edges-2025"]
CLEAN = "dyfed-powys-2025"
BROKEN = "north-shire-2025"

HALF_UP = "expect_column_pair_values_to_be_equal: published_percentage is half-up rounding of percentage"
SCORE = "expect_column_pair_values_to_be_equal: score is the sum of points"


@pytest.fixture(scope="package")
def samples():
    """Each bundled sample's tables, and the framework (all samples share one)."""
    built = {name: sample_tables(name) for name in SAMPLES}
    framework = built[CLEAN][1]
    assert all(fw.id == framework.id for _, fw in built.values())
    return {name: tables for name, (tables, _) in built.items()}, framework


def combine(samples: dict, names: list[str]) -> dict[str, pl.DataFrame]:
    """The tables of several inspections, stacked."""
    return {table: pl.concat([samples[n][table] for n in names]) for table in samples[names[0]]}


@pytest.fixture(scope="package")
def pair(samples):
    """Two inspections checked together; tests corrupt only BROKEN."""
    tables, framework = samples
    return combine(tables, [CLEAN, BROKEN]), framework


def change(tables: dict, table: str, where: dict, **values) -> dict:
    """A copy of the tables with `values` set on the rows of `table` matching `where`."""
    frame = tables[table]
    match = pl.all_horizontal([pl.col(k) == v for k, v in where.items()])
    assert frame.filter(match).height == 1, where
    changed = frame.with_columns(
        [pl.when(match).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )
    return {**tables, table: changed}


def value(tables: dict, table: str, where: dict, column: str):
    """One cell of a table."""
    match = pl.all_horizontal([pl.col(k) == v for k, v in where.items()])
    return tables[table].filter(match)[column].item()


def failed(found: pl.DataFrame) -> set[tuple[str, str, str]]:
    """(inspection_id, table, expectation) of every failure."""
    return set(found.select("inspection_id", "table", "expectation").iter_rows())


def offending(found: pl.DataFrame, expectation: str) -> list[dict]:
    """The offending rows listed for one failed expectation."""
    return json.loads(found.filter(pl.col("expectation") == expectation)["offending_rows"].item())
