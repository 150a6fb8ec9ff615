"""Validate: check every staged extract against its manifest, its framework and the Pandera schema."""

from __future__ import annotations

from collections import defaultdict

import polars as pl

from flows.store.staging import Batch
from flows.store.warehouse import Warehouse
from schemas.extract import check_cases_many, check_manifest, check_ratable_many, check_sample_size
from schemas.quarantine import empty_quarantine, quarantine_rows
from transforms.framework import Framework, cached_loader


def _published_columns(cases: pl.DataFrame, framework: Framework) -> list[str]:
    """The columns of a valid extract that the transforms use, in contract order."""
    return [
        "case_id",
        *framework.case_characteristics,
        *framework.question_ids,
        *[p for p in framework.prompt_ids if p in cases.columns],
        *[u for u in framework.unrated_ids if u in cases.columns],
    ]


def validate(warehouse_url: str, batch_folder: str, frameworks_dir: str, minimum_cases: int) -> str:
    """Stage the valid inspections and the problems of the others; return the batch folder.

    Pandera runs once per framework and column layout for the whole batch, not once per inspection. An extract
    with fewer than `minimum_cases` cases (publication setting [sample] minimum_cases) is not published.
    """
    batch = Batch(Warehouse(warehouse_url), batch_folder)
    load = cached_loader(frameworks_dir)
    records = batch.read_ingested()
    found: dict[str, list[dict]] = {}
    manifests: dict[str, dict] = {}
    by_framework: dict[str, list[tuple[str, pl.DataFrame, str, int]]] = defaultdict(list)
    for record in records:
        inspection_id, manifest = record["inspection_id"], record["manifest"]
        found[inspection_id] = list(record["problems"])
        if manifest is None:
            continue
        manifest_problems, framework = check_manifest(manifest, inspection_id, load)
        found[inspection_id] += manifest_problems
        manifests[inspection_id] = manifest
        if record["has_cases"] and framework is not None:
            cases = batch.read_raw(inspection_id)
            found[inspection_id] += check_sample_size(cases, minimum_cases, inspection_id, record["cases_file"])
            by_framework[framework.id].append((inspection_id, cases, record["cases_file"], record["header_rows"]))

    valid_cases, valid_manifests, organisational = [], [], []
    fingerprints = {r["inspection_id"]: r["fingerprint"] for r in records}
    for framework_id, extracts in by_framework.items():
        framework = load(framework_id)
        for inspection_id, problems in check_cases_many(extracts, framework).items():
            found[inspection_id] += problems
        clean = [
            (i, cases.select(_published_columns(cases, framework)).with_columns(inspection_id=pl.lit(i)), file)
            for i, cases, file, _ in extracts
            if not found[i]
        ]
        if not clean:
            continue
        combined = pl.concat([cases for _, cases, _ in clean], how="diagonal")
        for inspection_id, problems in check_ratable_many(combined, framework, {i: f for i, _, f in clean}).items():
            found[inspection_id] += problems
        for inspection_id, cases, _ in clean:
            if found[inspection_id]:
                continue
            manifest = manifests[inspection_id]
            valid_cases.append(cases)
            valid_manifests.append(
                {
                    "inspection_id": inspection_id,
                    "framework": framework.id,
                    "pdu": manifest["pdu"],
                    "region": manifest["region"],
                    "fieldwork_start": manifest["fieldwork_start"],
                    "fingerprint": fingerprints[inspection_id],
                    "framework_sha256": framework.sha256,
                    # Optional in the contract; only text is kept (the renderers link it only if it is http(s)).
                    "report_url": manifest["report_url"][:2000]
                    if isinstance(manifest.get("report_url"), str)
                    else None,
                }
            )
            organisational += [
                {"inspection_id": inspection_id, "standard_id": s, "rating": r}
                for s, r in manifest["organisational_ratings"].items()
            ]
    rows = [quarantine_rows(found[i], fingerprints[i]) for i in found if found[i]]
    batch.write_problems(pl.concat(rows) if rows else empty_quarantine())
    batch.write_valid(valid_manifests, organisational, pl.concat(valid_cases, how="diagonal") if valid_cases else None)
    return batch_folder
