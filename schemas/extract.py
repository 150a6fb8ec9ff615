"""Checks on one inspection's extract (manifest and cases), reported as quarantine rows in plain words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandera.polars as pa
import polars as pl

from schemas.cases import cases_schema, unknown_question_columns
from schemas.contract import MANIFEST_FILE, MANIFEST_KEYS, MAX_TEXT_LENGTH
from schemas.quarantine import problem
from transforms.applicability import applicability_violations
from transforms.framework import RATINGS, Framework, FrameworkError
from transforms.ratings import unratable_standards
from transforms.results import key_question_results


def check_manifest(
    manifest: dict, folder: str, load: Callable[[str], Framework]
) -> tuple[list[dict], Framework | None]:
    """Problems with inspection.toml, and its framework when that could be loaded."""
    file = f"{folder}/{MANIFEST_FILE}"
    found: list[dict] = []

    def add(check: str, message: str, column: str | None = None, value=None) -> None:
        found.append(problem(folder, file, check, message, column=column, value=value))

    for key in MANIFEST_KEYS:
        if key not in manifest:
            add("required_key", f"{MANIFEST_FILE} has no {key!r}: add it (see extract contract v1)", column=key)
    declared = manifest.get("inspection_id")
    if declared is not None and declared != folder:
        add(
            "id_matches_folder",
            f"inspection_id {declared!r} does not match its folder name {folder!r}: "
            "rename the folder or correct the id",
            column="inspection_id",
            value=declared,
        )
    for key in ("pdu", "region"):
        if key in manifest and (not isinstance(manifest[key], str) or not manifest[key].strip()):
            add("text", f"{key} must be non-empty text", column=key, value=manifest[key])
        elif key in manifest and len(manifest[key]) > MAX_TEXT_LENGTH:
            add(
                "text",
                f"{key} is {len(manifest[key])} characters long: at most {MAX_TEXT_LENGTH} (extract contract)",
                column=key,
                value=manifest[key][:MAX_TEXT_LENGTH],
            )
    start = manifest.get("fieldwork_start")
    if start is not None and (not isinstance(start, dt.date) or isinstance(start, dt.datetime)):
        add(
            "date",
            f"fieldwork_start must be a TOML date without quotes, e.g. 2025-08-11; found {start!r}",
            column="fieldwork_start",
            value=start,
        )

    framework = None
    if "framework" in manifest:
        try:
            framework = load(str(manifest["framework"]))
        except FrameworkError as error:
            add(
                "known_framework",
                f"framework {str(manifest['framework'])[:80]!r} cannot be used: {error}",
                column="framework",
                value=manifest["framework"],
            )
    if framework is not None and isinstance(start, dt.date) and not isinstance(start, dt.datetime):
        for message in _fieldwork_problems(start, framework):
            add("fieldwork_date", message, column="fieldwork_start", value=start)

    ratings = manifest.get("organisational_ratings")
    if ratings is not None and not isinstance(ratings, dict):
        add(
            "organisational_ratings",
            "organisational_ratings must be a table of standard id = rating",
            column="organisational_ratings",
        )
    elif ratings is not None and framework is not None:
        judged = framework.judged_standard_ids
        names = dict(framework.standards.select("standard_id", "standard_name").iter_rows())
        for standard_id in judged:
            if standard_id not in ratings:
                add(
                    "organisational_ratings",
                    f"no rating given for judged standard {standard_id} "
                    f'({names[standard_id]}): add "{standard_id}" = "<rating>" to [organisational_ratings]',
                    column=f"organisational_ratings.{standard_id}",
                )
        for standard_id, rating in ratings.items():
            if standard_id not in judged:
                how = "rated from the case sample" if standard_id in names else "not a standard of this framework"
                add(
                    "organisational_ratings",
                    f"{standard_id} is {how}: only {', '.join(judged)} take a rating in the manifest",
                    column=f"organisational_ratings.{standard_id}",
                    value=rating,
                )
            elif rating not in RATINGS:
                add(
                    "rating_label",
                    f"{rating!r} is not a rating: use exactly one of {', '.join(RATINGS)}",
                    column=f"organisational_ratings.{standard_id}",
                    value=rating,
                )
    return found, framework


def _fieldwork_problems(start: dt.date, framework: Framework) -> list[str]:
    """A fieldwork start in the future, or before its framework applied, is a typing slip: it would be published."""
    today = dt.date.today()
    if start > today:
        return [f"fieldwork_start {start} is in the future (today is {today}): give the date fieldwork began"]
    if framework.earliest_fieldwork and start < framework.earliest_fieldwork:
        return [
            f"fieldwork_start {start} is before framework {framework.id} applied (from "
            f"{framework.earliest_fieldwork}): correct the date or the framework"
        ]
    return []


def check_sample_size(cases: pl.DataFrame, minimum: int, inspection_id: str, file: str) -> list[dict]:
    """Too few cases to publish: the figures would be a handful of people's answers."""
    if cases.height >= minimum:
        return []
    name = file.rsplit("/", 1)[-1]
    return [
        problem(
            inspection_id,
            file,
            "sample_size",
            f"{name} has {cases.height} case(s): at least {minimum} are "
            "needed to publish (publication setting [sample] minimum_cases)",
            value=cases.height,
        )
    ]


