"""What the quality gate expects, table by table: the checks of every table, then those of each table group."""

from __future__ import annotations

import polars as pl

from schemas.quality.check import KEY_COLUMNS, Check
from schemas.quality.derive import QUALITY_TABLES, Facts
from schemas.quality.expect_intervals import intervals, sensitivity
from schemas.quality.expect_ratings import inspections, standard_ratings
from schemas.quality.expect_results import breakdowns, counts, questions_and_prompts, sample_profile
from schemas.tables import TABLES

GRAIN = {
    "standard_ratings": "one row per inspection and standard",
    "key_question_results": "one row per inspection and question",
    "prompt_results": "one row per inspection and prompt",
    "unrated_results": "one row per inspection and unrated measure",
    "breakdowns": "one row per inspection, dimension, category and question",
    "sample_profile": "one row per inspection, dimension and category",
}


def _every_table(inspection_ids: list[str]) -> list[Check]:
    """Published columns present, one row per key, and rows belonging to an inspection of the batch."""
    found = []
    for name in QUALITY_TABLES:
        found += [
            Check(
                name,
                "ExpectColumnValuesToNotBeNull",
                f"{column.name} is present",
                f"{column.name} must be present on every row.",
                {"column": column.name},
            )
            for column in TABLES[name].columns
            if not column.nullable
        ]
        keys = KEY_COLUMNS[name]
        if name == "inspections":
            found.append(
                Check(
                    name,
                    "ExpectColumnValuesToBeUnique",
                    "one row per inspection",
                    "An inspection appears more than once in the inspections table.",
                    {"column": "inspection_id"},
                )
            )
        else:
            found += [
                Check(
                    name,
                    "ExpectCompoundColumnsToBeUnique",
                    GRAIN[name],
                    f"The same {' / '.join(keys)} appears on more than one row.",
                    {"column_list": keys},
                ),
                Check(
                    name,
                    "ExpectColumnValuesToBeInSet",
                    "inspection_id is in the inspections table",
                    "Rows belong to an inspection that has no row in the inspections table.",
                    {"column": "inspection_id", "value_set": inspection_ids},
                ),
            ]
    return found


def checks(tables: dict[str, pl.DataFrame], facts: Facts) -> list[Check]:
    """Every expectation, table by table (value sets from the frameworks given and the batch)."""
    inspection_ids = sorted(set(tables["inspections"]["inspection_id"].drop_nulls().to_list()))
    return [
        *_every_table(inspection_ids),
        *inspections(facts),
        *standard_ratings(facts),
        *counts(facts),
        *questions_and_prompts(facts),
        *breakdowns(facts),
        *sample_profile(facts),
        *intervals(),
        *sensitivity(facts),
    ]
