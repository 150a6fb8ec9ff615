"""The HTML data annexe of one inspection, and the index of published inspections.

Pages are self-contained (inline CSS, inline SVG charts, no scripts, fonts or images from the network)
so they can be archived, opened from disk and printed. Every figure is shown as text; charts repeat
what the tables beside them say and never rely on colour.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import jinja2
import polars as pl

from flows.render.common import (
    RATED_BY_LABELS,
    annexe_title,
    case_sample_standards,
    category_label,
    check_tables,
    dimension_label,
    long_date,
    methodology_notes,
    month_year,
    ordered_breakdowns,
    ordered_profile,
    ordered_prompts,
    ordered_questions,
    ordered_ratings,
    ordered_unrated,
    prompts_statement,
    release_facts,
    suppression_symbol,
    suppression_threshold,
)
from flows.render.uncertainty import (
    interval_text,
    national_heading,
    national_statement,
    national_value,
    overview_href,
    sensitivity_text,
    uncertainty_notes,
)
from transforms.framework import Framework

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Chart geometry, in SVG user units (the SVG scales to the width of the page).
CHART_WIDTH = 760
PLOT_LEFT = 16
PLOT_WIDTH = 580
LABEL_ROW = 18
QUESTION_LINE = 17
QUESTION_WRAP = 88
BAR_HEIGHT = 24
ROW_GAP = 16
AXIS_SPACE = 30


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The template environment, built once so templates compile once per process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "html.j2", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["month_year"] = month_year
    env.filters["long_date"] = long_date
    return env


def _x(percentage: float) -> float:
    """Horizontal position of a percentage on the chart."""
    return round(PLOT_LEFT + PLOT_WIDTH * percentage / 100, 2)


def bar_chart(standard: dict, questions: list[dict], framework: Framework, rating: dict) -> dict:
    """Geometry of one standard's chart: a horizontal bar a key question, every band labelled at its start.

    A line marks each band's lower threshold; the lowest band starts at the axis, so it has a label and no line.
    """
    in_range = [b for b in framework.rating_bands.sort("min").iter_rows(named=True) if 0 <= b["min"] <= 100]
    top = LABEL_ROW * len(in_range) + 8
    bands = [
        {
            "rating": b["rating"],
            "min": b["min"],
            "x": _x(b["min"]),
            "label_y": LABEL_ROW * (i + 1) - 5,
            "line_top": LABEL_ROW * i + 2,
            "label": f"{b['rating']} ({b['min']}% to {b['max']}%)",
        }
        for i, b in enumerate(in_range)
    ]
    bars, y = [], top
    lowest = rating.get("lowest_question_id")
    for q in questions:
        lines = textwrap.wrap(f"{q['question_id']} {q['question_text']}", QUESTION_WRAP) or [q["question_id"]]
        text_y = [y + QUESTION_LINE * (i + 1) - 4 for i in range(len(lines))]
        bar_y = y + QUESTION_LINE * len(lines) + 2
        percentage = q["published_percentage"]
        lower, upper = q.get("ci_lower"), q.get("ci_upper")
        whisker = None if lower is None or upper is None else (_x(lower), _x(upper))
        width = 0.0 if percentage is None else round(PLOT_WIDTH * percentage / 100, 2)
        value = "no relevant cases" if percentage is None else f"{percentage}%"
        if q["question_id"] == lowest:
            value += " (lowest)"
        bars.append(
            {
                "question_id": q["question_id"],
                "lines": list(zip(lines, text_y, strict=True)),
                "percentage": percentage,
                "x": PLOT_LEFT,
                "y": bar_y,
                "width": width,
                # The value is written past the whisker of the 95% interval, so the two never overlap.
                "value_x": round(PLOT_LEFT + max(width, whisker[1] - PLOT_LEFT if whisker else 0) + 6, 2),
                "whisker": whisker,
                "interval": interval_text(lower, upper),
                "value_y": bar_y + BAR_HEIGHT / 2 + 5,
                "value": value,
                "lowest": q["question_id"] == lowest,
            }
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    plot_bottom = y - ROW_GAP + 6
    # Threshold lines run from their label to the axis but break around each key question's text,
    # so the text stays clear; the broken segments line up, so they read as one line.
    segments = [(0, top - 4)] + [(b["y"] - 4, b["y"] + BAR_HEIGHT + 4) for b in bars]
    segments[-1] = (segments[-1][0], plot_bottom)
    for band in bands:
        # The lowest band starts on the axis, where a line would only repeat it.
        band["segments"] = (
            [(max(y1, band["line_top"]), y2) for y1, y2 in segments if y2 > band["line_top"]] if band["min"] > 0 else []
        )
    slug = standard["standard_id"].replace(".", "-")
    summary = "; ".join(
        f"{b['question_id']}: {'no relevant cases' if b['percentage'] is None else str(b['percentage']) + '%'}"
        + (f" (95% interval {b['interval']})" if b["whisker"] else "")
        for b in bars
    )
    band_text = ", ".join(f"{b['rating']} from {b['min']}%" for b in bands if b["min"] > 0)
    band_names = ", ".join(b["label"] for b in bands)
    return {
        "id": f"chart-{slug}",
        "standard_id": standard["standard_id"],
        "title": f"{standard['standard_id']} {standard['standard_name']}: percentage Yes by key question",
        "desc": (
            f"Horizontal bar chart. {summary}. Rating {rating.get('rating', 'not rated')}, driven by the lowest "
            f"key question. Rating bands: {band_names}. Vertical lines mark the band thresholds: {band_text}. "
            "A horizontal line across each bar shows its 95% interval."
        ),
        "width": CHART_WIDTH,
        "height": plot_bottom + AXIS_SPACE,
        "plot_left": PLOT_LEFT,
        "plot_right": _x(100),
        "plot_top": top,
        "plot_bottom": plot_bottom,
        "bands": bands,
        "bars": bars,
        "bar_height": BAR_HEIGHT,
        "ticks": [{"x": _x(p), "label": f"{p}%"} for p in (0, 100)],
        "axis_label_y": plot_bottom + 18,
    }


def _counts(row: dict, suppressed: bool = False) -> dict:
    return {k: row[k] for k in ("yes", "no", "not_applicable", "relevant_cases", "published_percentage")} | {
        "suppressed": suppressed
    }


def _uncertainty(question: dict, publication: dict) -> dict:
    """A key question's 95% interval and national figure as at publication, as text."""
    return {
        "interval": interval_text(question.get("ci_lower"), question.get("ci_upper")),
        "national": national_value(publication, question["question_id"])[1],
    }


