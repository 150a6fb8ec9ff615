"""The national overview of one financial year: pooled national and regional figures, funnel plots and ratings.

Built from the comparison tables of transforms/comparisons.py (national_results, regional_results, benchmarks)
with the inspections and standard ratings of the period. The HTML page is self-contained like the annexe
(inline CSS and SVG, no scripts, nothing fetched); the spreadsheet is flows/render/national_spreadsheet.py.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from flows.render.common import NOT_APPLICABLE, Note, long_date
from flows.render.funnel import ZONE_LABELS, funnel_chart
from flows.render.html import _environment
from transforms.comparisons import with_period
from transforms.framework import Framework

REQUIRED = ("national_results", "regional_results", "benchmarks", "inspections", "standard_ratings")


def period_dates(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a financial year written YYYY-YY."""
    start = int(period[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


def interval_text(lower: float | None, upper: float | None) -> str:
    """'25.1% to 52.4%', or [z] when there is no interval."""
    return NOT_APPLICABLE if lower is None or upper is None else f"{lower:.1f}% to {upper:.1f}%"


def one_decimal(value: float | None) -> str:
    """'60.0%', or [z]."""
    return NOT_APPLICABLE if value is None else f"{value:.1f}%"


def zone_text(zone: str | None) -> str:
    """The funnel zone in words; [z] for an inspection with no relevant case."""
    return NOT_APPLICABLE if zone is None else ZONE_LABELS[zone]


def _of_period(tables: dict[str, pl.DataFrame], period: str) -> dict[str, pl.DataFrame]:
    """The tables restricted to the period (the caller may pass every period)."""
    missing = [name for name in REQUIRED if name not in tables]
    if missing:
        raise ValueError(f"cannot render the national overview: missing tables {', '.join(missing)}")
    inspections = with_period(tables["inspections"]).filter(pl.col("period") == period)
    ids = inspections["inspection_id"]
    return {
        "inspections": inspections,
        "standard_ratings": tables["standard_ratings"].filter(pl.col("inspection_id").is_in(ids.implode())),
        **{name: tables[name].filter(pl.col("period") == period) for name in REQUIRED[:3]},
    }


def _pooled_rows(frame: pl.DataFrame, framework: Framework, measure: str) -> list[dict]:
    """Pooled rows of one measure in framework order, with wording and the interval as text."""
    if measure == "key_question":
        order = framework.key_questions.select("question_id", text="question_text", order="question_order")
        on = "question_id"
    else:
        order = framework.prompts.select("prompt_id", text="prompt_text", order="prompt_order")
        on = "prompt_id"
    rows = frame.filter(pl.col("measure") == measure).join(order, on=on, how="left").sort("order", nulls_last=True)
    return [r | {"item_id": r[on], "interval": interval_text(r["ci_lower"], r["ci_upper"])} for r in rows.to_dicts()]


def _ratings(frame: pl.DataFrame, inspections: pl.DataFrame, framework: Framework) -> dict:
    """Counts of overall ratings and of each standard's ratings, in the framework's order of bands and standards."""
    bands = framework.rating_bands.sort("min", descending=True)["rating"].to_list()
    overall = inspections["overall_rating"].value_counts()
    counts = dict(zip(overall["overall_rating"].to_list(), overall["count"].to_list(), strict=True))
    total = inspections.height
    overall_rows = [
        {"rating": b, "count": counts.get(b, 0), "share": f"{100 * counts.get(b, 0) / total:.0f}%" if total else "[z]"}
        for b in bands
    ]
    sensitive = "rating_sensitive" in frame.columns
    standards = []
    for s in framework.standards.sort("standard_order").iter_rows(named=True):
        own = frame.filter(pl.col("standard_id") == s["standard_id"])
        by_rating = dict(own.group_by("rating").len().iter_rows())
        row = {**s, "counts": [by_rating.get(b, 0) for b in bands], "rated": own.height}
        if sensitive:
            flagged = own["rating_sensitive"]
            row["sensitive"] = NOT_APPLICABLE if s["rated_by"] == "judgement" else int(flagged.fill_null(False).sum())
        standards.append(row)
    return {"bands": bands, "overall": overall_rows, "standards": standards, "sensitive": sensitive, "total": total}


def overview(period: str, tables: dict[str, pl.DataFrame], frameworks: dict[str, Framework]) -> list[dict]:
    """Everything shown for a period, one entry a framework with inspections in it, in framework id order."""
    own = _of_period(tables, period)
    inspections = own["inspections"]
    places = inspections.select("inspection_id", "pdu", "region")
    sections = []
    for framework_id in sorted(set(inspections["framework"].to_list())):
        framework = frameworks[framework_id]
        fw_inspections = inspections.filter(pl.col("framework") == framework_id).sort("pdu", "fieldwork_start")
        national = own["national_results"].filter(pl.col("framework") == framework_id)
        regional = own["regional_results"].filter(pl.col("framework") == framework_id)
        national_rows = _pooled_rows(national, framework, "key_question")
        regions = sorted(set(regional["region"].to_list()))
        regional_rows = [
            {"region": region, **row}
            for region in regions
            for row in _pooled_rows(regional.filter(pl.col("region") == region), framework, "key_question")
        ]
        marks = own["benchmarks"].filter(pl.col("framework") == framework_id).join(places, on="inspection_id")
        charts = []
        for question in framework.key_questions.sort("question_order").iter_rows(named=True):
            rows = marks.filter(pl.col("question_id") == question["question_id"]).sort("pdu", "inspection_id")
            pooled = next(
                (r for r in national_rows if r["question_id"] == question["question_id"]), {"percentage": None}
            )
            row_dicts = [
                r | {"limits_95": interval_text(r["lower_95"], r["upper_95"]),
                     "limits_99_8": interval_text(r["lower_99_8"], r["upper_99_8"]),
                     "zone_text": zone_text(r["funnel_zone"])}
                for r in rows.to_dicts()
            ]  # fmt: skip
            charts.append(
                {
                    "question": question,
                    "national": pooled,
                    "chart": funnel_chart(question, row_dicts, pooled["percentage"], f"{framework_id}-"),
                    "rows": row_dicts,
                }
            )
        sections.append(
            {
                "framework": framework,
                "slug": framework_id,
                "inspections": fw_inspections.to_dicts(),
                "national_rows": national_rows,
                "prompt_rows": _pooled_rows(national, framework, "prompt"),
                "regions": regions,
                "regional_rows": regional_rows,
                "charts": charts,
                "ratings": _ratings(own["standard_ratings"], fw_inspections, framework),
            }
        )
    return sections


def national_notes(period: str) -> list[Note]:
    """The notes explaining the overview's figures, shared by the page and the spreadsheet."""
    first, last = period_dates(period)
    return [
        Note("period", "Period", f"{period} is the financial year from {long_date(first)} to {long_date(last)}. An "
             "inspection belongs to the year in which its fieldwork started."),
        Note("pooled", "Pooled figures", "National and regional figures add up the Yes, No and N/A answers of every "
             "published inspection of the framework in the period (and region), then calculate the percentage Yes "
             "as for one inspection: Yes divided by relevant cases (Yes plus No), published as a whole number "
             "rounded half up. Larger samples therefore count for more. They are not averages of the inspections' "
             "percentages. A region with one inspection shows that inspection's published figures."),
        Note("interval", "95% intervals", "The 95% interval is the Wilson score interval of the percentage Yes "
             "(z = 1.96): the range of underlying rates that the sample is consistent with. It is given to one "
             "decimal place; an interval ending on 0% or 100% means every relevant case gave the same answer."),
        Note("funnel", "Funnel plots", "Each inspection's percentage Yes is plotted against its number of relevant "
             "cases, around the national pooled percentage p0 of the framework and period (which includes it). "
             "The limits are 100 x (p0 +/- z x sqrt(p0 (1 - p0) / n)) for n relevant cases, with z = 1.96 (95%) and "
             "z = 3.09 (99.8%), shown between 0% and 100%. A percentage on a limit is within it. Outside the 95% "
             "limits one in twenty inspections would fall by chance alone; outside the 99.8% limits one in five "
             "hundred. When p0 is 0% or 100% the limits close onto it and every inspection is within them. An "
             f"inspection with no relevant case is not plotted and its zone is shown as {NOT_APPLICABLE}."),
        Note("ratings", "Distribution of ratings", "Counts of the overall ratings and of each standard's ratings of "
             "the inspections whose fieldwork started in the period. A rating is sensitive when the 95% interval "
             "of one of the standard's key questions reaches another rating band."),
        Note("shorthand", "Shorthand", f"{NOT_APPLICABLE} = not applicable: no relevant case, so no percentage."),
    ]  # fmt: skip


def national_overview_html(
    period: str, tables: dict[str, pl.DataFrame], frameworks: dict[str, Framework], publication: dict
) -> str:
    """The national overview of a financial year as one self-contained, accessible HTML page."""
    first, last = period_dates(period)
    context = {
        "title": f"Probation inspections {period}: national overview",
        "period": period,
        "first_day": long_date(first),
        "last_day": long_date(last),
        "sections": overview(period, tables, frameworks),
        "notes": national_notes(period),
        "publication": publication,
        "one_decimal": one_decimal,
    }
    return _environment().get_template("national.html.j2").render(context)
