"""Plan: repair what a crash or damage left, then decide which inspections a run processes, and why."""

from __future__ import annotations

import datetime as dt

from flows.stages.periods import touches
from flows.store import ledger, manifest, staging
from flows.store.landing import discover_report, inspection_fingerprint
from flows.store.warehouse import Warehouse

REASONS = ("new", "changed", "forced", "repair")


def recover(warehouse: Warehouse) -> dict:
    """Bring the warehouse back to a state its manifest describes truly, whatever a crash or damage left.

    datapackage.json and the per-inspection shards are made to agree (an unreadable datapackage.json is set aside
    and everything is republished from the landing zone); crashed runs' staging is deleted after the outcomes
    they had committed are ledgered; their temporary files are swept.
    """
    restoring = manifest.read_package(warehouse) is None
    set_aside = manifest.restore(warehouse)
    cleared = staging.clear_abandoned(warehouse)
    for run in cleared:
        if run["outcomes"] and not warehouse.exists(ledger.ledger_path(run["run_id"])):
            ledger.write(
                warehouse, run["run_id"], run["trigger"], run["started_at"] or dt.datetime.now(dt.UTC), run["outcomes"]
            )
    sweep_temporaries(warehouse, thorough=restoring or bool(cleared))
    return {"manifest_set_aside": set_aside}


def sweep_temporaries(warehouse: Warehouse, thorough: bool = True) -> list[str]:
    """Delete half-written files of killed runs (write_atomic's temporaries) that no live run is writing.

    The folders with an entry per inspection (index page, shards) are written only by runs with staging or by a
    restore, so they are swept (`thorough`) only after one died: an unchanged nightly lists none of them.
    """
    swept = []
    patterns = ["*.tmp-*", "annexe/*.tmp-*", "manifest/*.tmp-*", "manifest/unconsolidated/*.tmp-*"]
    patterns += ["annexe/files/*.tmp-*", "manifest/inspections/*.tmp-*"] if thorough else []
    # datapackage.json, the shards, the index page and the dictionary are written under this lock
    with warehouse.lock("manifest"):
        for pattern in patterns:
            for path in warehouse.glob(pattern):
                warehouse.remove(path)
                swept.append(path)
    for path in warehouse.glob(f"{ledger.LEDGER}/*/*.tmp-*"):
        run_id = path.split("run_id=", 1)[1].split("/", 1)[0]
        if not warehouse.exists(f"{staging.STAGING}/{run_id}"):  # a live run keeps its staging until it is ledgered
            warehouse.remove(path)
            swept.append(path)
    return swept


def assess(
    landing: str,
    warehouse_url: str,
    frameworks_dir: str,
    inspection_ids: list[str] | None = None,
    fieldwork_from: dt.date | None = None,
    fieldwork_to: dt.date | None = None,
    force: bool = False,
    framework_override: str | None = None,
) -> dict:
    """What a run would do and why, writing nothing: inspections to process with a reason each (new, changed,
    forced, repair), those left as they are, and the repairs the warehouse needs first."""
    warehouse = Warehouse(warehouse_url)
    discovery = discover_report(landing)
    found = discovery.inspection_ids
    state, shared, repairs = _committed(warehouse, found)
    inspected = manifest.inspect(warehouse, found, state)
    published = state["inspections"]
    wanted = found if inspection_ids is None else [i for i in inspection_ids if i in found]
    missing = [] if inspection_ids is None else [i for i in inspection_ids if i not in found]
    damaged = set(inspected["damaged"])
    reasons, unchanged, out_of_range = {}, [], []
    for inspection_id in wanted:
        fingerprint, parsed = inspection_fingerprint(landing, inspection_id, frameworks_dir, framework_override)
        start = (parsed or {}).get("fieldwork_start")
        if (fieldwork_from or fieldwork_to) and isinstance(start, dt.date):
            if (fieldwork_from and start < fieldwork_from) or (fieldwork_to and start > fieldwork_to):
                out_of_range.append(inspection_id)
                continue
        current = published.get(inspection_id, {}).get("rejected_fingerprint") or published.get(inspection_id, {}).get(
            "fingerprint"
        )
        if current is None:
            reasons[inspection_id] = "new"
        elif fingerprint != current:
            reasons[inspection_id] = "changed"
        elif inspection_id in damaged:
            reasons[inspection_id] = "repair"
        elif force:
            reasons[inspection_id] = "forced"
        else:
            unchanged.append(inspection_id)
    repairs += [f"finish the interrupted publication of {i}" for i in inspected["interrupted"]]
    repairs += [f"restage the comparison tables of {p}, left out of date by a run that died" for p in
                manifest.periods_pending(shared)]  # fmt: skip
    repairs += [f"clear the staging of run {r}, which died" for r in staging.abandoned(warehouse)]
    refresh = manifest.shared_files_damaged(warehouse, shared) or bool(
        ledger.unlisted(warehouse, {r["path"] for r in shared["resources"]})
    )
    if refresh:
        repairs.append("rewrite or list the index page, dictionary or ledger")
    return {
        "process": list(reasons),
        "reasons": reasons,
        "unchanged": unchanged,
        "out_of_range": out_of_range,
        "missing": missing,
        "still_rejected": [i for i in unchanged if published[i].get("rejected_fingerprint")],
        "set_aside": discovery.set_aside,
        "repairs": repairs,
        "refresh_shared": refresh,
    }


def _committed(warehouse: Warehouse, inspection_ids: list[str]) -> tuple[dict, dict, list[str]]:
    """The inspections' committed state and files, the files of no inspection, and the repairs reading them shows.

    Read from the inspections' shards and the package's own part, so that a plan costs the same however many
    inspections the warehouse holds; the whole manifest only when datapackage.json and the shards disagree.
    """
    shared = manifest.read_package(warehouse)
    if shared is not None:
        return manifest.read_inspections(warehouse, inspection_ids), shared, []
    try:
        state = manifest.read(warehouse)
    except manifest.ManifestUnreadable:
        return manifest.empty(), manifest.empty(), ["datapackage.json is unreadable: it is set aside and rebuilt"]
    repairs = ["rebuild datapackage.json and its per-inspection index from each other"] if state["inspections"] else []
    return state, state, repairs


def plan(
    landing: str,
    warehouse_url: str,
    frameworks_dir: str,
    inspection_ids: list[str] | None = None,
    fieldwork_from: dt.date | None = None,
    fieldwork_to: dt.date | None = None,
    force: bool = False,
    framework_override: str | None = None,
) -> dict:
    """Repair what a crash or damage left, then say what the run processes (see assess)."""
    warehouse = Warehouse(warehouse_url)
    recovered = recover(warehouse)
    manifest.heal(warehouse, discover_report(landing).inspection_ids, touches(warehouse))
    assessed = assess(
        landing, warehouse_url, frameworks_dir, inspection_ids, fieldwork_from, fieldwork_to, force, framework_override
    )
    return {**assessed, **recovered}


def batches(inspection_ids: list[str], batch_size: int) -> list[list[str]]:
    """Split inspections into batches of at most batch_size."""
    size = max(1, batch_size)
    return [inspection_ids[i : i + size] for i in range(0, len(inspection_ids), size)]
