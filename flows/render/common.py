"""What the spreadsheet and the HTML annexe share: titles, labels, notes and the checked inputs.

Everything shown to readers is derived here from the published tables, the framework and the
publication settings, so that the two renderers cannot disagree about a figure or a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.framework import Framework

REQUIRED_TABLES = ("inspections", "standard_ratings", "key_question_results", "breakdowns", "sample_profile")
OPTIONAL_TABLES = ("prompt_results", "unrated_results")  # the extract contract makes these answers optional

NOT_APPLICABLE = "[z]"
"""GSS shorthand for a figure that does not apply (no relevant case; no key question for a judged standard)."""

DIMENSION_LABELS = {
    "sentence_type": "Sentence type",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "rosh": "Risk of serious harm (RoSH)",
    "practitioner_grade": "Practitioner grade",
    "probation_reset": "Probation Reset",
}

CATEGORY_LABELS = {
    ("sentence_type", "community_order"): "Community order",
    ("sentence_type", "licence"): "Release on licence",
    ("ethnicity", "not_recorded"): "Not recorded",
    ("rosh", "very_high"): "Very high",
    ("practitioner_grade", "PO"): "Probation officer (PO)",
    ("practitioner_grade", "PSO"): "Probation services officer (PSO)",
    ("practitioner_grade", "PQiP"): "Trainee probation officer (PQiP)",
    ("probation_reset", "none"): "Not subject to Probation Reset",
    ("probation_reset", "core"): "Probation Reset, core standards",
    ("probation_reset", "adjusted"): "Probation Reset, adjusted standards",
}

RATED_BY_LABELS = {"judgement": "Inspectors' judgement", "case_sample": "Case sample"}


def dimension_label(dimension: str) -> str:
    """Readable name of a case characteristic."""
    return DIMENSION_LABELS.get(dimension, dimension.replace("_", " ").capitalize())


def category_label(dimension: str, category: str) -> str:
    """Readable name of a category of a case characteristic."""
    if (dimension, category) in CATEGORY_LABELS:
        return CATEGORY_LABELS[(dimension, category)]
    if any(ch.isupper() for ch in category):
        return category
    return category.replace("_", " ").capitalize()


def month_year(day: dt.date) -> str:
    """'August 2025', as the report's ratings box shows the start of fieldwork."""
    return f"{day:%B} {day.year}"


def long_date(day: dt.date) -> str:
    """'11 August 2025'."""
    return f"{day.day} {day:%B} {day.year}"


def suppression_symbol(publication: dict) -> str:
    """Shorthand shown in place of a withheld figure."""
    return str(publication.get("suppression", {}).get("symbol", "[c]"))


def suppression_threshold(publication: dict) -> int | None:
    """Fewest relevant cases a published breakdown cell may have, if the publication says."""
    value = publication.get("suppression", {}).get("threshold")
    return int(value) if value is not None else None


def suppression_text(publication: dict) -> str:
    """How figures are withheld, as transforms/suppression.py withholds them, for the notes of both outputs."""
    symbol = suppression_symbol(publication)
    threshold = suppression_threshold(publication)
    fewer = f"fewer than {threshold}" if threshold is not None else "too few"
    enough = f"at least {threshold}" if threshold is not None else "enough to publish"
    return (
        f"{symbol} marks a figure withheld to protect the confidentiality of the people in the sample. A breakdown "
        f"cell with {fewer} relevant cases is withheld. Further cells are then withheld, smallest first "
        "(secondary suppression), until the withheld cells of each characteristic and key question together hold "
        f"either no relevant case or {enough}, and, unless every relevant case of that key question has the same "
        "answer, do not all share one answer. So no withheld figure can be worked out by subtracting the published "
        "categories from the published total, and withheld cells do not reveal that everyone in them gave the same "
        "answer. The same protection applies to the numbers of cases in the sample profile, except for sentence "
        "type, whose numbers the inspection report publishes; a category withheld from the sample profile is "
        "withheld from the breakdowns too."
    )


@dataclass(frozen=True)
class Revision:
    """One revision of a published annexe: when, and what changed."""

    date: dt.date
    note: str


@dataclass(frozen=True)
class Release:
    """Facts about this release of an inspection's annexe, given in publication["release"]."""

    published_on: dt.date
    statistics_status: str
    next_update: str | None = None
    report_url: str | None = None
    revisions: tuple[Revision, ...] = ()

    @property
    def report_link(self) -> str | None:
        """The report's address if it may be a link: http(s) only, so that 'javascript:' and the like stay text."""
        url = self.report_url
        trusted = url is not None and url.lower().startswith(("https://", "http://"))
        return url if trusted and not any(ch.isspace() or not ch.isprintable() for ch in url) else None

    def facts(self) -> list[tuple[str, str]]:
        """Label and text of each fact shown near the top of both outputs (the report address aside)."""
        facts = [("Published", long_date(self.published_on)), ("Statistics status", self.statistics_status)]
        if self.next_update:
            facts.append(("Next update", self.next_update))
        return facts


