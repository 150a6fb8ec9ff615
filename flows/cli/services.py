"""`annexe serve` (the deployments, served from this process) and `annexe factcheck` (a draft report checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.commands import app
from flows.cli.options import EXIT_FAILED, AsJson, WarehouseOption, fail, require_warehouse
from flows.cli.output import say
from flows.config import settings


@app.command()
def serve() -> None:
    """Serve the nightly and backfill deployments from this process (needs a Prefect server)."""
    from deployments.serve import serve_all
    from flows import prefect_runtime

    try:
        serve_all()
    except prefect_runtime.PrefectUnavailable as error:
        say(f"Cannot serve: {error}")
        raise typer.Exit(EXIT_FAILED) from None


@app.command()
def factcheck(
    report: Annotated[Path, typer.Argument(help="The draft report, as plain text or HTML.")],
    inspection: Annotated[str, typer.Option("--inspection", help="The inspection the report is about.")],
    warehouse: WarehouseOption = None,
    as_json: AsJson = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the report with each claim marked.")] = None,
) -> None:
    """Check every figure a report quotes against the published data. Exit 0 no mismatch, 1 a mismatch."""
    from flows import factcheck as checking
    from flows.factcheck.reader import read_report

    config = settings(warehouse=warehouse)
    require_warehouse(config.warehouse)
    try:
        findings = checking.factcheck(str(report), inspection, config.warehouse)
        text = read_report(str(report)) if html else ""
    except checking.FactcheckUsageError as error:
        raise fail(str(error)) from None
    if html:
        html.write_text(checking.findings_html(text, findings), encoding="utf-8")
    if as_json:
        print(checking.findings_json(findings), flush=True)
    else:
        for line in checking.findings_table_lines(findings):
            say(line)
        say(checking.summary(findings))
    raise typer.Exit(checking.exit_code(findings))
