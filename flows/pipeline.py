"""Prefect flows: the nightly incremental run and the data team's backfill, over the same tasks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from flows.config import prefect_defaults

prefect_defaults()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_progress_artifact, update_progress_artifact  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from flows import planning, publish as publishing, stages  # noqa: E402
from flows.config import settings  # noqa: E402

STAGES = ("ingest", "validate", "aggregate", "check", "publish")
# In-process listeners (the CLI's progress bar); called as (stage, batches done, batches in all).
progress_listeners: list[Callable[[str, int, int], None]] = []


@task(name="plan", retries=2, retry_delay_seconds=2)
def plan_task(landing: str, warehouse: str, frameworks_dir: str, inspection_ids: list[str] | None,
              fieldwork_from: dt.date | None, fieldwork_to: dt.date | None, force: bool,
              framework: str | None) -> dict:
    """Heal interrupted publications and decide which inspections to process."""
    return planning.plan(landing, warehouse, frameworks_dir, inspection_ids, fieldwork_from, fieldwork_to, force,
                         framework)


@task(name="ingest", retries=2, retry_delay_seconds=2)
def ingest_task(landing: str, warehouse: str, staging: str, inspection_ids: list[str], frameworks_dir: str,
                framework: str | None) -> str:
    """Read a batch of extracts from the landing zone into staging."""
    return stages.ingest(landing, warehouse, staging, inspection_ids, frameworks_dir, framework)


@task(name="validate")
def validate_task(warehouse: str, staging: str, frameworks_dir: str) -> str:
    """Validate a batch of staged extracts; invalid ones are set aside for quarantine."""
    return stages.validate(warehouse, staging, frameworks_dir)


@task(name="aggregate")
def aggregate_task(warehouse: str, staging: str, frameworks_dir: str, suppression_threshold: int) -> str:
    """Compute the published tables for a batch."""
    return stages.aggregate(warehouse, staging, frameworks_dir, suppression_threshold)


@task(name="check")
def check_task(warehouse: str, stagings: list[str], frameworks_dir: str) -> list[str]:
    """Run the quality gate once over every batch's tables (its fixed cost is high, its cost per row low)."""
    return publishing.check(warehouse, stagings, frameworks_dir)


@task(name="publish", retries=1, retry_delay_seconds=2)
def publish_task(warehouse: str, staging: str, run_id: str, frameworks_dir: str, publication: dict) -> str:
    """Publish a batch atomically, inspection by inspection."""
    return publishing.publish(warehouse, staging, run_id, frameworks_dir, publication)


@task(name="finalize", retries=1, retry_delay_seconds=2)
def finalize_task(warehouse: str, stagings: list[str], run_id: str, trigger: str, started_at: dt.datetime,
                  publication: dict) -> list[dict]:
    """Record the run in the ledger and refresh the dictionary and index page."""
    return publishing.finalize(warehouse, stagings, run_id, trigger, started_at, publication)


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


def run_pipeline(landing: str | None, warehouse: str | None, trigger: str, inspection_ids: list[str] | None = None,
                 fieldwork_from: dt.date | None = None, fieldwork_to: dt.date | None = None, force: bool = False,
                 framework: str | None = None, batch_size: int = 50, suppression_threshold: int | None = None,
                 frameworks_dir: str | None = None) -> dict:
    """Plan, then run every stage over batches of inspections, then close the run."""
    logger = get_run_logger()
    config = settings(landing, warehouse, frameworks_dir, suppression_threshold)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    started_at = dt.datetime.now(dt.UTC)
    planned = plan_task(config.landing, config.warehouse, config.frameworks_dir, inspection_ids, fieldwork_from,
                        fieldwork_to, force, framework)
    logger.info("%d to process, %d unchanged", len(planned["process"]), len(planned["unchanged"]))
    work = planning.batches(planned["process"], batch_size)
    staging_root = planning.claim_staging(config.warehouse, run_id) if work else ""
    stagings = [f"{staging_root}/batch-{n:05d}" for n in range(len(work))]
    outcomes: list[dict] = []
    if work:
        artifact_id = create_progress_artifact(progress=0.0, key="annexe-run-progress",
                                               description=f"{trigger} run over {len(planned['process'])} inspections")
        w, fd = config.warehouse, config.frameworks_dir

        def each_batch(stage: str, submit) -> None:
            # Stage by stage across batches: a bounded pool never waits on work queued behind it.
            futures = [submit(staging, ids) for staging, ids in zip(stagings, work)]
            for done, future in enumerate(futures, start=1):
                future.result()
                _notify(stage, done, len(futures), artifact_id)

        each_batch("ingest", lambda s, ids: ingest_task.submit(config.landing, w, s, ids, fd, framework))
        each_batch("validate", lambda s, ids: validate_task.submit(w, s, fd))
        each_batch("aggregate", lambda s, ids: aggregate_task.submit(w, s, fd, config.suppression_threshold))
        check_task(w, stagings, fd)
        _notify("check", 1, 1, artifact_id)
        each_batch("publish", lambda s, ids: publish_task.submit(w, s, run_id, fd, config.publication))
        outcomes = finalize_task(config.warehouse, stagings, run_id, trigger, started_at, config.publication)
    elif not publishing.index_exists(config.warehouse):
        finalize_task(config.warehouse, [], run_id, trigger, started_at, config.publication)
    return {"run_id": run_id, "trigger": trigger, "warehouse": config.warehouse, "outcomes": outcomes,
            **{k: planned[k] for k in ("unchanged", "out_of_range", "missing", "still_rejected")}}


@flow(name="annexe-nightly", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
def nightly(landing: str | None = None, warehouse: str | None = None, trigger: str = "schedule",
            batch_size: int = 50) -> dict:
    """Process every new or changed inspection in the landing zone and publish it."""
    return run_pipeline(landing, warehouse, trigger, batch_size=batch_size)


@flow(name="annexe-backfill", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
def backfill(inspection_ids: list[str] | None = None, fieldwork_from: dt.date | None = None,
             fieldwork_to: dt.date | None = None, force: bool = False, framework: str | None = None,
             landing: str | None = None, warehouse: str | None = None, batch_size: int = 50) -> dict:
    """Reprocess chosen inspections (by id, by fieldwork dates, or all), optionally forced or under another framework."""
    return run_pipeline(landing, warehouse, "backfill", inspection_ids, fieldwork_from, fieldwork_to, force,
                        framework, batch_size)