def release_facts(publication: dict) -> Release | None:
    """The release facts of publication["release"], revisions newest first; None when none are given."""
    release = publication.get("release")
    if release is None:
        return None
    revisions = tuple(Revision(r["date"], str(r["note"])) for r in release.get("revisions") or ())
    for day in (release["published_on"], *(r.date for r in revisions)):
        if not isinstance(day, dt.date):
            raise ValueError(f"release dates must be dates, not {day!r}")
    return Release(
        published_on=release["published_on"],
        statistics_status=str(release["statistics_status"]),
        next_update=_text_or_none(release.get("next_update")),
        report_url=_text_or_none(release.get("report_url")),
        revisions=tuple(sorted(revisions, key=lambda r: r.date, reverse=True)),
    )


def _text_or_none(value) -> str | None:
    """None for a missing or empty value, else its text."""
    return None if value is None or value == "" else str(value)


@dataclass(frozen=True)
class Note:
    """One note of the notes sheet / notes section, referenced from table titles by its `ref`."""

    ref: str
    title: str
    text: str


def methodology_notes(framework: Framework, publication: dict) -> list[Note]:
    """The notes that explain how every published figure was made, built from the framework and settings."""
    bands = "; ".join(
        f"{b['rating']} {b['min']}% to {b['max']}% ({b['points']} point{'s' if b['points'] != 1 else ''})"
        for b in framework.rating_bands.sort("min", descending=True).iter_rows(named=True)
    )
    overall = "; ".join(
        f"{b['rating']} {b['min']} to {b['max']}"
        for b in framework.overall_bands.sort("min", descending=True).iter_rows(named=True)
    )
    basis = (
        "the published (rounded) whole percentage, so 64.5% is published as 65% and banded as 65%"
        if framework.banding_basis == "published"
        else "the unrounded percentage, so 64.5% is banded below 65% although it is published as 65%"
    )
    rounding = (
        "Published percentages are whole numbers rounded half up: 12.5% is published as 13% and 12.4% as 12%."
        if framework.rounding == "half_up"
        else f"Published percentages are whole numbers ({framework.rounding} rounding)."
    )
    judged = framework.standards.filter(pl.col("rated_by") == "judgement")
    judged_names = [f"{r['standard_name']} ({r['standard_id']})" for r in judged.iter_rows(named=True)]
    notes = [
        Note(
            "denominator",
            "Percentage Yes",
            "Percentage Yes is the number of cases answered Yes divided by the number of relevant cases "
            "(Yes plus No). Cases answered N/A (not applicable) are excluded from the denominator.",
        ),
        Note("rounding", "Rounding", rounding + " Percentages are calculated from unrounded counts."),
        Note(
            "bands",
            "Rating bands",
            "A standard rated from the case sample takes the rating of its lowest key question (the lowest "
            f"percentage Yes), placed in a rating band: {bands}. Bands apply to {basis}. "
            "A key question with no relevant case has no percentage and does not drive the rating.",
        ),
        Note(
            "score",
            "Score and overall rating",
            f"The score is the sum of the points of the {framework.standards.height} standards' ratings, out of "
            f"{framework.max_score}. The overall rating comes from the score: {overall}.",
        ),
    ]
    if judged_names:
        notes.append(
            Note(
                "judgement",
                "Standards rated by inspectors",
                _join(judged_names) + " are rated by inspectors' judgement, not from the case sample, so they "
                f"have no key questions; their lowest key question is shown as {NOT_APPLICABLE} (not applicable).",
            )
        )
    notes += [
        Note("suppression", f"Suppressed figures {suppression_symbol(publication)}", suppression_text(publication)),
        Note(
            "prompts",
            "Prompts",
            "Prompts are the sub-questions of each key question, worded as in the inspection framework "
            f"({framework.name}, version {framework.version}). They are answered and calculated in the same way as "
            "key questions but do not drive ratings.",
        ),
    ]
    return notes


