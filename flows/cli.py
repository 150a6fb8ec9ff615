"""The `annexe` command: run, backfill, validate, status, open and serve.

Exit codes: 0 every inspection processed was published (or nothing needed doing); 1 an inspection was
rejected (its problems are in quarantine) or remains rejected; 2 the command was used wrongly; 3 the run
itself failed (an error, not bad data).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.config import prefect_defaults, settings

prefect_defaults()

app = typer.Typer(help="Publish probation inspection ratings and their data annexe from case-sample extracts.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console(highlight=False)
EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 3

Landing = Annotated[Optional[str], typer.Option(help="Landing zone folder or URL [env ANNEXE_LANDING; default data/landing].")]
Warehouse = Annotated[Optional[str], typer.Option(help="Warehouse folder or URL [env ANNEXE_WAREHOUSE; default ./warehouse].")]
BatchSize = Annotated[int, typer.Option(help="Inspections per task (bigger batches, less orchestration overhead).")]
Dask = Annotated[Optional[str], typer.Option(envvar="ANNEXE_DASK_ADDRESS",
                                             help="Run tasks on this Dask scheduler (tcp://host:8786) [env ANNEXE_DASK_ADDRESS].")]
Workers = Annotated[int, typer.Option(help="Batches processed at once on this machine.")]


def _problems_table(inspection_id: str, problems: list[dict]) -> Table:
    table = Table(title=f"{inspection_id}: not published", title_justify="left", show_lines=False)
    for column in ("file", "row", "column", "problem"):
        table.add_column(column, overflow="fold")
    for p in problems:
        table.add_row(escape(p.get("file") or ""), "" if p.get("row") is None else str(p["row"]),
                      escape(p.get("column") or ""), escape(p.get("message") or ""))
    return table


def _report(summary: dict) -> int:
    """Print what a run did and return its exit code."""
    outcomes = summary["outcomes"]
    published = [o for o in outcomes if o["outcome"] == "published"]
    rejected = [o for o in outcomes if o["outcome"] == "rejected"]
    if published:
        from flows.warehouse import read_table

        ids = {o["inspection_id"] for o in published}
        table = Table(title="Published", title_justify="left")
        for column in ("inspection", "pdu", "score", "overall rating"):
            table.add_column(column)
        for row in read_table(summary["warehouse"], "inspections").iter_rows(named=True):
            if row["inspection_id"] in ids:
                table.add_row(row["inspection_id"], row["pdu"], f"{row['score']}/{row['max_score']}",
                              row["overall_rating"])
        console.print(table)
    for outcome in rejected:
        console.print(_problems_table(outcome["inspection_id"], outcome["problems"]))
    console.print(f"Run {summary['run_id']} ({summary['trigger']}): {len(published)} published, "
                  f"{len(rejected)} rejected, {len(summary['unchanged'])} unchanged.")
    if summary["still_rejected"]:
        console.print(f"Still in quarantine from an earlier run (extract unchanged): {', '.join(summary['still_rejected'])}. "
                      "See `annexe status`.")
    if summary["missing"]:
        console.print(f"Not in the landing zone: {', '.join(summary['missing'])}")
    console.print(f"Warehouse: {summary['warehouse']}")
    return EXIT_REJECTED if rejected or summary["still_rejected"] or summary["missing"] else EXIT_OK


def _run_flow(flow_fn, show_progress: bool, dask: str | None = None, workers: int = 2, **kwargs) -> int:
    """Run a flow in this process with a progress bar; turn errors into a clear message and exit code 3."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from flows import pipeline

    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True, disable=not show_progress) as progress:
        bars: dict[str, int] = {}

        def listen(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(stage, total=total)
            progress.update(bars[stage], completed=done)

        pipeline.progress_listeners.append(listen)
        try:
            summary = pipeline.with_task_runner(getattr(pipeline, flow_fn), dask, workers)(**kwargs)
        except Exception as error:  # the run failed, not the data: say so plainly
            console.print(f"[bold]Run failed:[/bold] {type(error).__name__}: {error}")
            return EXIT_FAILED
        finally:
            pipeline.progress_listeners.remove(listen)
    return _report(summary)


@app.command()
def run(landing: Landing = None, warehouse: Warehouse = None, batch_size: BatchSize = 50,
        trigger: Annotated[str, typer.Option(help="Recorded in the runs ledger: manual or schedule.")] = "manual",
        progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
        dask: Dask = None, workers: Workers = 2) -> None:
    """Process every new or changed inspection in the landing zone and publish it (the nightly job)."""
    raise typer.Exit(_run_flow("nightly", progress, dask, workers, landing=landing, warehouse=warehouse,
                               trigger=trigger, batch_size=batch_size))


@app.command()
def backfill(
    inspection: Annotated[Optional[list[str]], typer.Argument(help="Inspection ids to reprocess.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every inspection in the landing zone.")] = False,
    fieldwork_from: Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="Fieldwork started on or after.")] = None,
    fieldwork_to: Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="Fieldwork started on or before.")] = None,
    force: Annotated[bool, typer.Option(help="Reprocess even when the inputs are unchanged.")] = False,
    framework: Annotated[Optional[str], typer.Option(help="Rate against this framework instead of the manifest's.")] = None,
    landing: Landing = None, warehouse: Warehouse = None, batch_size: BatchSize = 50,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    dask: Dask = None, workers: Workers = 2,
) -> None:
    """Reprocess past inspections: by id, by fieldwork date range, or --all."""
    if not inspection and not all_ and not (fieldwork_from or fieldwork_to):
        console.print("Say which inspections: give ids, --fieldwork-from/--fieldwork-to, or --all.")
        raise typer.Exit(2)
    raise typer.Exit(_run_flow(
        "backfill", progress, dask, workers, inspection_ids=list(inspection) if inspection else None,
        fieldwork_from=fieldwork_from.date() if fieldwork_from else None,
        fieldwork_to=fieldwork_to.date() if fieldwork_to else None, force=force, framework=framework,
        landing=landing, warehouse=warehouse, batch_size=batch_size))


