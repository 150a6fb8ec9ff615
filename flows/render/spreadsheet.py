"""The accessible spreadsheet of the data annexe: what each sheet says, built from the published tables.

It follows "Releasing statistics in spreadsheets": a cover sheet, a contents sheet and a notes sheet
come first, then one table a worksheet. Each table's title is in A1 with its subtitles, instructions
and legend on the rows straight below and the table itself (one header row, marked as an Excel table)
straight after them: no blank rows, no merged cells, no colour carrying meaning. Notes are referred to
from table titles as [note n] and explained on the notes sheet; withheld figures are shown as the
publication's shorthand ([c]) and figures that do not apply as [z]. A table with no rows (no prompt
answers supplied, no case characteristics) is left out, and the cover and contents say so where a
reader would look for it. Writing the cells is flows/render/xlsx_writer.py's job.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from flows.render.common import (
    NOT_APPLICABLE,
    RATED_BY_LABELS,
    Note,
    Release,
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
from flows.render.uncertainty import interval_columns, key_question_columns, sensitivity_column, uncertainty_notes
from flows.render.xlsx_writer import Cover, Link, Sheet, sheet_name, workbook_bytes
from transforms.framework import Framework

LANGUAGE = "en-GB"
COUNT_HEADINGS = {"yes": "Yes", "no": "No", "not_applicable": "N/A", "relevant_cases": "Relevant cases"}
PERCENTAGE_HEADING = "Percentage Yes"
INSTRUCTIONS = (
    "This worksheet contains one table. Notes referred to as [note n] in the title are on the Notes worksheet."
)
CONTENTS_INSTRUCTIONS = "This worksheet contains one table. Select a sheet name to go to it."
NOTES_INSTRUCTIONS = "This worksheet contains one table. Tables refer to these notes as [note n]."
DATE_FORMAT = {"num_format": "d mmmm yyyy"}

NOTE_REF = re.compile(r"\$\$(.*?)\$\$")


def _measure(values: list, suppressed: list[bool] | None, symbol: str) -> list:
    """A column of counts or percentages: the number, the suppression symbol, or [z] where none applies."""
    flags = suppressed or [False] * len(values)
    return [
        symbol if flag else (NOT_APPLICABLE if value is None else value)
        for value, flag in zip(values, flags, strict=True)
    ]


def _counts_columns(frame: pl.DataFrame, symbol: str, suppressed: list[bool] | None = None) -> dict[str, list]:
    columns = {heading: _measure(frame[name].to_list(), suppressed, symbol) for name, heading in COUNT_HEADINGS.items()}
    columns[PERCENTAGE_HEADING] = _measure(frame["published_percentage"].to_list(), suppressed, symbol)
    return columns


def _legend(rows: list[list], symbol: str) -> list[str]:
    """Explain any shorthand the table uses, beside the table as the guidance asks."""
    texts = {value for row in rows for value in row if isinstance(value, str)}
    legend = []
    if symbol in texts:
        legend.append(f"{symbol} = withheld to protect the confidentiality of the people in the sample (see notes).")
    if NOT_APPLICABLE in texts:
        legend.append(f"{NOT_APPLICABLE} = not applicable (see notes).")
    return legend


def build_sheets(
    tables: dict[str, pl.DataFrame], framework: Framework, publication: dict
) -> tuple[Cover, dict[str, Sheet]]:
    """The cover and every sheet (name -> Sheet) in workbook order, contents and notes first, as plain values."""
    inspection = check_tables(tables)
    symbol = suppression_symbol(publication)
    pdu, started = inspection["pdu"], month_year(inspection["fieldwork_start"])
    about = f"{pdu} PDU, fieldwork started {started}"
    headline = f"Score {inspection['score']}/{inspection['max_score']}; overall rating {inspection['overall_rating']}."
    sheets: dict[str, Sheet] = {}
    taken = {"Cover", "Contents", "Notes"}

    def add(
        name: str,
        columns: dict[str, list],
        table_name: str,
        title: str,
        subtitles: list[str],
        units: dict[str, str] | None = None,
        column_formats: dict[str, dict] | None = None,
    ) -> None:
        rows = [list(row) for row in zip(*columns.values(), strict=True)]
        if not rows:  # nothing to publish (e.g. a framework with no case characteristics): no sheet
            return
        taken.add(name)
        headers = list(columns)
        sheets[name] = Sheet(
            table_name=table_name,
            title=title,
            subtitles=[s for s in subtitles if s],
            legend=_legend(rows, symbol),
            headers=[f"{h}\n({units[h]})" if units and h in units else h for h in headers],
            rows=rows,
            instructions=INSTRUCTIONS,
            column_formats={headers.index(h): f for h, f in (column_formats or {}).items()},
        )

    # Summary: the inspections row, as published.
    add(
        "Summary",
        {
            "Inspection id": [inspection["inspection_id"]],
            "PDU": [pdu],
            "Region": [inspection["region"]],
            "Fieldwork started": [dt.datetime.combine(inspection["fieldwork_start"], dt.time())],
            "Cases inspected": [inspection["cases"]],
            "Community orders": [inspection["community_orders"]],
            "Releases on licence": [inspection["licences"]],
            "Score": [inspection["score"]],
            "Maximum score": [inspection["max_score"]],
            "Overall rating": [inspection["overall_rating"]],
            "Framework": [inspection["framework"]],
        },
        "inspection_summary",
        f"Inspection summary: {about} $$score$$",
        [headline],
        column_formats={"Fieldwork started": DATE_FORMAT},
    )

    # Ratings: every standard in framework order, then the overall rating as a total row.
    ratings = ordered_ratings(tables, framework)
    rated = ratings.to_dict(as_series=False)
    add(
        "Ratings",
        {
            "Standard id": [*rated["standard_id"], "Overall"],
            "Standard": [*rated["standard_name"], "Overall rating"],
            "Domain": [*rated["domain"], "All standards"],
            "Rated by": [
                *(RATED_BY_LABELS.get(r, r) for r in rated["rated_by"]),
                f"Score out of {inspection['max_score']}",
            ],
            "Rating": [*rated["rating"], inspection["overall_rating"]],
            "Points": [*rated["points"], inspection["score"]],
            "Lowest key question": [*(q or NOT_APPLICABLE for q in rated["lowest_question_id"]), NOT_APPLICABLE],
            "Lowest percentage Yes": [*_measure(rated["lowest_percentage"], None, symbol), NOT_APPLICABLE],
            "Given the sample size": [*sensitivity_column(ratings, framework), NOT_APPLICABLE],
        },
        "ratings",
        f"Ratings of the {ratings.height} standards and overall: {about} $$bands$$$$score$$$$judgement$$"
        "$$sensitivity$$",
        [f"{headline} The last row gives the score (the sum of the points) and the overall rating."],
        units={"Lowest percentage Yes": "%"},
    )

    # One sheet a case-sample standard: its key questions.
    questions = ordered_questions(tables, framework)
    rating_rows: dict[str, dict] = {}
    for r in ratings.iter_rows(named=True):
        rating_rows.setdefault(r["standard_id"], r)
    for standard in case_sample_standards(framework):
        sid, sname = standard["standard_id"], standard["standard_name"]
        own = questions.filter(pl.col("standard_id") == sid)
        rating_row = rating_rows.get(sid, {})
        lowest = rating_row.get("lowest_question_id")
        question_ids = own["question_id"].to_list()
        subtitle = f"Rating: {rating_row.get('rating', 'not rated')}"
        if lowest is not None:
            subtitle += f", driven by the lowest key question {lowest} ({rating_row['lowest_percentage']}% Yes)."
        add(
            sheet_name(sid, sname, taken),
            {
                "Key question id": question_ids,
                "Key question": own["question_text"].to_list(),
                **_counts_columns(own, symbol),
                **key_question_columns(own, publication),
                "Drives the rating": ["Yes" if qid == lowest else "No" for qid in question_ids],
            },
            f"key_questions_{sid.replace('.', '_')}",
            f"{sid} {sname}: percentage of relevant cases answered Yes, by key question: {about} "
            f"$$denominator$$$$rounding$$$$bands$$$$interval$${'$$national$$' if publication.get('national') else ''}",
            [subtitle],
            units={PERCENTAGE_HEADING: "%", "95% interval, lower": "%", "95% interval, upper": "%"},
        )

    # Prompts, when the extract supplied any answers to them.
    prompts = ordered_prompts(tables, framework)
    no_prompts = prompts_statement(prompts, framework)
    if prompts is not None:
        add(
            "Prompts",
            {
                "Standard id": prompts["standard_id"].to_list(),
                "Key question id": prompts["question_id"].to_list(),
                "Prompt id": prompts["prompt_id"].to_list(),
                "Prompt": prompts["prompt_text"].to_list(),
                **_counts_columns(prompts, symbol),
                **interval_columns(prompts),
            },
            "prompts",
            f"Prompts: percentage of relevant cases answered Yes, by prompt: {about} "
            "$$prompts$$$$denominator$$$$rounding$$$$interval$$",
            ["Each prompt is a sub-question of the key question whose id it starts with.", no_prompts],
            units={PERCENTAGE_HEADING: "%", "95% interval, lower": "%", "95% interval, upper": "%"},
        )

    # Unrated measures (management oversight ...), when the extract supplied any.
    if (unrated := ordered_unrated(tables, framework)) is not None:
        add(
            "Other measures",
            {"Measure id": unrated["measure_id"].to_list(), "Measure": unrated["measure_text"].to_list()}
            | _counts_columns(unrated, symbol),
            "other_measures",
            f"Other measures: percentage of relevant cases answered Yes: {about} $$denominator$$$$rounding$$",
            ["Case-level judgements the report quotes, such as management oversight. They do not drive ratings."],
            units={PERCENTAGE_HEADING: "%"},
        )

    # Sample characteristics, with small numbers withheld as in the breakdowns.
    profile = ordered_profile(tables, framework)
    dimensions = profile["dimension"].to_list()
    profile_suppressed = profile["suppressed"].to_list()
    add(
        "Sample",
        {
            "Characteristic": [dimension_label(d) for d in dimensions],
            "Category": [category_label(d, c) for d, c in zip(dimensions, profile["category"].to_list(), strict=True)],
            "Cases": _measure(profile["cases"].to_list(), profile_suppressed, symbol),
        },
        "sample_characteristics",
        f"Sample characteristics: inspected cases by characteristic: {about}"
        + (" $$suppression$$" if any(profile_suppressed) else ""),
        [
            (
                f"{inspection['cases']} cases were inspected: {inspection['community_orders']} community orders and "
                f"{inspection['licences']} releases on licence."
            )
        ],
    )

    # Breakdowns, long: one row a characteristic, category and key question.
    breakdowns = ordered_breakdowns(tables, framework)
    dimensions = breakdowns["dimension"].to_list()
    threshold = suppression_threshold(publication)
    fewer = f"fewer than {threshold}" if threshold is not None else "too few"
    add(
        "Breakdowns",
        {
            "Characteristic": [dimension_label(d) for d in dimensions],
            "Category": [
                category_label(d, c) for d, c in zip(dimensions, breakdowns["category"].to_list(), strict=True)
            ],
            "Standard id": breakdowns["standard_id"].to_list(),
            "Key question id": breakdowns["question_id"].to_list(),
            **_counts_columns(breakdowns, symbol, breakdowns["suppressed"].to_list()),
        },
        "breakdowns",
        f"Key questions by case characteristic: percentage of relevant cases answered Yes: {about} "
        "$$suppression$$$$denominator$$$$rounding$$",
        [
            "One row for each characteristic, category and key question. "
            f"Cells with {fewer} relevant cases, and the further cells needed to protect them, are shown as {symbol}."
        ],
        units={PERCENTAGE_HEADING: "%"},
    )

    notes = _cite_notes(sheets, methodology_notes(framework, publication) + uncertainty_notes(publication))
    contents = Sheet(
        table_name="contents_table",
        title="Table of contents",
        subtitles=[no_prompts] if prompts is None else [],
        legend=[],
        headers=["Sheet name", "Table description"],
        rows=[[Link(name, f"internal:'{name}'!A1"), sheet.description] for name, sheet in sheets.items()],
        instructions=CONTENTS_INSTRUCTIONS,
    )
    notes_sheet = Sheet(
        table_name="notes_table",
        title="Notes",
        subtitles=[],
        legend=[],
        headers=["Note number", "Note title", "Note text"],
        rows=[[number, note.title, note.text] for number, note in enumerate(notes, start=1)],
        instructions=NOTES_INSTRUCTIONS,
    )
    cover = _cover(inspection, framework, publication, no_prompts)
    return cover, {"Contents": contents, "Notes": notes_sheet, **sheets}


def _cover(inspection: dict, framework: Framework, publication: dict, no_prompts: str) -> Cover:
    """The cover: what the workbook holds, this release's facts and revisions, about the data, and contact."""
    intro = [
        (
            f"Data from the inspection of probation services in {inspection['pdu']} probation delivery unit (PDU), "
            f"{inspection['region']}. Fieldwork started {long_date(inspection['fieldwork_start'])}."
        ),
        f"Score {inspection['score']}/{inspection['max_score']}. Overall rating: {inspection['overall_rating']}.",
        (
            "This workbook has one table a worksheet. The Contents worksheet lists them; the Notes worksheet "
            "explains the notes referred to as [note n] in table titles."
        ),
        no_prompts,
    ]
    about_data = [
        f"Source: {publication.get('source', 'not stated')}.",
        f"Publisher: {publication.get('publisher', 'not stated')}.",
        f"Inspection framework: {framework.name} ({framework.id}, version {framework.version}).",
        (
            f"Shorthand: {suppression_symbol(publication)} = withheld to protect the confidentiality of the people "
            f"in the sample; {NOT_APPLICABLE} = not applicable."
        ),
        f"Licence: {publication.get('licence', 'not stated')}.",
        f"Inspection id: {inspection['inspection_id']}. Data fingerprint (sha256): {inspection['fingerprint']}.",
    ]
    sections: list[tuple[str, list]] = [("Introductory information", intro)]
    release = release_facts(publication)
    if release is not None:
        sections.append(("Release", _release_lines(release)))
        if release.revisions:
            sections.append(("Revisions", [f"{long_date(r.date)}: {r.note}" for r in release.revisions]))
    sections += [("About these data", about_data), ("Contact", _contact(publication))]
    return Cover(title=annexe_title(inspection), sections=sections)


