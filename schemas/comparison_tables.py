"""Tables that compare inspections (issue 12): pooled national and regional figures, benchmarks and trends.

Published partitioned by period (the financial year of fieldwork; for trends, that of the later inspection):
`annexe/<table>/period=<YYYY-YY>/part-<hash>.parquet`. Formulas: transforms/intervals.py and
transforms/comparisons.py.
"""

from __future__ import annotations

import polars as pl

from schemas.tables import INSPECTION_ID, INTERVAL_COLUMNS, QUESTION_ID, STANDARD_ID, TableSpec, _c

PERIOD_PARTITION = "period"
FRAMEWORK = _c("framework", pl.String(), "Framework id the inspections were rated against, e.g. probation-pdu-2023.")
PERIOD = _c("period", pl.String(), "Financial year (1 April to 31 March) in which fieldwork started, e.g. 2025-26.")
REGION = _c("region", pl.String(), "Region of the PDUs pooled.")
POOLED = (
    _c("measure", pl.String(), "key_question or prompt."),
    STANDARD_ID,
    _c("question_id", pl.String(), "Key-question id; for a prompt, the key question it belongs to."),
    _c("prompt_id", pl.String(), "Prompt id, e.g. P2.1.3.a; null for a key question.", True),
    _c("inspections", pl.Int64(), "Published inspections pooled (those with a row for this key question or prompt)."),
    _c("yes", pl.Int64(), "Cases answered Yes, summed over the inspections."),
    _c("no", pl.Int64(), "Cases answered No, summed over the inspections."),
    _c("not_applicable", pl.Int64(), "Cases answered N/A, summed over the inspections (not in the denominator)."),
    _c("relevant_cases", pl.Int64(), "Yes + No, summed over the inspections."),
    _c(
        "percentage",
        pl.Float64(),
        "Pooled percentage Yes = 100 * yes / relevant_cases (unrounded); null with no relevant case.",
        True,
    ),
    _c(
        "published_percentage",
        pl.Int64(),
        "Pooled percentage Yes as published: whole number, rounded half up; null with no relevant case.",
        True,
    ),
    *INTERVAL_COLUMNS,
)
LIMIT_TEXT = "control limit of the funnel plot, in percentage points, clipped to 0-100; null with no relevant case."

COMPARISON_TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "national_results",
            "Key questions and prompts pooled over all published inspections of a framework and financial year.",
            "framework x period x key question or prompt",
            (FRAMEWORK, PERIOD, *POOLED),
        ),
        TableSpec(
            "regional_results",
            "Key questions and prompts pooled over the published inspections of a framework, financial year and "
            "region.",
            "framework x period x region x key question or prompt",
            (FRAMEWORK, PERIOD, REGION, *POOLED),
        ),
        TableSpec(
            "benchmarks",
            "Each inspection's key questions against the national pooled percentage of its framework and financial "
            "year (funnel plot): limits 100 * (p0 +/- z * sqrt(p0 (1 - p0) / n)) for n relevant cases.",
            "inspection x key question",
            (
                INSPECTION_ID,
                FRAMEWORK,
                PERIOD,
                STANDARD_ID,
                QUESTION_ID,
                _c("relevant_cases", pl.Int64(), "Yes + No in this inspection."),
                _c(
                    "percentage",
                    pl.Float64(),
                    "Unrounded percentage Yes of this inspection; null with no relevant case.",
                    True,
                ),
                _c(
                    "published_percentage",
                    pl.Int64(),
                    "Percentage Yes as published (rounded half up); null with no relevant case.",
                    True,
                ),
                _c(
                    "national_percentage",
                    pl.Float64(),
                    "National pooled percentage Yes (p0, unrounded) of the "
                    "framework and period, this inspection included; null when no inspection had a relevant case.",
                    True,
                ),
                _c("lower_99_8", pl.Float64(), "Lower 99.8% " + LIMIT_TEXT, True),
                _c("lower_95", pl.Float64(), "Lower 95% " + LIMIT_TEXT, True),
                _c("upper_95", pl.Float64(), "Upper 95% " + LIMIT_TEXT, True),
                _c("upper_99_8", pl.Float64(), "Upper 99.8% " + LIMIT_TEXT, True),
                _c(
                    "funnel_zone",
                    pl.String(),
                    "above_99_8, above_95, within, below_95 or below_99_8: where the "
                    "percentage lies against the limits (a percentage on a limit is within it; when p0 is 0 or 100 "
                    "the limits close onto p0 and every inspection is within); null with no relevant case.",
                    True,
                ),
            ),  # fmt: skip
        ),
        TableSpec(
            "trends",
            "Each key question's change between consecutive inspections of a PDU under the same framework.",
            "PDU x framework x key question x consecutive pair of inspections",
            (
                _c("pdu", pl.String(), "Probation delivery unit inspected more than once."),
                _c("region", pl.String(), "Region of the PDU at the current inspection."),
                FRAMEWORK,
                STANDARD_ID,
                QUESTION_ID,
                _c("previous_inspection_id", pl.String(), "The earlier inspection (by fieldwork start)."),
                _c("current_inspection_id", pl.String(), "The later inspection, the next one after the earlier."),
                _c("previous_fieldwork_start", pl.Date(), "First day of fieldwork of the earlier inspection."),
                _c("current_fieldwork_start", pl.Date(), "First day of fieldwork of the later inspection."),
                _c("previous_relevant_cases", pl.Int64(), "Relevant cases at the earlier inspection."),
                _c("current_relevant_cases", pl.Int64(), "Relevant cases at the later inspection."),
                _c("previous_percentage", pl.Float64(), "Unrounded percentage Yes at the earlier inspection.", True),
                _c("current_percentage", pl.Float64(), "Unrounded percentage Yes at the later inspection.", True),
                _c(
                    "difference",
                    pl.Float64(),
                    "current_percentage - previous_percentage, in percentage points; null "
                    "when either has no relevant case.",
                    True,
                ),
                _c(
                    "ci_lower",
                    pl.Float64(),
                    "Lower end of the 95% interval of the difference (Newcombe's method 10 "
                    "from the two Wilson intervals), in percentage points.",
                    True,
                ),
                _c(
                    "ci_upper",
                    pl.Float64(),
                    "Upper end of the 95% interval of the difference, in percentage points.",
                    True,
                ),
                _c(
                    "excludes_zero",
                    pl.Boolean(),
                    "True when the interval of the difference lies wholly above or "
                    "below zero (an interval ending on zero does not exclude it).",
                    True,
                ),
            ),  # fmt: skip
        ),
    )
}