def annexe_context(tables: dict[str, pl.DataFrame], framework: Framework, publication: dict) -> dict:
    """Everything the annexe template shows, in display order."""
    inspection = check_tables(tables)
    ratings = ordered_ratings(tables, framework)
    rating_rows = [r | {"sensitivity": sensitivity_text(r, framework)} for r in ratings.to_dicts()]
    domains: list[dict] = []
    for r in rating_rows:
        if not domains or domains[-1]["name"] != r["domain"]:
            domains.append({"name": r["domain"], "number": len(domains) + 1, "standards": []})
        domains[-1]["standards"].append(r)

    questions = ordered_questions(tables, framework)
    standards = []
    for standard in case_sample_standards(framework):
        sid = standard["standard_id"]
        own = questions.filter(pl.col("standard_id") == sid).to_dicts()
        rating = next((r for r in rating_rows if r["standard_id"] == sid), {})
        standards.append(
            {
                **standard,
                "slug": sid.replace(".", "-"),
                "rating": rating,
                "questions": [q | _counts(q) | _uncertainty(q, publication) for q in own],
                "sensitivity": sensitivity_text(rating, framework),
                "chart": bar_chart(standard, own, framework, rating),
            }
        )

    prompts = ordered_prompts(tables, framework)
    prompt_groups: list[dict] = []
    for p in prompts.iter_rows(named=True) if prompts is not None else ():
        if not prompt_groups or prompt_groups[-1]["question_id"] != p["question_id"]:
            prompt_groups.append({"question_id": p["question_id"], "prompts": []})
        prompt_groups[-1]["prompts"].append(p)

    profile = ordered_profile(tables, framework)
    profile_groups: list[dict] = []
    for row in profile.iter_rows(named=True):
        if not profile_groups or profile_groups[-1]["dimension"] != row["dimension"]:
            profile_groups.append(
                {"dimension": row["dimension"], "label": dimension_label(row["dimension"]), "rows": []}
            )
        profile_groups[-1]["rows"].append(
            {
                "category": category_label(row["dimension"], row["category"]),
                "cases": row["cases"],
                "suppressed": row["suppressed"],
            }
        )

    # One pass over the rows (not a filter per dimension and question: this runs once per inspection).
    by_dimension: dict[str, dict] = {}
    for r in ordered_breakdowns(tables, framework).iter_rows(named=True):
        part = by_dimension.setdefault(r["dimension"], {"categories": {}, "questions": {}})
        part["categories"].setdefault(r["category"], None)
        part["questions"].setdefault(r["question_id"], {})[r["category"]] = r
    question_texts = dict(
        zip(framework.key_questions["question_id"], framework.key_questions["question_text"], strict=True)
    )
    breakdown_tables = []
    for dimension, part in by_dimension.items():
        categories = list(part["categories"])
        rows = [
            {
                "question_id": qid,
                "question_text": question_texts.get(qid, ""),
                "cells": [
                    {"category": c, **_counts(cells[c], bool(cells[c]["suppressed"]))}
                    if c in cells
                    else {"category": c, "missing": True}
                    for c in categories
                ],
            }
            for qid, cells in part["questions"].items()
        ]
        breakdown_tables.append(
            {
                "dimension": dimension,
                "slug": dimension.replace("_", "-"),
                "label": dimension_label(dimension),
                "categories": [{"code": c, "label": category_label(dimension, c)} for c in categories],
                "rows": rows,
            }
        )

    return {
        "title": annexe_title(inspection),
        "inspection": inspection,
        "framework": framework,
        "domains": domains,
        "standards": standards,
        "prompt_groups": prompt_groups,
        "prompts_statement": prompts_statement(prompts, framework),
        "unrated": [] if (u := ordered_unrated(tables, framework)) is None else list(u.iter_rows(named=True)),
        "profile_groups": profile_groups,
        "profile_suppressed": bool(profile["suppressed"].any()),
        "breakdown_tables": breakdown_tables,
        "notes": methodology_notes(framework, publication) + uncertainty_notes(publication),
        "national_heading": national_heading(publication),
        "national_statement": national_statement(publication),
        "overview_href": overview_href(publication),
        "interval_text": interval_text,
        "publication": publication,
        "release": release_facts(publication),
        "symbol": suppression_symbol(publication),
        "threshold": suppression_threshold(publication),
        "rated_by_labels": RATED_BY_LABELS,
        "question_texts": question_texts,
    }