def _describe_failure(check: str, column: str | None, value, framework: Framework) -> tuple[str, str]:
    """A short check name and a sentence for one Pandera failure."""
    if check == "column_in_dataframe":
        if value in framework.case_characteristics:
            return "required_column", (
                f"column {value} is missing: every case needs its {value} (one of "
                f"{', '.join(framework.case_characteristics[value])})"
            )
        if value == "case_id":
            return "required_column", "column case_id is missing: every case needs its pseudonymous reference"
        return "required_column", (
            f"column {value} is missing: every key question of framework {framework.id} needs a column of answers"
        )
    if check == "not_nullable":
        if column == "case_id":
            return "no_blanks", "case_id is blank: every case needs its pseudonymous reference"
        return "no_blanks", f"{column} is blank: the inspector must record Yes, No or N/A explicitly" if (
            column in framework.question_ids or column in framework.prompt_ids or column in framework.unrated_ids
        ) else f"{column} is blank: give one of {', '.join(framework.case_characteristics.get(column, []))}"
    if check == "field_uniqueness":
        return "unique_case_id", f"case_id {value!r} appears more than once: each case must be listed once"
    if check.startswith("isin"):
        allowed = (
            list(framework.answers)
            if column in framework.question_ids or column in framework.prompt_ids or column in framework.unrated_ids
            else framework.case_characteristics.get(column, [])
        )
        return "allowed_values", f"{value!r} is not allowed in {column}: use one of {', '.join(allowed)}"
    if check.startswith("dtype"):
        return "type", f"column {column} has the wrong type ({value}): it must be text"
    return check, f"{column}: check {check} failed for {value!r}"


def check_cases(
    cases: pl.DataFrame, framework: Framework, inspection_id: str, file: str, header_rows: int
) -> list[dict]:
    """Problems within the cases file: Pandera checks (all reported at once) and unknown question columns."""
    found = []
    for column in unknown_question_columns(cases.columns, framework):
        found.append(
            problem(
                inspection_id,
                file,
                "known_question",
                f"column {column} is not a key question, prompt or "
                f"unrated measure of framework {framework.id}: remove it or correct its id",
                column=column,
            )
        )
    try:
        cases_schema(framework).validate(cases, lazy=True)
    except pa.errors.SchemaErrors as errors:
        case_ids = cases["case_id"] if "case_id" in cases.columns else None
        for failure in errors.failure_cases.iter_rows(named=True):
            index, column, value = failure["index"], failure["column"], failure["failure_case"]
            check, message = _describe_failure(failure["check"], column, value, framework)
            found.append(
                problem(
                    inspection_id,
                    file,
                    check,
                    message,
                    row=None if index is None else index + header_rows + 1,
                    case_id=None if index is None or case_ids is None else case_ids[index],
                    column=value if check == "required_column" else column,
                    value=None if check == "required_column" else value,
                )
            )
    return found + check_applicability(cases, framework, inspection_id, file, header_rows)


def check_applicability(
    cases: pl.DataFrame, framework: Framework, inspection_id: str, file: str, header_rows: int
) -> list[dict]:
    """A Yes or No where the framework says the question does not apply to the case (e.g. adjusted standards)."""
    return [
        problem(
            inspection_id,
            file,
            "applies_to_case",
            f"{v['column']} is {v['value']!r} for a case with {v['case_type']}, but under framework {framework.id} "
            f"it applies only to cases with {v['applies_to']}: record N/A, or correct the case's details",
            row=v["row_index"] + header_rows + 1,
            case_id=v["case_id"],
            column=v["column"],
            value=v["value"],
        )
        for v in applicability_violations(cases, framework).iter_rows(named=True)
    ]


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
            frame = pl.concat(
                [cases.with_columns(pl.lit(inspection_id).alias(BATCH_KEY)) for inspection_id, cases, _, _ in members]
            )
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
        for inspection_id, cases, file, header_rows in members:
            if all(m[0] != inspection_id for m in recheck):  # passed as a batch: only applicability is left
                found[inspection_id] = check_applicability(cases, framework, inspection_id, file, header_rows)
    return found


def check_ratable_many(cases: pl.DataFrame, framework: Framework, files: dict[str, str]) -> dict[str, list[dict]]:
    """check_ratable for many inspections at once (cases carry inspection_id)."""
    results = key_question_results(cases, framework)
    names = dict(framework.standards.select("standard_id", "standard_name").iter_rows())
    found: dict[str, list[dict]] = {}
    for inspection_id, standard_id in unratable_standards(results, framework).iter_rows():
        found.setdefault(inspection_id, []).append(
            problem(
                inspection_id,
                files[inspection_id],
                "ratable_standard",
                f"standard {standard_id} ({names[standard_id]}) cannot be rated: every case is N/A for all its "
                "key questions",
                column=standard_id,
            )
        )
    return found


def check_ratable(cases: pl.DataFrame, framework: Framework, inspection_id: str, file: str) -> list[dict]:
    """A case-sample standard with no relevant case in any key question cannot be rated."""
    cases = cases.with_columns(inspection_id=pl.lit(inspection_id))
    return check_ratable_many(cases, framework, {inspection_id: file}).get(inspection_id, [])


def check_extract(
    inspection_id: str,
    manifest: dict | None,
    cases: pl.DataFrame | None,
    cases_file: str | None,
    header_rows: int,
    read_problems: list[dict],
    load,
    *,
    minimum_cases: int,
) -> tuple[list[dict], Framework | None]:
    """Every problem with one extract (reading, manifest, sample size, cases, ratability) and its framework."""
    found = list(read_problems)
    framework = None
    if manifest is not None:
        manifest_problems, framework = check_manifest(manifest, inspection_id, load)
        found += manifest_problems
    if cases is not None and framework is not None:
        found += check_sample_size(cases, minimum_cases, inspection_id, cases_file)
        found += check_cases(cases, framework, inspection_id, cases_file, header_rows)
        if not found:
            found += check_ratable(cases, framework, inspection_id, cases_file)
    return found, framework
