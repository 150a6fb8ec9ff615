"""The accessible spreadsheet of the data annexe, built with gptables.

It follows "Releasing statistics in spreadsheets": a cover sheet, a contents sheet and a notes sheet
come first, then one table a worksheet. gptables writes each table's title in A1 with its subtitles,
instructions and legend on the rows straight below and the table itself (one header row, marked as an
Excel table) straight after them: no blank rows, no merged cells, no colour carrying meaning. Notes
are referred to from table titles as [note n] and explained on the notes sheet; withheld figures are
shown as the publication's shorthand ([c]) and figures that do not apply as [z].
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

import gptables as gpt
import pandas as pd
import polars as pl

from flows.render.common import (
    NOT_APPLICABLE,
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
    suppression_symbol,
    suppression_threshold,
)
from transforms.framework import Framework

MAX_SHEET_NAME = 31
COUNT_HEADINGS = {"yes": "Yes", "no": "No", "not_applicable": "N/A", "relevant_cases": "Relevant cases"}
PERCENTAGE_HEADING = "Percentage Yes"
INSTRUCTIONS = (
    "This worksheet contains one table. Notes referred to as [note n] in the title are on the Notes worksheet."
)


def sheet_name(standard_id: str, standard_name: str, taken: set[str]) -> str:
    """A unique worksheet name under 32 characters, e.g. 'P2.3_Implementation'."""
    words = re.findall(r"[A-Za-z0-9]+", standard_name)
    base = f"{standard_id}_{words[0]}" if words else standard_id
    base = re.sub(r"[\[\]:*?/\\']", "_", base)[:MAX_SHEET_NAME]
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f"_{n}"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def _measure(values: list, suppressed: list[bool] | None, symbol: str) -> list:
    """A column of counts or percentages: the number, the suppression symbol, or [z] where none applies."""
    flags = suppressed or [False] * len(values)
    return [symbol if flag else (NOT_APPLICABLE if value is None else value) for value, flag in zip(values, flags)]


def _counts_columns(frame: pl.DataFrame, symbol: str, suppressed: list[bool] | None = None) -> dict[str, list]:
    columns = {heading: _measure(frame[name].to_list(), suppressed, symbol) for name, heading in COUNT_HEADINGS.items()}
    columns[PERCENTAGE_HEADING] = _measure(frame["published_percentage"].to_list(), suppressed, symbol)
    return columns


def _pandas(frame: pl.DataFrame, measures: dict[str, list] | None = None) -> pd.DataFrame:
    """A pandas frame for gptables: the polars columns, then measure columns that may mix numbers and shorthand."""
    table = frame.to_pandas()
    for heading, values in (measures or {}).items():
        table[heading] = pd.Series(values, dtype=object)
    return table


def _uses(table: pd.DataFrame, symbol: str) -> bool:
    return bool(table.isin([symbol]).any().any())


def _legend(table: pd.DataFrame, symbol: str) -> list[str]:
    """Explain any shorthand the table uses, beside the table as the guidance asks."""
    legend = []
    if _uses(table, symbol):
        legend.append(f"{symbol} = withheld because there were too few relevant cases (see notes).")
    if _uses(table, NOT_APPLICABLE):
        legend.append(f"{NOT_APPLICABLE} = not applicable (see notes).")
    return legend


def build_sheets(
    tables: dict[str, pl.DataFrame], framework: Framework, publication: dict
) -> tuple[dict[str, gpt.GPTable], gpt.Cover, pd.DataFrame]:
    """The table sheets (name -> GPTable), the cover and the notes table of the annexe spreadsheet."""
    inspection = check_tables(tables)
    symbol = suppression_symbol(publication)
    pdu, started = inspection["pdu"], month_year(inspection["fieldwork_start"])
    about = f"{pdu} PDU, fieldwork started {started}"
    sheets: dict[str, gpt.GPTable] = {}
    taken = {"Cover", "Contents", "Notes"}

    def add(name: str, table: pd.DataFrame, table_name: str, title: str, subtitles: list[str], **kwargs) -> None:
        if table.empty:  # nothing to publish (e.g. a framework with no case characteristics): no sheet
            return
        taken.add(name)
        sheets[name] = gpt.GPTable(
            table=table, table_name=table_name, title=title, subtitles=subtitles, instructions=INSTRUCTIONS,
            legend=_legend(table, symbol), index_columns={}, **kwargs,
        )

    # Summary: the inspections row, as published.
    summary = pl.DataFrame(
        {
            "Inspection id": [inspection["inspection_id"]],
            "PDU": [pdu],
            "Region": [inspection["region"]],
            "Fieldwork started": [inspection["fieldwork_start"]],
            "Cases inspected": [inspection["cases"]],
            "Community orders": [inspection["community_orders"]],
            "Releases on licence": [inspection["licences"]],
            "Score": [inspection["score"]],
            "Maximum score": [inspection["max_score"]],
            "Overall rating": [inspection["overall_rating"]],
            "Framework": [inspection["framework"]],
        }
    )
    summary_pd = _pandas(summary)
    summary_pd["Fieldwork started"] = pd.Series(
        [dt.datetime.combine(inspection["fieldwork_start"], dt.time())], dtype=object
    )
    add(
        "Summary", summary_pd, "inspection_summary",
        f"Inspection summary: {about} $$score$$",
        [f"Score {inspection['score']}/{inspection['max_score']}; overall rating {inspection['overall_rating']}."],
        additional_formatting=[{"column": {"columns": ["Fieldwork started"], "format": {"num_format": "d mmmm yyyy"}}}],
    )

    # Ratings: every standard in framework order, then the overall rating as a total row.
    ratings = ordered_ratings(tables, framework)
    rows = [
        {
            "Standard id": r["standard_id"],
            "Standard": r["standard_name"],
            "Domain": r["domain"],
            "Rated by": RATED_BY_LABELS.get(r["rated_by"], r["rated_by"]),
            "Rating": r["rating"],
            "Points": r["points"],
            "Lowest key question": r["lowest_question_id"] or NOT_APPLICABLE,
            "Lowest percentage Yes": NOT_APPLICABLE if r["lowest_percentage"] is None else r["lowest_percentage"],
        }
        for r in ratings.iter_rows(named=True)
    ]
    rows.append(
        {
            "Standard id": "Overall", "Standard": "Overall rating", "Domain": "All standards",
            "Rated by": f"Score out of {inspection['max_score']}", "Rating": inspection["overall_rating"],
            "Points": inspection["score"], "Lowest key question": NOT_APPLICABLE,
            "Lowest percentage Yes": NOT_APPLICABLE,
        }
    )
    ratings_pd = pd.DataFrame(rows, dtype=object)
    add(
        "Ratings", ratings_pd, "ratings",
        f"Ratings of the {ratings.height} standards and overall: {about} $$bands$$$$score$$$$judgement$$",
        [
            (f"Score {inspection['score']}/{inspection['max_score']}; overall rating {inspection['overall_rating']}. "
            "The last row gives the score (the sum of the points) and the overall rating."),
        ],
        units={"Lowest percentage Yes": "%"},
    )

    # One sheet a case-sample standard: its key questions.
    questions = ordered_questions(tables, framework)
    for standard in case_sample_standards(framework):
        sid, sname = standard["standard_id"], standard["standard_name"]
        own = questions.filter(pl.col("standard_id") == sid)
        rating = ratings.filter(pl.col("standard_id") == sid)
        rating_row = rating.row(0, named=True) if rating.height else {}
        lowest = rating_row.get("lowest_question_id")
        table = _pandas(
            own.select(pl.col("question_id").alias("Key question id"), pl.col("question_text").alias("Key question")),
            {
                **_counts_columns(own, symbol),
                "Drives the rating": ["Yes" if qid == lowest else "No" for qid in own["question_id"].to_list()],
            },
        )
        subtitle = f"Rating: {rating_row.get('rating', 'not rated')}"
        if lowest is not None:
            subtitle += f", driven by the lowest key question {lowest} ({rating_row['lowest_percentage']}% Yes)."
        add(
            sheet_name(sid, sname, taken), table, f"key_questions_{sid.replace('.', '_')}",
            f"{sid} {sname}: percentage of relevant cases answered Yes, by key question: {about} "
            "$$denominator$$$$rounding$$$$bands$$",
            [subtitle],
            units={PERCENTAGE_HEADING: "%"},  # a new dict each time: gptables rewrites it
        )

    # Prompts.
    prompts = ordered_prompts(tables, framework)
    if prompts.height:
        table = _pandas(
            prompts.select(
                pl.col("standard_id").alias("Standard id"),
                pl.col("question_id").alias("Key question id"),
                pl.col("prompt_id").alias("Prompt id"),
                pl.col("prompt_text").alias("Prompt"),
            ),
            _counts_columns(prompts, symbol),
        )
        add(
            "Prompts", table, "prompts",
            f"Prompts: percentage of relevant cases answered Yes, by prompt: {about} "
            "$$prompts$$$$denominator$$$$rounding$$",
            ["Each prompt is a sub-question of the key question whose id it starts with."],
            units={PERCENTAGE_HEADING: "%"},  # a new dict each time: gptables rewrites it
        )

    # Sample characteristics.
    profile = ordered_profile(tables, framework)
    table = pd.DataFrame(
        {
            "Characteristic": [dimension_label(d) for d in profile["dimension"].to_list()],
            "Category": [category_label(d, c) for d, c in zip(profile["dimension"], profile["category"])],
            "Cases": profile["cases"].to_list(),
        }
    )
    add(
        "Sample", table, "sample_characteristics",
        f"Sample characteristics: inspected cases by characteristic: {about}",
        [(f"{inspection['cases']} cases were inspected: {inspection['community_orders']} community orders and "
         f"{inspection['licences']} releases on licence.")],
    )

    # Breakdowns, long: one row a characteristic, category and key question.
    breakdowns = ordered_breakdowns(tables, framework)
    suppressed = breakdowns["suppressed"].to_list()
    table = _pandas(
        pl.DataFrame(
            {
                "Characteristic": [dimension_label(d) for d in breakdowns["dimension"].to_list()],
                "Category": [category_label(d, c) for d, c in zip(breakdowns["dimension"], breakdowns["category"])],
                "Standard id": breakdowns["standard_id"].to_list(),
                "Key question id": breakdowns["question_id"].to_list(),
            },
            schema={"Characteristic": pl.String, "Category": pl.String, "Standard id": pl.String,
                    "Key question id": pl.String},
        ),
        _counts_columns(breakdowns, symbol, suppressed),
    )
    threshold = suppression_threshold(publication)
    add(
        "Breakdowns", table, "breakdowns",
        f"Key questions by case characteristic: percentage of relevant cases answered Yes: {about} "
        "$$suppression$$$$denominator$$$$rounding$$",
        [
            "One row for each characteristic, category and key question. "
            + (f"Cells with fewer than {threshold} relevant cases are shown as {symbol}." if threshold is not None
               else f"Cells with too few relevant cases are shown as {symbol}.")
        ],
        units={PERCENTAGE_HEADING: "%"},  # a new dict each time: gptables rewrites it
    )

    cover = gpt.Cover(
        title=annexe_title(inspection),
        intro=[
            (f"Data from the inspection of probation services in {pdu} probation delivery unit (PDU), "
            f"{inspection['region']}. Fieldwork started {long_date(inspection['fieldwork_start'])}."),
            f"Score {inspection['score']}/{inspection['max_score']}. Overall rating: {inspection['overall_rating']}.",
            ("This workbook has one table a worksheet. The Contents worksheet lists them; the Notes worksheet "
            "explains the notes referred to as [note n] in table titles."),
        ],
        about=[
            f"Source: {publication.get('source', 'not stated')}.",
            f"Publisher: {publication.get('publisher', 'not stated')}.",
            f"Inspection framework: {framework.name} ({framework.id}, version {framework.version}).",
            (f"Shorthand: {symbol} = withheld because there were too few relevant cases; "
            f"{NOT_APPLICABLE} = not applicable."),
            f"Licence: {publication.get('licence', 'not stated')}.",
            f"Inspection id: {inspection['inspection_id']}. Data fingerprint (sha256): {inspection['fingerprint']}.",
        ],
        contact=_contact(publication),
    )
    # Only the notes some table refers to (gptables numbers them in order of first reference).
    cited = {ref for sheet in sheets.values() for ref in re.findall(r"\$\$(.+?)\$\$", sheet.title)}
    used = [n for n in methodology_notes(framework, publication) if n.ref in cited]
    notes = pd.DataFrame(
        {
            "Note reference": [n.ref for n in used],
            "Note title": [n.title for n in used],
            "Note text": [n.text for n in used],
        }
    )
    return sheets, cover, notes


def _contact(publication: dict) -> list:
    contact = []
    if publication.get("contact_name"):
        contact.append(str(publication["contact_name"]))
    if publication.get("contact_email"):
        email = str(publication["contact_email"])
        contact.append(f"Email: [{email}](mailto:{email})")
    return contact or ["No contact given."]


def spreadsheet_bytes(tables: dict[str, pl.DataFrame], framework: Framework, publication: dict) -> bytes:
    """The data annexe of one inspection as an accessible .xlsx workbook."""
    sheets, cover, notes = build_sheets(tables, framework, publication)
    inspection = tables["inspections"].row(0, named=True)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # gptables warns about notes it was given but that no title references; every note is referenced.
        warnings.simplefilter("error", UserWarning)
        workbook = gpt.produce_workbook(
            filename=buffer,
            sheets=sheets,
            cover=cover,
            contentsheet_label="Contents",
            contentsheet_options={
                "title": "Table of contents",
                "column_names": ["Sheet name", "Table description"],
                "instructions": "This worksheet contains one table. Select a sheet name to go to it.",
            },
            notes_table=notes,
            notesheet_label="Notes",
            notesheet_options={
                "title": "Notes",
                "instructions": "This worksheet contains one table. Tables refer to these notes as [note n].",
            },
            workbook_options={"in_memory": True},
        )
    # Fixed document properties: the same inputs give the same bytes.
    workbook.set_properties(
        {
            "title": annexe_title(inspection),
            "author": str(publication.get("publisher", "")),
            "subject": f"Probation inspection data annexe: {inspection['inspection_id']}",
            "keywords": "probation, inspection, ratings, data annexe",
            "comments": f"Data fingerprint (sha256): {inspection['fingerprint']}",
            "created": dt.datetime.combine(inspection["fieldwork_start"], dt.time()),
        }
    )
    workbook.close()
    return buffer.getvalue()
