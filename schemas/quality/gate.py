"""How the quality gate runs: GX suites over the derived frames in an ephemeral context, failures and Data Docs."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
from pathlib import Path
from typing import Any

import polars as pl

from schemas.quality.check import KEY_COLUMNS, Check
from schemas.quality.derive import QUALITY_TABLES, Facts, check_frames
from schemas.quality.expectations import checks as all_checks
from schemas.tables import TABLES
from transforms.framework import Framework

FAILURE_SCHEMA = pl.Schema(
    {
        "inspection_id": pl.String,
        "table": pl.String,
        "expectation": pl.String,
        "message": pl.String,
        "offending_rows": pl.String,
    }
)
MAX_OFFENDING_ROWS = 10
DOCS_SITE = "annexe_quality"
SUITE_PREFIX = "annexe_quality"


def _check_inputs(tables: dict[str, pl.DataFrame]) -> None:
    """Refuse tables that are missing or lack published columns (the checks below read them)."""
    problems = []
    for name in QUALITY_TABLES:
        if name not in tables:
            problems.append(f"table {name} is missing")
            continue
        missing = [c for c in TABLES[name].column_names if c not in tables[name].columns]
        if missing:
            problems.append(f"table {name} lacks column(s) {', '.join(missing)}")
    if problems:
        raise ValueError(
            "quality_failures needs every published table with its published columns: " + "; ".join(problems)
        )


def _to_json(value: Any) -> Any:
    """A value as JSON can hold it (dates and the like as text)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _failure_rows(check: Check, frame: pl.DataFrame, expectation_type: str, indices: list[int]) -> list[dict]:
    """One failure row per inspection among the offending rows."""
    keys = KEY_COLUMNS[check.table]
    columns = list(dict.fromkeys([*keys, *check.columns()]))
    offending = frame[sorted(set(indices))].select(columns)
    rows = []
    for (inspection_id,), group in offending.group_by("inspection_id", maintain_order=True):
        count = group.height
        listed = [
            {c: _to_json(v) for c, v in row.items()} for row in group.head(MAX_OFFENDING_ROWS).iter_rows(named=True)
        ]
        shown = "" if count <= MAX_OFFENDING_ROWS else f"; the first {MAX_OFFENDING_ROWS} are listed"
        fails = f"{count} row{'s' if count != 1 else ''} of {check.table} fail{'s' if count == 1 else ''}{shown}"
        rows.append(
            {
                "inspection_id": inspection_id,
                "table": check.table,
                "expectation": f"{expectation_type}: {check.name}",
                "message": f"{check.message} {fails}.",
                "offending_rows": json.dumps(listed, separators=(",", ":"), ensure_ascii=False),
            }
        )
    return rows


def _check_name(outcome: Any) -> str:
    """The short name a GX result's expectation was given."""
    return str((outcome.expectation_config.meta or {}).get("name", ""))


def _exception_text(info: Any) -> str:
    """GX's exception info (flat, or keyed by metric) as one line."""
    if not isinstance(info, dict):
        return str(info)
    if "exception_message" in info:
        return str(info["exception_message"])
    return "; ".join(_exception_text(v) for v in info.values()) or "no detail given"


def _write_offline_summary(docs_dir: Path, run_name: str, summary: list[dict], failures: pl.DataFrame) -> None:
    """Put a plain-HTML summary with links at the top of the Data Docs index.

    GX's index lists validations with JavaScript loaded from CDNs, so offline it shows nothing; this
    block needs neither, and the validation pages it links to are static HTML.
    """
    index = docs_dir / "index.html"
    pages = {}
    for page in sorted(docs_dir.glob(f"validations/**/{run_name}/**/*.html")):
        parts = page.relative_to(docs_dir).parts  # validations / annexe_quality / <table> / run / time / file
        pages[parts[2]] = page.relative_to(docs_dir).as_posix()
    e = html.escape
    rows = []
    for item in summary:
        link = pages.get(item["table"])
        name = f'<a href="{e(link)}">{e(item["table"])}</a>' if link else e(item["table"])
        suite = f'<a href="expectations/{SUITE_PREFIX}/{e(item["table"])}.html">expectations</a>'
        status = "passed" if item["failed"] == 0 else f"<strong>{item['failed']} failed</strong>"
        cells = [name, str(item["rows"]), str(item["expectations"]), status, suite]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    listed = [
        f"<li>{e(str(r['inspection_id']))} / {e(r['table'])}: {e(r['expectation'])}. {e(r['message'])}</li>"
        for r in failures.head(500).iter_rows(named=True)
    ]
    more = f"<p>... and {failures.height - 500} more (see the validation pages).</p>" if failures.height > 500 else ""
    inspections = failures["inspection_id"].n_unique()
    verdict = (
        "<p>Every check passed.</p>"
        if failures.is_empty()
        else f"<p><strong>{failures.height} failure(s) in {inspections} inspection(s).</strong></p>"
    )
    block = (
        '<div id="annexe-quality-summary" style="font-family:sans-serif;margin:1em;padding:1em;border:2px solid #444">'
        f"<h1>Annexe quality checks</h1><p>Run {e(run_name)}. This summary works offline; the GX pages below "
        "load their styling from the internet and are plain but readable without it.</p>"
        f'{verdict}<table border="1" cellpadding="4"><tr><th>table</th><th>rows</th><th>expectations</th>'
        f"<th>result</th><th>suite</th></tr>{''.join(rows)}</table>"
        f"{'<h2>Failures</h2><ul>' + ''.join(listed) + '</ul>' + more if listed else ''}</div>"
    )
    text = index.read_text(encoding="utf-8")
    at = text.find(">", text.find("<body")) + 1 if "<body" in text else 0
    index.write_text(text[:at] + block + text[at:], encoding="utf-8")


