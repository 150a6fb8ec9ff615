"""`annexe run` and `annexe backfill`: decide what to do without Prefect, then run the flow only if needed."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Annotated

import typer

from flows.cli.commands import app
from flows.cli.options import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    AsJson,
    BatchSize,
    Dask,
    DryRun,
    Landing,
    Verbose,
    WarehouseOption,
    Workers,
    fail,
    require_framework,
    require_landing,
    require_positive,
    require_writable_warehouse,
)
from flows.cli.output import console, problems, say, say_json, table, terminal
from flows.config import settings

Progress = Annotated[bool, typer.Option(help="Show progress (a bar on a terminal, a line per stage otherwise).")]


def _inspections(summary: dict) -> list[dict]:
    """Every inspection the run looked at, with what happened to it (for --json)."""
    rows = []
    for o in summary["outcomes"]:
        rows.append(
            {
                "inspection_id": o["inspection_id"],
                "state": o["outcome"],
                "reason": summary["reasons"].get(o["inspection_id"]),
                "pdu": o.get("pdu"),
                "fieldwork_start": o.get("fieldwork_start"),
                "score": o.get("score"),
                "max_score": o.get("max_score"),
                "overall_rating": o.get("overall_rating"),
                "run_id": summary["run_id"],
                "problems": o["problems"],
            }
        )
    rows += [
        {"inspection_id": i, "state": "still rejected" if i in summary["still_rejected"] else "unchanged"}
        for i in summary["unchanged"]
    ]
    return rows


def _report(summary: dict, as_json: bool, verbose: bool) -> int:
    """Print what a run did and return its exit code."""
    published = [o for o in summary["outcomes"] if o["outcome"] == "published"]
    rejected = [o for o in summary["outcomes"] if o["outcome"] == "rejected"]
    code = EXIT_REJECTED if rejected or summary["still_rejected"] else EXIT_OK
    if as_json:
        say_json(
            {
                "run_id": summary["run_id"],
                "trigger": summary["trigger"],
                "warehouse": summary["warehouse"],
                "published": len(published),
                "rejected": len(rejected),
                "unchanged": len(summary["unchanged"]),
                "exit_code": code,
                "set_aside": summary["set_aside"],
                "inspections": _inspections(summary),
            }
        )
        return code
    if published and verbose:
        table(
            "Published",
            ["inspection", "pdu", "score", "overall rating", "why"],
            [
                [
                    o["inspection_id"],
                    o["pdu"],
                    f"{o['score']}/{o['max_score']}",
                    o["overall_rating"],
                    summary["reasons"].get(o["inspection_id"], ""),
                ]
                for o in published
            ],
        )
    for o in rejected:
        problems(o["inspection_id"], o["problems"])
    say(
        f"Run {summary['run_id']} ({summary['trigger']}): {len(published)} published, {len(rejected)} rejected, "
        f"{len(summary['unchanged'])} unchanged."
    )
    if summary["still_rejected"]:
        say(f"Still in quarantine, extract unchanged: {', '.join(summary['still_rejected'])} (see `annexe status`).")
    for folder in summary["set_aside"]:
        say(f"Not read: landing-zone folder {folder['folder']}: {folder['reason']}")
    say(f"Warehouse: {summary['warehouse']}")
    return code


def _show_plan(assessed: dict, as_json: bool) -> int:
    """--dry-run: what would be processed and why, and the repairs the warehouse needs; nothing written."""
    if as_json:
        say_json(
            {
                "process": assessed["reasons"],
                "unchanged": assessed["unchanged"],
                "still_rejected": assessed["still_rejected"],
                "out_of_range": assessed["out_of_range"],
                "repairs": assessed["repairs"],
                "set_aside": assessed["set_aside"],
            }
        )
        return EXIT_OK
    for inspection_id, reason in assessed["reasons"].items():
        say(f"would process {inspection_id}: {reason}")
    for repair in assessed["repairs"]:
        say(f"would repair: {repair}")
    for folder in assessed["set_aside"]:
        say(f"would not read: landing-zone folder {folder['folder']}: {folder['reason']}")
    say(
        f"Dry run: {len(assessed['reasons'])} to process, {len(assessed['unchanged'])} unchanged "
        f"({len(assessed['still_rejected'])} of them still rejected); nothing was written."
    )
    return EXIT_OK


def _idle(config, trigger: str, assessed: dict) -> dict:
    """A run with nothing to do: ledgered without starting any Prefect API."""
    from flows.stages.finalize import finalize

    run_id = str(uuid.uuid4())
    finalize(config.warehouse, [], run_id, trigger, dt.datetime.now(dt.UTC), config.publication)
    return {"run_id": run_id, "trigger": trigger, "warehouse": config.warehouse, "outcomes": [], **assessed}


class _Progress:
    """Progress by inspections: a bar with elapsed time and ETA on a terminal, a line per finished stage on a pipe."""

    def __init__(self, shown: bool) -> None:
        self.shown, self.started, self.bars, self.display = shown, time.monotonic(), {}, None

    def __enter__(self):
        if self.shown and terminal():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.display = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("inspections"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console(),
                transient=True,
            )
            self.display.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.display is not None:
            if stage not in self.bars:
                self.bars[stage] = self.display.add_task(stage, total=total)
            self.display.update(self.bars[stage], completed=done)
        elif self.shown and done == total:
            say(f"{stage}: {done}/{total} inspections ({time.monotonic() - self.started:.0f} s elapsed)")

    def __exit__(self, *exc) -> None:
        if self.display is not None:
            self.display.__exit__(*exc)


def _execute(flow_name: str, config, trigger: str, selection: dict, options: dict) -> int:
    """Assess, then either say what would happen, ledger an idle run, or run the flow; return the exit code."""
    from flows import prefect_runtime
    from flows.stages.plan import assess

    assessed = assess(config.landing, config.warehouse, config.frameworks_dir, **selection)
    if options["dry_run"]:
        return _show_plan(assessed, options["as_json"])
    if not assessed["process"] and not assessed["repairs"]:
        if not options["as_json"]:
            say("Nothing to process: every inspection is unchanged since it was published (no Prefect API started).")
        return _report(_idle(config, trigger, assessed), options["as_json"], options["verbose"])
    if not options["as_json"]:
        say(f"{len(assessed['process'])} to process, {len(assessed['repairs'])} repair(s); starting Prefect.")
    try:
        starting = prefect_runtime.begin(say)  # before anything imports prefect
        # Imported while the temporary API starts in its own process (on the other core), not after it. Great
        # Expectations is not: the gate's own process loads it while the run ingests (flows/stages/gate.py).
        from flows import pipeline

        starting.wait()
    except prefect_runtime.PrefectUnavailable as error:
        say(f"Run failed: {error}")
        return EXIT_FAILED

    arguments = {"landing": config.landing, "warehouse": config.warehouse, "batch_size": options["batch_size"]}
    if flow_name == "nightly":
        arguments["trigger"] = trigger
    else:
        arguments.update(
            {k: v for k, v in selection.items() if k != "framework_override"}, framework=selection["framework_override"]
        )
    flow = pipeline.with_task_runner(getattr(pipeline, flow_name), options["dask"], options["workers"])
    with _Progress(options["progress"] and not options["as_json"]) as listen:
        pipeline.progress_listeners.append(listen)
        try:
            summary = pipeline.run_summary(flow, **arguments)
        except Exception as error:  # the run failed, not the data: say so plainly
            say(f"Run failed: {type(error).__name__}: {error}")
            return EXIT_FAILED
        finally:
            pipeline.progress_listeners.remove(listen)
    return _report(summary, options["as_json"], options["verbose"])


def _checked(landing: str | None, warehouse: str | None, batch_size: int, workers: int):
    """Settings after the checks every run needs (exit 2 on a wrong use)."""
    config = settings(landing, warehouse)
    require_landing(config.landing)
    require_writable_warehouse(config.warehouse)
    require_positive("--batch-size", batch_size)
    require_positive("--workers", workers)
    return config


@app.command()
def run(
    landing: Landing = None,
    warehouse: WarehouseOption = None,
    batch_size: BatchSize = 50,
    trigger: Annotated[str, typer.Option(help="Recorded in the runs ledger: manual or schedule.")] = "manual",
    progress: Progress = True,
    dask: Dask = None,
    workers: Workers = 2,
    as_json: AsJson = False,
    verbose: Verbose = False,
    dry_run: DryRun = False,
) -> None:
    """Process every new or changed inspection in the landing zone and publish it (the nightly job)."""
    config = _checked(landing, warehouse, batch_size, workers)
    options = {
        "dry_run": dry_run,
        "as_json": as_json,
        "verbose": verbose,
        "progress": progress,
        "dask": dask,
        "workers": workers,
        "batch_size": batch_size,
    }
    raise typer.Exit(_execute("nightly", config, trigger, {}, options))


@app.command()
def backfill(
    inspection: Annotated[list[str] | None, typer.Argument(help="Inspection ids to reprocess.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every inspection in the landing zone.")] = False,
    fieldwork_from: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Fieldwork started on or after.")
    ] = None,
    fieldwork_to: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Fieldwork started on or before.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Reprocess even when the inputs are unchanged.")] = False,
    framework: Annotated[
        str | None, typer.Option(help="Rate against this framework instead of the manifest's.")
    ] = None,
    landing: Landing = None,
    warehouse: WarehouseOption = None,
    batch_size: BatchSize = 50,
    progress: Progress = True,
    dask: Dask = None,
    workers: Workers = 2,
    as_json: AsJson = False,
    verbose: Verbose = False,
    dry_run: DryRun = False,
) -> None:
    """Reprocess past inspections: by id, by fieldwork date range, or --all."""
    if not inspection and not all_ and not (fieldwork_from or fieldwork_to):
        raise fail("say which inspections: give ids, --fieldwork-from/--fieldwork-to, or --all")
    if inspection and all_:
        raise fail("give inspection ids or --all, not both")
    if fieldwork_from and fieldwork_to and fieldwork_from > fieldwork_to:
        raise fail(f"--fieldwork-from {fieldwork_from:%Y-%m-%d} is after --fieldwork-to {fieldwork_to:%Y-%m-%d}")
    config = _checked(landing, warehouse, batch_size, workers)
    require_framework(framework, config.frameworks_dir)
    if inspection:
        from flows.store.landing import discover

        unknown = sorted(set(inspection) - set(discover(config.landing)))
        if unknown:
            raise fail(f"not in the landing zone {config.landing}: {', '.join(unknown)}")
    selection = {
        "inspection_ids": list(inspection) if inspection else None,
        "fieldwork_from": fieldwork_from.date() if fieldwork_from else None,
        "fieldwork_to": fieldwork_to.date() if fieldwork_to else None,
        "force": force,
        "framework_override": framework,
    }
    options = {
        "dry_run": dry_run,
        "as_json": as_json,
        "verbose": verbose,
        "progress": progress,
        "dask": dask,
        "workers": workers,
        "batch_size": batch_size,
    }
    raise typer.Exit(_execute("backfill", config, "backfill", selection, options))
