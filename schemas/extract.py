"""Checks on one inspection's extract (manifest and cases), reported as quarantine rows in plain words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pandera.polars as pa
import polars as pl

from schemas.cases import cases_schema, unknown_question_columns
from transforms.framework import RATINGS, Framework, FrameworkError
from transforms.ratings import unratable_standards
from transforms.results import key_question_results

INSPECTION_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MANIFEST_FILE = "inspection.toml"
MANIFEST_KEYS = ("inspection_id", "framework", "pdu", "region", "fieldwork_start", "organisational_ratings")
PROBLEM_SCHEMA = {
    "inspection_id": pl.String, "file": pl.String, "row": pl.Int64, "case_id": pl.String,
    "column": pl.String, "value": pl.String, "check": pl.String, "message": pl.String,
}


def problem(inspection_id: str, file: str, check: str, message: str, *, row=None, case_id=None, column=None,
            value=None) -> dict:
    """One quarantine row."""
    return {"inspection_id": inspection_id, "file": file, "row": row, "case_id": case_id, "column": column,
            "value": None if value is None else str(value), "check": check, "message": message}


def problems_frame(problems: list[dict]) -> pl.DataFrame:
    """Quarantine rows as a frame (possibly empty)."""
    return pl.DataFrame(problems, schema=PROBLEM_SCHEMA)


def check_manifest(manifest: dict, folder: str, load: Callable[[str], Framework]) -> tuple[list[dict], Framework | None]:
    """Problems with inspection.toml, and its framework when that could be loaded."""
    file = f"{folder}/{MANIFEST_FILE}"
    found: list[dict] = []

    def add(check: str, message: str, column: str | None = None, value=None) -> None:
        found.append(problem(folder, file, check, message, column=column, value=value))

    if not INSPECTION_ID.match(folder):
        add("folder_name", f"folder name {folder!r} is not a valid inspection id: use lower-case letters, digits "
            "and hyphens only, e.g. dyfed-powys-2025")
    for key in MANIFEST_KEYS:
        if key not in manifest:
            add("required_key", f"{MANIFEST_FILE} has no {key!r}: add it (see extract contract v1)", column=key)
    declared = manifest.get("inspection_id")
    if declared is not None and declared != folder:
        add("id_matches_folder", f"inspection_id {declared!r} does not match its folder name {folder!r}: "
            "rename the folder or correct the id", column="inspection_id", value=declared)
    for key in ("pdu", "region"):
        if key in manifest and (not isinstance(manifest[key], str) or not manifest[key].strip()):
            add("text", f"{key} must be non-empty text", column=key, value=manifest[key])
    start = manifest.get("fieldwork_start")
    if start is not None and (not isinstance(start, dt.date) or isinstance(start, dt.datetime)):
        add("date", f"fieldwork_start must be a TOML date without quotes, e.g. 2025-08-11; found {start!r}",
            column="fieldwork_start", value=start)

    framework = None
    if "framework" in manifest:
        try:
            framework = load(str(manifest["framework"]))
        except FrameworkError as error:
            add("known_framework", f"framework {manifest['framework']!r} cannot be used: {error}",
                column="framework", value=manifest["framework"])

    ratings = manifest.get("organisational_ratings")
    if ratings is not None and not isinstance(ratings, dict):
        add("organisational_ratings", "organisational_ratings must be a table of standard id = rating",
            column="organisational_ratings")
    elif ratings is not None and framework is not None:
        judged = framework.judged_standard_ids
        names = dict(framework.standards.select("standard_id", "standard_name").iter_rows())
        for standard_id in judged:
            if standard_id not in ratings:
                add("organisational_ratings", f"no rating given for judged standard {standard_id} "
                    f"({names[standard_id]}): add \"{standard_id}\" = \"<rating>\" to [organisational_ratings]",
                    column=f"organisational_ratings.{standard_id}")
        for standard_id, rating in ratings.items():
            if standard_id not in judged:
                how = "rated from the case sample" if standard_id in names else "not a standard of this framework"
                add("organisational_ratings", f"{standard_id} is {how}: only {', '.join(judged)} take a rating "
                    "in the manifest", column=f"organisational_ratings.{standard_id}", value=rating)
            elif rating not in RATINGS:
                add("rating_label", f"{rating!r} is not a rating: use exactly one of {', '.join(RATINGS)}",
                    column=f"organisational_ratings.{standard_id}", value=rating)
    return found, framework


def _describe_failure(check: str, column: str | None, value, framework: Framework) -> tuple[str, str]:
    """A short check name and a sentence for one Pandera failure."""
    if check == "column_in_dataframe":
        return "required_column", (f"column {value} is missing: every key question of framework {framework.id} "
                                   "needs a column of answers")
    if check == "not_nullable":
        if column == "case_id":
            return "no_blanks", "case_id is blank: every case needs its pseudonymous reference"
        return "no_blanks", f"{column} is blank: the inspector must record Yes, No or N/A explicitly" if (
            column in framework.question_ids or column in framework.prompt_ids
        ) else f"{column} is blank: give one of {', '.join(framework.case_characteristics.get(column, []))}"
    if check == "field_uniqueness":
        return "unique_case_id", f"case_id {value!r} appears more than once: each case must be listed once"
    if check.startswith("isin"):
        allowed = (list(framework.answers) if column in framework.question_ids or column in framework.prompt_ids
                   else framework.case_characteristics.get(column, []))
        return "allowed_values", f"{value!r} is not allowed in {column}: use one of {', '.join(allowed)}"
    if check.startswith("dtype"):
        return "type", f"column {column} has the wrong type ({value}): it must be text"
    return check, f"{column}: check {check} failed for {value!r}"


def check_cases(cases: pl.DataFrame, framework: Framework, inspection_id: str, file: str,
                header_rows: int) -> list[dict]:
    """Problems within the cases file: Pandera checks (all reported at once) and unknown question columns."""
    found = []
    for column in unknown_question_columns(cases.columns, framework):
        found.append(problem(inspection_id, file, "known_question", f"column {column} is not a key question or "
                             f"prompt of framework {framework.id}: remove it or correct its id", column=column))
    try:
        cases_schema(framework).validate(cases, lazy=True)
    except pa.errors.SchemaErrors as errors:
        case_ids = cases["case_id"] if "case_id" in cases.columns else None
        for failure in errors.failure_cases.iter_rows(named=True):
            index, column, value = failure["index"], failure["column"], failure["failure_case"]
            check, message = _describe_failure(failure["check"], column, value, framework)
            found.append(problem(
                inspection_id, file, check, message,
                row=None if index is None else index + header_rows + 1,
                case_id=None if index is None or case_ids is None else case_ids[index],
                column=value if check == "required_column" else column,
                value=None if check == "required_column" else value,
            ))
    return found


BATCH_KEY = "__annexe_inspection__"


def check_cases_many(extracts: list[tuple[str, pl.DataFrame, str, int]], framework: Framework) -> dict[str, list[dict]]:
    """check_cases for many inspections with one Pandera call per column layout: the same problems, faster.

    `extracts` are (inspection_id, cases, file, header_rows). Pandera's cost is per call rather than per row,
    so inspections with the same columns are validated as one frame (case ids unique per inspection); only
    those that fail there are checked again one by one, which gives each its own rows and messages.
    """
    found: dict[str, list[dict]] = {inspection_id: [] for inspection_id, *_ in extracts}
    schema = cases_schema(framework)
    columns = dict(schema.columns)
    columns["case_id"] = pa.Column(pl.String, nullable=False)
    batch_schema = pa.DataFrameSchema(columns, strict=False, unique=[BATCH_KEY, "case_id"], name=schema.name)
    layouts: dict[tuple, list] = {}
    for extract in extracts:
        layouts.setdefault(tuple(extract[1].schema.items()), []).append(extract)
    for members in layouts.values():
        recheck = members
        if not unknown_question_columns(members[0][1].columns, framework) and BATCH_KEY not in members[0][1].columns:
            frame = pl.concat([cases.with_columns(pl.lit(inspection_id).alias(BATCH_KEY))
                               for inspection_id, cases, _, _ in members])
            try:
                batch_schema.validate(frame, lazy=True)
                recheck = []
            except pa.errors.SchemaErrors as errors:
                indices = errors.failure_cases["index"]
                if indices.null_count() == 0:  # row-level failures only: recheck just the inspections they are in
                    failing = set(frame[BATCH_KEY].gather(indices.cast(pl.UInt32).unique()).to_list())
                    recheck = [m for m in members if m[0] in failing]
        for inspection_id, cases, file, header_rows in recheck:
            found[inspection_id] = check_cases(cases, framework, inspection_id, file, header_rows)
    return found


def check_ratable_many(cases: pl.DataFrame, framework: Framework, files: dict[str, str]) -> dict[str, list[dict]]:
    """check_ratable for many inspections at once (cases carry inspection_id)."""
    results = key_question_results(cases, framework)
    names = dict(framework.standards.select("standard_id", "standard_name").iter_rows())
    found: dict[str, list[dict]] = {}
    for inspection_id, standard_id in unratable_standards(results, framework).iter_rows():
        found.setdefault(inspection_id, []).append(problem(
            inspection_id, files[inspection_id], "ratable_standard",
            f"standard {standard_id} ({names[standard_id]}) cannot be rated: every case is N/A for all its "
            "key questions", column=standard_id))
    return found


def check_ratable(cases: pl.DataFrame, framework: Framework, inspection_id: str, file: str) -> list[dict]:
    """A case-sample standard with no relevant case in any key question cannot be rated."""
    cases = cases.with_columns(inspection_id=pl.lit(inspection_id))
    return check_ratable_many(cases, framework, {inspection_id: file}).get(inspection_id, [])
