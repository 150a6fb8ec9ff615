"""Unrated measures and applicability: which questions, prompts and measures apply to which cases."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from transforms.framework import Framework

UNRATED_ID = re.compile(r"^U\d+$")
ANSWERED = ("Yes", "No")


def parse_unrated(raw: dict) -> tuple[list[dict], list[str]]:
    """Rows of the unrated measures table of a framework file, and the problems found in them."""
    rows, problems = [], []
    for n, item in enumerate(raw.get("unrated_measures") or []):
        if not isinstance(item, dict):
            continue  # reported by the unknown-key check
        mid = item.get("id", "")
        if not isinstance(mid, str) or not UNRATED_ID.match(mid):
            problems.append(f"unrated measure {mid!r}: its id must be U and a number, e.g. U1")
        if not item.get("text"):
            problems.append(f"unrated measure {mid} has no text")
        rows.append({"measure_id": mid, "measure_text": item.get("text", ""), "measure_order": n})
    return rows, problems


def parse_applies_to(raw: dict, characteristics: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """Each item's applies_to rule (prompts inherit their key question's), and the problems found in them."""
    rules: dict[str, dict[str, tuple[str, ...]]] = {}
    problems: list[str] = []

    def read(item: dict, inherited: dict | None = None) -> dict:
        own = item.get("applies_to")
        rule = dict(inherited or {})
        if own is None:
            return rule
        if not isinstance(own, dict):
            problems.append(f"{item.get('id')}: applies_to must be a table of characteristic = [categories]")
            return rule
        for dimension, categories in own.items():
            allowed = characteristics.get(dimension)
            if allowed is None:
                problems.append(f"{item.get('id')}: applies_to names {dimension!r}, not a case characteristic")
                continue
            unknown = [c for c in categories if c not in allowed] if isinstance(categories, list) else [categories]
            if unknown:
                problems.append(f"{item.get('id')}: applies_to {dimension} has unknown categories {unknown}")
                continue
            rule[dimension] = tuple(categories)
        return rule

    for standard in raw.get("standards") or []:
        for question in (standard.get("key_questions") or []) if isinstance(standard, dict) else []:
            rule = read(question)
            if rule:
                rules[question.get("id")] = rule
            for prompt in question.get("prompts") or []:
                prompt_rule = read(prompt, rule)
                if prompt_rule:
                    rules[prompt.get("id")] = prompt_rule
    for item in raw.get("unrated_measures") or []:
        if isinstance(item, dict) and (rule := read(item)):
            rules[item.get("id")] = rule
    return rules, problems


def applicability_violations(cases: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Rows answered Yes or No for an item that does not apply to the case (row index, column, value, rule)."""
    parts = []
    for item, rule in framework.applies_to.items():
        if item not in cases.columns or any(d not in cases.columns for d in rule):
            continue
        # A case whose characteristic is not an allowed value at all is reported by the allowed-values check.
        known = pl.all_horizontal([pl.col(d).is_in(framework.case_characteristics.get(d, [])) for d in rule])
        outside = known & pl.any_horizontal([~pl.col(d).is_in(list(c)) for d, c in rule.items()])
        found = (
            cases.with_row_index("row_index")
            .filter(pl.col(item).is_in(ANSWERED) & outside)
            .select(
                "row_index",
                pl.col("case_id") if "case_id" in cases.columns else pl.lit(None, pl.String).alias("case_id"),
                pl.lit(item).alias("column"),
                pl.col(item).alias("value"),
                pl.concat_str([pl.concat_str([pl.lit(f"{d} "), pl.col(d)]) for d in rule], separator=", ").alias(
                    "case_type"
                ),
                pl.lit("; ".join(f"{d} {' or '.join(c)}" for d, c in rule.items())).alias("applies_to"),
            )
        )
        parts.append(found)
    schema = {"row_index": pl.UInt32, "case_id": pl.String, "column": pl.String, "value": pl.String,
              "case_type": pl.String, "applies_to": pl.String}  # fmt: skip
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat([p.cast(schema) for p in parts]).sort("row_index", "column")
