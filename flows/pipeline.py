"""Prefect flows: the nightly incremental run and the data team's backfill, over the same tasks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

# Prefect's environment is set before this is imported (flows.prefect_runtime.prepare()).
from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner

from flows.config import settings
from flows.stages import aggregate, finalize, gate, ingest, national, periods, plan, publish, rendering, validate
from flows.store import cases_reader, staging
from flows.store.warehouse import Warehouse

STAGES = ("ingest", "validate", "aggregate", "gate", "publish")
# In-process listeners (the CLI's progress display); called as (stage, inspections done, inspections in all).
progress_listeners: list[Callable[[str, int, int], None]] = []


@task(name="plan", retries=2, retry_delay_seconds=2)
def plan_task(
    landing: str,
    warehouse: str,
    frameworks_dir: str,
    inspection_ids: list[str] | None,
    fieldwork_from: dt.date | None,
    fieldwork_to: dt.date | None,
    force: bool,
    framework: str | None,
) -> dict:
    """Heal interrupted publications and decide which inspections to process."""
    return plan.plan(landing, warehouse, frameworks_dir, inspection_ids, fieldwork_from, fieldwork_to, force, framework)


@task(name="ingest", retries=2, retry_delay_seconds=2)
def ingest_task(
    landing: str, warehouse: str, staging: str, inspection_ids: list[str], frameworks_dir: str, framework: str | None
) -> str:
    """Read a batch of extracts from the landing zone into staging."""
    return ingest.ingest(landing, warehouse, staging, inspection_ids, frameworks_dir, framework)


@task(name="validate")
def validate_task(warehouse: str, staging: str, frameworks_dir: str, minimum_cases: int) -> str:
    """Validate a batch of staged extracts; invalid ones are set aside for quarantine."""
    return validate.validate(warehouse, staging, frameworks_dir, minimum_cases)


@task(name="aggregate")
def aggregate_task(warehouse: str, staging: str, frameworks_dir: str, suppression_threshold: int) -> str:
    """Compute the published tables for a batch."""
    return aggregate.aggregate(warehouse, staging, frameworks_dir, suppression_threshold)


@task(name="gate")
def gate_task(warehouse: str, stagings: list[str], frameworks_dir: str) -> list[str]:
    """Run the quality gate once over every batch's tables (its fixed cost is high, its cost per row low)."""
    return gate.gate_elsewhere(warehouse, stagings, frameworks_dir)


@task(name="national", retries=1, retry_delay_seconds=2)
def national_task(warehouse: str, stagings: list[str]) -> list[str]:
    """Fix the national figures every annexe of the run shows, whichever batch commits first."""
    return national.national(warehouse, stagings)


@task(name="periods", retries=1, retry_delay_seconds=2)
def periods_task(warehouse: str, run_id: str, frameworks_dir: str, publication: dict) -> list[str]:
    """Restage the comparison tables and national overview of every period the run's commits touched."""
    return periods.refresh(warehouse, run_id, frameworks_dir, publication)


@task(name="publish", retries=1, retry_delay_seconds=2)
def publish_task(warehouse: str, staging: str, run_id: str, frameworks_dir: str, publication: dict) -> str:
    """Publish a batch atomically, inspection by inspection."""
    return publish.publish(warehouse, staging, run_id, frameworks_dir, publication)


@task(name="finalize", retries=1, retry_delay_seconds=2)
def finalize_task(
    warehouse: str,
    stagings: list[str],
    run_id: str,
    trigger: str,
    started_at: dt.datetime,
    publication: dict,
    refresh: bool = False,
) -> list[dict]:
    """Record the run in the ledger and refresh the dictionary and index page."""
    return finalize.finalize(warehouse, stagings, run_id, trigger, started_at, publication, refresh)