def _release_lines(release: Release) -> list[str | Link]:
    """The release facts a line each; the report's address is a link only when it is a web address."""
    lines: list[str | Link] = [f"{label}: {text}" for label, text in release.facts()]
    if release.report_url:
        text = f"Inspection report: {release.report_url}"
        lines.append(Link(text, release.report_link) if release.report_link else text)
    return lines


def _cite_notes(sheets: dict[str, Sheet], notes: list[Note]) -> list[Note]:
    """Number the notes in order of first reference and put '[note n]' at the end of each title for its $$ref$$s."""
    order = list(dict.fromkeys(ref for sheet in sheets.values() for ref in NOTE_REF.findall(sheet.title)))
    by_ref = {note.ref: note for note in notes}
    missing = [ref for ref in order if ref not in by_ref]
    if missing:
        raise ValueError(f"table titles refer to notes that do not exist: {', '.join(missing)}")
    number = {ref: n for n, ref in enumerate(order, start=1)}
    for sheet in sheets.values():
        cited = sorted({number[ref] for ref in NOTE_REF.findall(sheet.title)})
        sheet.description = NOTE_REF.sub("", sheet.title).rstrip()
        sheet.title = sheet.description + (" " if cited else "") + "".join(f"[note {n}]" for n in cited)
    return [by_ref[ref] for ref in order]