def _context(docs_dir: str | None) -> Any:
    """An ephemeral GX context without progress bars, with a Data Docs site in docs_dir if given."""
    from great_expectations import get_context  # noqa: PLC0415 (import takes seconds: only when the gate runs)
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

    context = get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _suite(name: str, table_checks: list[Check]) -> Any:
    """The GX suite of one table's checks; checks reading framework helpers skip unknown frameworks."""
    import great_expectations as gx  # noqa: PLC0415
    from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415

    expectations = []
    for number, check in enumerate(table_checks):
        kwargs = dict(check.kwargs)
        conditions = [Column(check.when[0]) == check.when[1]] if check.when is not None else []
        if check.needs_framework:
            conditions.append(Column("framework_known") == True)  # noqa: E712 (a GX condition, not a test)
        if conditions:
            kwargs["row_condition"] = conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]
        expectations.append(
            getattr(gx.expectations, check.gx_class)(
                **kwargs,
                meta={"check": number, "name": check.name},
                description=f"{check.name}. {check.message} Columns: {', '.join(check.columns())}.",
            )
        )
    return gx.ExpectationSuite(name=f"{SUITE_PREFIX}.{name}", expectations=expectations)


def quality_failures(
    tables: dict[str, pl.DataFrame], frameworks: dict[str, Framework], docs_dir: str | None = None
) -> pl.DataFrame:
    """Validate a batch of inspections' published tables with Great Expectations; return what failed.

    `tables` maps table name (inspections, standard_ratings, key_question_results, prompt_results,
    breakdowns, sample_profile) to a frame with the published columns, for any number of inspections;
    `frameworks` maps framework id to Framework (inspections.framework says which applies). Returns one
    row per (inspection_id, table, expectation) that failed: inspection_id, table, expectation (GX
    expectation type and a short name), message (plain words) and offending_rows (JSON list of up to 10
    offending rows' key columns and the values checked). Empty when everything passes. With `docs_dir`,
    GX Data Docs for the run are written there (open docs_dir/index.html in a browser).
    """
    _check_inputs(tables)
    facts = Facts.of(frameworks)
    frames = check_frames(tables, facts)
    checks = all_checks(tables, facts)

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # noqa: PLC0415 (import takes seconds: only when the gate runs)

    # GX sets this module's logger to INFO itself, to announce its temporary docs folder.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    from great_expectations.core.run_identifier import RunIdentifier  # noqa: PLC0415

    context = _context(docs_dir)
    source = context.data_sources.add_pandas(SUITE_PREFIX)

    run_time = dt.datetime.now(dt.UTC)
    run_id = RunIdentifier(run_name=f"{SUITE_PREFIX}-{run_time:%Y%m%dT%H%M%S%fZ}", run_time=run_time)
    failures: list[dict] = []
    summary: list[dict] = []
    for name in QUALITY_TABLES:
        table_checks = [c for c in checks if c.table == name]
        # The whole suite goes to the store at once (adding expectations one by one re-saves it each time).
        suite = context.suites.add(_suite(name, table_checks))
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(f"{name} batch")
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{SUITE_PREFIX}.{name}", data=batch, suite=suite)
        )
        frame = frames[name]
        dataframe = frame.to_pandas()
        # Most runs pass: saying only whether each expectation holds costs about a third of listing every
        # offending row (measured on 250 inspections: 4.1 s against 11.7 s), so the rows are asked for only when
        # a table fails, by running it again under the same run id.
        result = validation.run(
            batch_parameters={"dataframe": dataframe}, result_format={"result_format": "BOOLEAN_ONLY"}, run_id=run_id
        )
        if not result.success:
            result = validation.run(
                batch_parameters={"dataframe": dataframe},
                result_format={"result_format": "COMPLETE", "partial_unexpected_count": 20},
                run_id=run_id,
            )
        summary.append(
            {
                "table": name,
                "rows": frame.height,
                "expectations": len(table_checks),
                "failed": sum(not outcome.success for outcome in result.results),
            }
        )
        for outcome in result.results:
            if outcome.success:
                continue
            if "unexpected_index_list" not in outcome.result:  # the expectation raised instead of running
                raise RuntimeError(
                    f"quality check {outcome.expectation_config.type}: {_check_name(outcome)} on {name} could not "
                    f"run: {_exception_text(outcome.exception_info)}"
                )
            check = table_checks[outcome.expectation_config.meta["check"]]
            indices = [int(i) for i in outcome.result["unexpected_index_list"]]
            failures += _failure_rows(check, frame, outcome.expectation_config.type, indices)

    # Per inspection, failures stay in table order and the order the checks are listed.
    result = pl.DataFrame(failures, schema=FAILURE_SCHEMA).sort("inspection_id", nulls_last=True, maintain_order=True)
    if docs_dir is not None:
        context.build_data_docs(site_names=[DOCS_SITE])
        _write_offline_summary(Path(docs_dir).resolve(), run_id.run_name, summary, result)
    return result