def annexe_html(
    tables: dict[str, pl.DataFrame],
    framework: Framework,
    publication: dict,
    *,
    spreadsheet_href: str | None = "data-annexe.xlsx",
    index_href: str | None = "../index.html",
) -> str:
    """The data annexe of one inspection as one self-contained, accessible HTML page.

    `spreadsheet_href` and `index_href` are the relative links to the spreadsheet of the same data and
    to the index of inspections (the published layout is <inspection_id>/data-annexe.html beside
    <inspection_id>/data-annexe.xlsx, with index.html one level up); None leaves a link out.
    """
    context = annexe_context(tables, framework, publication)
    context |= {"spreadsheet_href": spreadsheet_href, "index_href": index_href}
    return _environment().get_template("annexe.html.j2").render(context)


def index_html(inspections: pl.DataFrame, publication: dict, overviews: list[str] | None = None) -> str:
    """The list of published inspections, newest fieldwork first, linking to each annexe and spreadsheet, and to
    the national overview of each period in `overviews` (financial years, newest first)."""
    rows = inspections.sort(["fieldwork_start", "pdu"], descending=[True, False]).to_dicts()
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            {
                "title": "Probation inspections: data annexes",
                "publication": publication,
                "inspections": rows,
                "overviews": sorted(overviews or [], reverse=True),
            }
        )
    )