def _contact(publication: dict) -> list[str | Link]:
    contact: list[str | Link] = []
    if publication.get("contact_name"):
        contact.append(str(publication["contact_name"]))
    if publication.get("contact_email"):
        email = str(publication["contact_email"])
        contact.append(Link(f"Email: {email}", f"mailto:{email}"))
    return contact or ["No contact given."]


def spreadsheet_bytes(tables: dict[str, pl.DataFrame], framework: Framework, publication: dict) -> bytes:
    """The data annexe of one inspection as an accessible .xlsx workbook."""
    cover, sheets = build_sheets(tables, framework, publication)
    inspection = tables["inspections"].row(0, named=True)
    release = release_facts(publication)
    # Created on the publication date when it is given, so that the same inputs give the same bytes.
    created = release.published_on if release is not None else dt.date.today()
    properties = {
        "title": annexe_title(inspection),
        "author": str(publication.get("publisher", "")),
        "subject": f"Probation inspection data annexe: {inspection['inspection_id']}",
        "keywords": "probation, inspection, ratings, data annexe",
        "comments": f"Data fingerprint (sha256): {inspection['fingerprint']}",
        "created": dt.datetime.combine(created, dt.time()),
    }
    return workbook_bytes(cover, sheets, properties, LANGUAGE)
