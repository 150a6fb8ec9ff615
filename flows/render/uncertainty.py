"""What an inspection's annexe says about uncertainty (issue 12): 95% intervals, ratings the sample cannot pin
down, and the national figure of its period as it stood when the annexe was published.

The national figures come from publication["national"] (flows/stages/periods.py national_at_publication):
{"period": "2025-26", "inspections": 14, "questions": {question_id: {"published_percentage": 61,
"inspections": 14}}}. They are fixed when the annexe is published, so that the annexe changes only when its own
inspection does; the national overview of the period has the current figures.
"""

from __future__ import annotations

import polars as pl

from flows.render.common import NOT_APPLICABLE, Note
from transforms.framework import Framework


def interval_text(lower: float | None, upper: float | None) -> str:
    """'25.1% to 52.4%', or [z] when there is no interval (no relevant case)."""
    return NOT_APPLICABLE if lower is None or upper is None else f"{lower:.1f}% to {upper:.1f}%"


def plausible_ratings(row: dict, framework: Framework) -> list[str]:
    """The ratings from plausible_highest_rating down to plausible_lowest_rating, best first; none if not known."""
    low, high = row.get("plausible_lowest_rating"), row.get("plausible_highest_rating")
    bands = framework.rating_bands.sort("min", descending=True)["rating"].to_list()
    if low not in bands or high not in bands:
        return []
    return bands[bands.index(high) : bands.index(low) + 1]


def sensitivity_text(row: dict, framework: Framework) -> str | None:
    """'could be Requires improvement or Inadequate given the sample size' for a sensitive rating; else None."""
    if not row.get("rating_sensitive"):
        return None
    ratings = plausible_ratings(row, framework)
    if len(ratings) < 2:
        return None
    listed = ", ".join(ratings[:-1]) + " or " + ratings[-1]
    return f"could be {listed} given the sample size"


def national(publication: dict) -> dict | None:
    """The national figures as at publication, when the publisher supplied them."""
    return publication.get("national") or None


def national_heading(publication: dict) -> str | None:
    """'National figure for 2025-26 when published' (a column heading), or None."""
    figures = national(publication)
    return f"National figure for {figures['period']} when published" if figures else None


def national_value(publication: dict, question_id: str) -> tuple[int | None, str]:
    """A key question's national percentage as at publication and its text, '61% (14 inspections)' or [z]."""
    figures = national(publication) or {}
    found = (figures.get("questions") or {}).get(question_id) or {}
    percentage = found.get("published_percentage")
    if percentage is None:
        return None, NOT_APPLICABLE
    n = found.get("inspections", 0)
    return percentage, f"{percentage}% ({n} inspection{'s' if n != 1 else ''})"


def national_statement(publication: dict) -> str | None:
    """The sentence that says what the national figures are and that they are not updated."""
    figures = national(publication)
    if not figures:
        return None
    n = figures["inspections"]
    return (
        f"National figures are those for {figures['period']} when this annexe was published: every published "
        f"inspection of the same framework with fieldwork starting in that financial year ({n} inspection"
        f"{'s' if n != 1 else ''}, this one included), pooled. They are not updated here as later inspections are "
        "published; the national overview of the year has the current figures."
    )


def overview_href(publication: dict) -> str | None:
    """Relative link from an annexe to the national overview of its period."""
    figures = national(publication)
    return f"../national/{figures['period']}/overview.html" if figures else None


def uncertainty_notes(publication: dict) -> list[Note]:
    """The notes on intervals, sensitive ratings and national figures, for both outputs."""
    notes = [
        Note(
            "interval",
            "95% intervals",
            "The 95% interval of a percentage Yes is the Wilson score interval (z = 1.96), in percentage points, "
            "from the unrounded counts: the range of underlying rates the sample is consistent with. It is shown to "
            f"one decimal place; with no relevant case there is no interval ({NOT_APPLICABLE}).",
        ),
        Note(
            "sensitivity",
            "Ratings and sample size",
            "A rating is marked as sensitive when the 95% intervals of the standard's key questions reach another "
            "rating band: the lowest plausible rating is the band of the lowest interval's lower end, the highest "
            "the band of the lowest upper end, banded as the rating is. The rating itself is the published one.",
        ),
    ]
    statement = national_statement(publication)
    if statement:
        notes.append(Note("national", "National figures", statement))
    return notes


def interval_columns(frame: pl.DataFrame) -> dict[str, list]:
    """95% interval columns for a spreadsheet table, one decimal, [z] where there is none."""
    return {
        "95% interval, lower": [NOT_APPLICABLE if v is None else round(v, 1) for v in frame["ci_lower"].to_list()],
        "95% interval, upper": [NOT_APPLICABLE if v is None else round(v, 1) for v in frame["ci_upper"].to_list()],
    }


def key_question_columns(frame: pl.DataFrame, publication: dict) -> dict[str, list]:
    """A key-question table's interval columns and, when supplied, its national figures as at publication."""
    columns = interval_columns(frame)
    heading = national_heading(publication)
    if heading:
        columns[heading] = [
            NOT_APPLICABLE if value is None else value
            for value in (national_value(publication, q)[0] for q in frame["question_id"].to_list())
        ]
    return columns


def sensitivity_column(ratings: pl.DataFrame, framework: Framework) -> list[str]:
    """What the sample size allows of each standard's rating, in words ([z] for standards judged by inspectors)."""
    judged = set(framework.standards.filter(pl.col("rated_by") == "judgement")["standard_id"].to_list())
    found = []
    for row in ratings.iter_rows(named=True):
        text = sensitivity_text(row, framework)
        if row["standard_id"] in judged or (text is None and row.get("rating_sensitive") is None):
            found.append(NOT_APPLICABLE)
        else:
            found.append(text[0].upper() + text[1:] if text else f"{row['rating']} whatever the sampling error")
    return found