def _join(items: list[str]) -> str:
    """'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_tables(tables: dict[str, pl.DataFrame]) -> dict:
    """The one inspection the tables describe, as a dict; raise ValueError if they describe none or several."""
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise ValueError(f"cannot render the annexe: missing tables {', '.join(missing)}")
    inspections = tables["inspections"]
    if inspections.height != 1:
        raise ValueError(f"the annexe is for one inspection; the inspections table has {inspections.height} rows")
    inspection = inspections.row(0, named=True)
    for name in (*REQUIRED_TABLES[1:], *(t for t in OPTIONAL_TABLES if t in tables)):
        others = set(tables[name]["inspection_id"].unique().to_list()) - {inspection["inspection_id"]}
        if others:
            raise ValueError(f"table {name} has rows for other inspections: {', '.join(sorted(others))}")
    return inspection


def annexe_title(inspection: dict) -> str:
    """'Dyfed Powys probation inspection 2025: data annexe'."""
    return f"{inspection['pdu']} probation inspection {inspection['fieldwork_start'].year}: data annexe"


def ordered_ratings(tables: dict[str, pl.DataFrame], framework: Framework) -> pl.DataFrame:
    """Standard ratings in framework order, with domain, how each is rated and its lowest percentage."""
    standards = framework.standards.select("standard_id", "domain", "rated_by", "standard_order")
    lowest = tables["key_question_results"].select(
        pl.col("question_id").alias("lowest_question_id"),
        pl.col("published_percentage").alias("lowest_percentage"),
    )
    return (
        tables["standard_ratings"]
        .join(standards, on="standard_id", how="left")
        .join(lowest, on="lowest_question_id", how="left")
        .sort("standard_order", nulls_last=True)
    )


def ordered_questions(tables: dict[str, pl.DataFrame], framework: Framework) -> pl.DataFrame:
    """Key-question results in framework order."""
    order = framework.key_questions.select("question_id", "question_order")
    return (
        tables["key_question_results"].join(order, on="question_id", how="left").sort("question_order", nulls_last=True)
    )


def ordered_prompts(tables: dict[str, pl.DataFrame], framework: Framework) -> pl.DataFrame | None:
    """Prompt results in framework order; None when the extract supplied no prompt answers."""
    prompts = tables.get("prompt_results")
    if prompts is None or prompts.is_empty():
        return None
    order = framework.prompts.select("prompt_id", "prompt_order")
    return prompts.join(order, on="prompt_id", how="left").sort("prompt_order", nulls_last=True)


def ordered_unrated(tables: dict[str, pl.DataFrame], framework: Framework) -> pl.DataFrame | None:
    """Unrated-measure results in framework order; None when the extract supplied none."""
    unrated = tables.get("unrated_results")
    if unrated is None or unrated.is_empty():
        return None
    order = framework.unrated_measures.select("measure_id", "measure_order")
    return unrated.join(order, on="measure_id", how="left").sort("measure_order", nulls_last=True)


def prompts_statement(prompts: pl.DataFrame | None, framework: Framework) -> str:
    """What the annexe says about prompts missing from the extract; empty when every prompt was answered."""
    if prompts is None:
        return "No prompt answers were supplied for this inspection, so no prompt figures are published."
    supplied = prompts["prompt_id"].n_unique()
    if supplied >= framework.prompts.height:
        return ""
    return (
        f"Prompt answers were supplied for {supplied} of the {framework.prompts.height} prompts of the framework "
        "for this inspection; only those prompts are shown."
    )


def ordered_profile(tables: dict[str, pl.DataFrame], framework: Framework) -> pl.DataFrame:
    """Sample profile in the framework's order of characteristics and categories, with its `suppressed` flags."""
    profile = tables["sample_profile"]
    if "suppressed" not in profile.columns:  # frames published before the sample profile was protected
        profile = profile.with_columns(suppressed=pl.lit(False))
    return (
        profile.with_columns(pl.col("suppressed").fill_null(False))
        .join(framework.category_order, on=["dimension", "category"], how="left")
        .sort("dimension_order", "category_order", "dimension", "category", nulls_last=True)
    )


def ordered_breakdowns(tables: dict[str, pl.DataFrame], framework: Framework) -> pl.DataFrame:
    """Breakdowns by characteristic, category and key question in framework order."""
    order = framework.key_questions.select("question_id", "question_order")
    return (
        tables["breakdowns"]
        .join(framework.category_order, on=["dimension", "category"], how="left")
        .join(order, on="question_id", how="left")
        .sort("dimension_order", "dimension", "category_order", "category", "question_order", nulls_last=True)
    )


def case_sample_standards(framework: Framework) -> list[dict]:
    """The standards rated from the case sample, in framework order."""
    return framework.standards.filter(pl.col("rated_by") == "case_sample").sort("standard_order").to_dicts()