def with_task_runner(flow_fn, dask_address: str | None = None, max_workers: int = 2):
    """The flow run on a Dask cluster (given its scheduler address) or on a bounded local thread pool."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return flow_fn.with_options(task_runner=DaskTaskRunner(address=dask_address))
    return flow_fn.with_options(task_runner=ThreadPoolTaskRunner(max_workers=max_workers))


def _notify(stage: str, done: int, total: int, artifact_id) -> None:
    for listener in progress_listeners:
        listener(stage, done, total)
    if artifact_id is not None:
        overall = (STAGES.index(stage) + done / max(total, 1)) / len(STAGES)
        update_progress_artifact(artifact_id, progress=round(100 * overall, 1))


def run_pipeline(
    landing: str | None,
    warehouse: str | None,
    trigger: str,
    inspection_ids: list[str] | None = None,
    fieldwork_from: dt.date | None = None,
    fieldwork_to: dt.date | None = None,
    force: bool = False,
    framework: str | None = None,
    batch_size: int = 50,
    suppression_threshold: int | None = None,
    frameworks_dir: str | None = None,
) -> dict:
    """Plan, then run every stage over batches of inspections, then close the run."""
    logger = get_run_logger()
    config = settings(landing, warehouse, frameworks_dir, suppression_threshold)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    started_at = dt.datetime.now(dt.UTC)
    planned = plan_task(
        config.landing,
        config.warehouse,
        config.frameworks_dir,
        inspection_ids,
        fieldwork_from,
        fieldwork_to,
        force,
        framework,
    )
    logger.info("%d to process, %d unchanged", len(planned["process"]), len(planned["unchanged"]))
    work = plan.batches(planned["process"], batch_size)
    stagings = (
        staging.batch_folders(staging.claim(config.warehouse, run_id, trigger, started_at), len(work)) if work else []
    )
    outcomes: list[dict] = []
    try:
        if work:
            outcomes = _process(config, work, stagings, run_id, trigger, started_at, framework, planned)
        else:  # nothing to process: restage periods a dead run left pending, ledger the run, repair shared files
            periods_task(config.warehouse, run_id, config.frameworks_dir, config.publication)
            finalize_task(
                config.warehouse, [], run_id, trigger, started_at, config.publication, planned["refresh_shared"]
            )
    except BaseException:
        if stagings:  # ledger what was committed and delete staging (case-level data) whenever the process survives
            try:
                finalize.finalize(config.warehouse, stagings, run_id, trigger, started_at, config.publication)
            finally:
                staging.release(Warehouse(config.warehouse), staging.run_folder(stagings[0]))
        raise
    return {
        "run_id": run_id,
        "trigger": trigger,
        "warehouse": config.warehouse,
        "outcomes": outcomes,
        **{
            k: planned[k]
            for k in (
                "unchanged",
                "out_of_range",
                "missing",
                "still_rejected",
                "reasons",
                "manifest_set_aside",
                "set_aside",
            )
        },
    }


def _process(
    config,
    work: list[list[str]],
    stagings: list[str],
    run_id: str,
    trigger: str,
    started_at: dt.datetime,
    framework: str | None,
    planned: dict,
) -> list[dict]:
    """Every stage over every batch, stage by stage, then finalize; return the outcomes."""
    artifact_id = create_progress_artifact(
        progress=0.0, key="annexe-run-progress", description=f"{trigger} run over {len(planned['process'])} inspections"
    )
    w, fd = config.warehouse, config.frameworks_dir
    gate.warm(w)  # Great Expectations loads in the gate's process while this one ingests
    total = sum(len(ids) for ids in work)

    def each_batch(stage: str, submit) -> None:
        # Stage by stage across batches: a bounded pool never waits on work queued behind it.
        futures = [submit(staging, ids) for staging, ids in zip(stagings, work, strict=True)]
        done = 0
        for future, ids in zip(futures, work, strict=True):
            future.result()
            done += len(ids)
            _notify(stage, done, total, artifact_id)

    try:
        each_batch("ingest", lambda s, ids: ingest_task.submit(config.landing, w, s, ids, fd, framework))
        cases_reader.stop()  # every file is read: the reader's memory goes back before the gate's peak
        each_batch("validate", lambda s, ids: validate_task.submit(w, s, fd, config.minimum_cases))
        each_batch("aggregate", lambda s, ids: aggregate_task.submit(w, s, fd, config.suppression_threshold))
        gate_task(w, stagings, fd)
    finally:
        gate.stop()  # also when a stage before it failed: no idle process is left holding GX
    national_task(w, stagings)
    _notify("gate", total, total, artifact_id)
    try:
        each_batch("publish", lambda s, ids: publish_task.submit(w, s, run_id, fd, config.publication))
    finally:
        rendering.shutdown()  # the rendering processes' memory goes back before the periods and finalize
    periods_task(w, run_id, fd, config.publication)
    return finalize_task(
        config.warehouse, stagings, run_id, trigger, started_at, config.publication, planned["refresh_shared"]
    )


def _report(summary: dict) -> State:
    """Tell Prefect what the run did: a log line per inspection, table artifacts, and a state that is Failed
    when any inspection was rejected (its publications stand), so the UI and automations see rejections."""
    logger = get_run_logger()
    published = [o for o in summary["outcomes"] if o["outcome"] == "published"]
    rejected = [o for o in summary["outcomes"] if o["outcome"] == "rejected"]
    for o in published:
        logger.info(
            "published %s (%s): %s/%s, %s",
            o["inspection_id"],
            o.get("pdu"),
            o.get("score"),
            o.get("max_score"),
            o.get("overall_rating"),
        )
    for o in rejected:
        for p in o["problems"]:
            logger.warning(
                "rejected %s: %s row %s column %s: %s",
                o["inspection_id"],
                p["file"],
                p["row"],
                p["column"],
                p["message"],
            )
    for inspection_id in summary["still_rejected"]:
        logger.warning("still rejected %s: its extract is unchanged since it was quarantined", inspection_id)
    for folder in summary["set_aside"]:
        logger.warning("not read: landing-zone folder %s: %s", folder["folder"], folder["reason"])
    create_table_artifact(
        key="annexe-published",
        description="Inspections published by this run",
        table=[
            {
                "inspection": o["inspection_id"],
                "pdu": o.get("pdu"),
                "score": f"{o.get('score')}/{o.get('max_score')}",
                "overall rating": o.get("overall_rating"),
            }
            for o in published
        ],
    )
    create_table_artifact(
        key="annexe-quarantine",
        description="Problems that stopped an inspection's publication",
        table=[
            {
                "inspection": o["inspection_id"],
                "file": p["file"],
                "row": p["row"],
                "column": p["column"],
                "check": p.get("check"),
                "message": p["message"],
            }
            for o in rejected
            for p in o["problems"]
        ],
    )
    counts = f"{len(published)} published, {len(rejected)} rejected, {len(summary['unchanged'])} unchanged" + (
        f", {len(summary['still_rejected'])} still rejected" if summary["still_rejected"] else ""
    )
    create_markdown_artifact(
        key="annexe-run-summary",
        description="What this run did",
        markdown=f"# annexe {summary['trigger']} run\n\n{counts}.\n\nWarehouse: `{summary['warehouse']}`\n",
    )
    failed = len(rejected) + len(summary["still_rejected"])
    if failed:
        return Failed(message=f"{failed} inspection(s) rejected and in quarantine; {counts}", data=summary)
    return Completed(message=counts, data=summary)


def run_summary(flow_fn, **kwargs) -> dict:
    """Run a flow in this process and return its summary, whether it ended Completed or Failed by rejections."""
    result = flow_fn(**kwargs, return_state=True).result(raise_on_failure=False)
    if isinstance(result, BaseException):  # the run itself failed, not the data
        raise result
    return result


@flow(name="annexe-nightly", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
def nightly(
    landing: str | None = None, warehouse: str | None = None, trigger: str = "schedule", batch_size: int = 50
) -> State:
    """Process every new or changed inspection in the landing zone and publish it."""
    return _report(run_pipeline(landing, warehouse, trigger, batch_size=batch_size))


@flow(name="annexe-backfill", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
def backfill(
    inspection_ids: list[str] | None = None,
    fieldwork_from: dt.date | None = None,
    fieldwork_to: dt.date | None = None,
    force: bool = False,
    framework: str | None = None,
    landing: str | None = None,
    warehouse: str | None = None,
    batch_size: int = 50,
) -> State:
    """Reprocess chosen inspections (by id, fieldwork dates or all), optionally forced or under another framework."""
    return _report(
        run_pipeline(
            landing, warehouse, "backfill", inspection_ids, fieldwork_from, fieldwork_to, force, framework, batch_size
        )
    )