@app.command()
def validate(folder: Annotated[Path, typer.Argument(help="One inspection's folder in a landing zone.")],
             frameworks: Annotated[Optional[str], typer.Option(help="Frameworks folder.")] = None) -> None:
    """Check one inspection's extract and print every problem; publishes nothing. Exit 0 valid, 1 not."""
    from flows.landing import read_extract
    from flows.stages import check_extract, framework_loader

    config = settings(frameworks_dir=frameworks)
    folder = folder.resolve()
    if not folder.is_dir():
        console.print(f"{folder} is not a folder")
        raise typer.Exit(2)
    extract = read_extract(str(folder.parent), folder.name, config.frameworks_dir)
    found, framework = check_extract(folder.name, extract.manifest, extract.cases, extract.cases_file,
                                     extract.header_rows, extract.problems, framework_loader(config.frameworks_dir))
    if found:
        console.print(_problems_table(folder.name, found))
        console.print(f"{folder.name}: {len(found)} problem(s); it would be quarantined, not published.")
        raise typer.Exit(EXIT_REJECTED)
    console.print(f"{folder.name}: valid ({extract.cases.height} cases, framework {framework.id}).")


@app.command()
def status(warehouse: Warehouse = None,
           as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """What is published, from which run, and what is quarantined and why."""
    from flows.warehouse import Warehouse as Store
    from flows.warehouse import read_table

    config = settings(warehouse=warehouse)
    manifest = Store(config.warehouse).read_manifest()
    inspections = read_table(config.warehouse, "inspections")
    quarantine = read_table(config.warehouse, "quarantine")
    if as_json:
        console.print_json(json.dumps({"inspections": manifest["inspections"],
                                       "quarantine": quarantine.to_dicts()}, default=str))
        return
    table = Table(title="Published inspections", title_justify="left")
    for column in ("inspection", "pdu", "fieldwork", "score", "overall rating", "run", "state"):
        table.add_column(column)
    for row in inspections.iter_rows(named=True):
        state = manifest["inspections"].get(row["inspection_id"], {})
        table.add_row(row["inspection_id"], row["pdu"], str(row["fieldwork_start"]),
                      f"{row['score']}/{row['max_score']}", row["overall_rating"], str(state.get("run_id", ""))[:8],
                      "newer extract rejected" if state.get("rejected_fingerprint") else "current")
    console.print(table)
    for inspection_id in quarantine["inspection_id"].unique(maintain_order=True).to_list():
        console.print(_problems_table(inspection_id,
                                      quarantine.filter(quarantine["inspection_id"] == inspection_id).to_dicts()))
    if quarantine.height == 0:
        console.print("Nothing in quarantine.")


@app.command(name="open")
def open_(inspection: Annotated[str, typer.Argument(help="Inspection id.")], warehouse: Warehouse = None) -> None:
    """Print where an inspection's annexe files are."""
    from flows.warehouse import FILES
    from flows.warehouse import Warehouse as Store

    config = settings(warehouse=warehouse)
    store = Store(config.warehouse)
    files = [p for p in store.list_files(f"{FILES}/{inspection}") if "/." not in p]
    if not files:
        console.print(f"No annexe published for {inspection} in {config.warehouse}")
        raise typer.Exit(EXIT_REJECTED)
    for path in files:
        console.print(store.path(path) if not store.local else str(Path(store.path(path))))


@app.command()
def synth(directory: Annotated[Path, typer.Argument(help="Landing zone to write (created if absent).")],
          inspections: Annotated[int, typer.Option(help="How many inspections.")] = 100,
          cases: Annotated[int, typer.Option(help="Cases per inspection.")] = 100,
          seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 0) -> None:
    """Write a seeded synthetic landing zone in extract contract v1 (for benchmarks and rehearsals)."""
    from benchmarks.synth import synthesise

    ids = synthesise(directory, inspections, cases, seed=seed)
    console.print(f"{len(ids)} inspections of {cases} cases written to {directory}")


@app.command()
def serve() -> None:
    """Serve the nightly and backfill deployments from this process (needs a Prefect server)."""
    from deployments.serve import serve_all

    serve_all()


def main() -> None:
    """Entry point of the `annexe` command."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
