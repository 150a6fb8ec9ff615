"""Pandera schema for one inspection's cases file, built from its framework."""

from __future__ import annotations

import re

import pandera.polars as pa
import polars as pl

from transforms.framework import Framework

# Key questions and prompts (P2.1.3, P2.1.3.a) and unrated measures (U1): such a column not in the framework is refused.
QUESTION_COLUMN = re.compile(r"^(P\d+\.\d+\.\d+(\.[a-z])?|U\d+)$")


def cases_schema(framework: Framework) -> pa.DataFrameSchema:
    """Types, allowed values, unique case ids and no blanks, for every column in extract contract v1."""
    answers = list(framework.answers)
    columns = {"case_id": pa.Column(pl.String, nullable=False, unique=True)}
    for name, allowed in framework.case_characteristics.items():
        columns[name] = pa.Column(pl.String, pa.Check.isin(allowed), nullable=False)
    for question_id in framework.question_ids:
        columns[question_id] = pa.Column(pl.String, pa.Check.isin(answers), nullable=False)
    for prompt_id in framework.prompt_ids:
        columns[prompt_id] = pa.Column(pl.String, pa.Check.isin(answers), nullable=False, required=False)
    for measure_id in framework.unrated_ids:
        columns[measure_id] = pa.Column(pl.String, pa.Check.isin(answers), nullable=False, required=False)
    return pa.DataFrameSchema(columns, strict=False, name=f"cases ({framework.id})")


def unknown_question_columns(columns: list[str], framework: Framework) -> list[str]:
    """Columns that look like question, prompt or unrated-measure ids but are not in the framework."""
    known = set(framework.question_ids) | set(framework.prompt_ids) | set(framework.unrated_ids)
    return [c for c in columns if QUESTION_COLUMN.match(c) and c not in known]
