"""Publish: each inspection of a batch either published (tables and annexe) or quarantined, in one commit."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial

import polars as pl

from flows.stages import periods, rendering
from flows.store import manifest
from flows.store.staging import Batch
from flows.store.warehouse import Warehouse
from schemas.quarantine import empty_quarantine, quality_problems, quarantine_rows
from transforms.framework import cached_loader
from transforms.revisions import revision_note

RELEASE_TABLES = ("inspections", "standard_ratings", "key_question_results")


def _previous_tables(warehouse: Warehouse, entries: list[dict], inspection_id: str) -> dict[str, pl.DataFrame]:
    """The tables a revision note compares, as the inspection is published now (before this commit)."""
    found = {}
    for entry in entries:
        if entry.get("inspection_id") == inspection_id and entry.get("table") in RELEASE_TABLES:
            found[entry["table"]] = pl.read_parquet(io.BytesIO(warehouse.read_bytes(entry["path"])))
    return found


def release(
    state: dict,
    fingerprint: str,
    previous,
    current: dict[str, pl.DataFrame],
    publication: dict,
    report_url: str | None,
    today: dt.date,
) -> dict:
    """An inspection's release facts: first published, status, next update, report, revisions (newest last).

    A republication from other inputs adds a revision saying what changed; the same inputs again (a forced
    backfill) change nothing, so the annexe comes out byte for byte the same.
    """
    revisions = list(state.get("revisions") or [])
    if state.get("fingerprint") and state["fingerprint"] != fingerprint:
        old = previous()
        if set(old) == set(RELEASE_TABLES):
            revisions.append({"date": today.isoformat(), "note": revision_note(old, current)})
    settings = publication.get("statistics", {})
    return {
        "first_published": state.get("first_published") or today.isoformat(),
        "revisions": revisions,
        "report_url": report_url,
        "statistics_status": settings.get("statistics_status"),
        "next_update": settings.get("next_update"),
    }


def _for_renderers(facts: dict) -> dict:
    """Release facts as the renderers take them (dates as dates)."""
    return {
        "published_on": dt.date.fromisoformat(facts["first_published"]),
        "statistics_status": facts["statistics_status"],
        "next_update": facts["next_update"],
        "report_url": facts["report_url"],
        "revisions": [{"date": dt.date.fromisoformat(r["date"]), "note": r["note"]} for r in facts["revisions"]],
    }


def publish(warehouse_url: str, batch_folder: str, run_id: str, frameworks_dir: str, publication: dict) -> str:
    """Publish the batch's passing inspections and quarantine the failing ones; return the batch folder."""
    warehouse = Warehouse(warehouse_url)
    batch = Batch(warehouse, batch_folder)
    records = batch.read_ingested()
    tables = {name: frame.partition_by("inspection_id", as_dict=True) for name, frame in batch.read_tables().items()}
    quarantine = batch.read_problems().partition_by("inspection_id", as_dict=True)
    failures = batch.read_quality().partition_by("inspection_id", as_dict=True)
    load = cached_loader(frameworks_dir)
    valid = batch.read_valid()[0]
    report_urls = dict(valid.select("inspection_id", "report_url").iter_rows())
    today = dt.datetime.now(dt.UTC).date()
    outcomes, publications = [], []
    jobs, passing = {}, []  # rendered together, on every core, once every inspection has been judged
    with warehouse.locks([f"inspection-{r['inspection_id']}" for r in records]):
        # read under the locks: no other run changes these inspections now
        committed = manifest.read_inspections(warehouse, [r["inspection_id"] for r in records])
        national = batch.read_national()
        for record in records:
            inspection_id, fingerprint = record["inspection_id"], record["fingerprint"]
            key = (inspection_id,)
            problems = pl.concat(
                [
                    quarantine.get(key, empty_quarantine()),
                    quarantine_rows(quality_problems(failures[key]), fingerprint)
                    if key in failures
                    else empty_quarantine(),
                ]
            )
            framework = load(tables["inspections"][key]["framework"].item()) if key in tables["inspections"] else None
            if problems.height:
                resources = manifest.stage_files(
                    warehouse, inspection_id, fingerprint, run_id, {"quarantine": problems}, {}
                )
                publications.append(
                    manifest.Publication(
                        inspection_id,
                        fingerprint,
                        {"rejected_fingerprint": fingerprint, "rejected_run_id": run_id},
                        resources,
                        {"quarantine"},
                    )
                )
                outcome, rows = "rejected", problems.height
            else:
                own = rendering.inspection_tables(tables, inspection_id)
                state = committed["inspections"].get(inspection_id, {})
                facts = release(
                    state,
                    fingerprint,
                    partial(_previous_tables, warehouse, committed["resources"], inspection_id),
                    own,
                    publication,
                    report_urls.get(inspection_id),
                    today,
                )
                figures = national[inspection_id]
                jobs[inspection_id] = {**publication, "release": _for_renderers(facts), "national": figures}
                passing.append(
                    (
                        inspection_id,
                        fingerprint,
                        own,
                        {
                            "fingerprint": fingerprint,
                            "run_id": run_id,
                            "framework": framework.id,
                            "rejected_fingerprint": None,
                            "rejected_run_id": None,
                            **facts,
                            **periods.place_state(own["inspections"].row(0, named=True)),
                            # what `annexe status` shows, so that it answers from the manifest alone
                            **own["inspections"].select("score", "max_score", "overall_rating").row(0, named=True),
                            "national": figures,
                        },
                    )
                )
                outcome, rows = "published", sum(frame.height for frame in own.values())
            summary = (
                tables["inspections"][key]
                .select("pdu", "fieldwork_start", "score", "max_score", "overall_rating")
                .row(0, named=True)
                if outcome == "published"
                else {}
            )
            outcomes.append(
                {
                    "inspection_id": inspection_id,
                    "fingerprint": fingerprint,
                    "outcome": outcome,
                    "rows": rows,
                    "framework_sha256": framework.sha256 if framework else None,
                    **summary,
                    "problems": problems.select("file", "row", "column", "check", "message").to_dicts(),
                }
            )
        rendered = rendering.render_batch(warehouse_url, batch_folder, frameworks_dir, jobs)
        for inspection_id, fingerprint, own, state in passing:
            resources = manifest.stage_files(
                warehouse, inspection_id, fingerprint, run_id, own, rendered[inspection_id]
            )
            publications.append(manifest.Publication(inspection_id, fingerprint, state, resources))
        manifest.commit(warehouse, publications)
    batch.write_outcomes(outcomes)
    return batch_folder
