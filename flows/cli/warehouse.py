"""`annexe status`, `annexe open` and `annexe verify`: what is published, where, and whether it is sound.

They read the warehouse directly (no Prefect, no Pandera, no Great Expectations), so they answer at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli import app
from flows.cli.options import EXIT_OK, EXIT_REJECTED, AsJson, WarehouseOption, require_warehouse
from flows.cli.output import problems, say, say_json, table
from flows.config import settings

DATA_DOCS = "quality-docs"


def _leftover_servers() -> list[dict]:
    """Temporary Prefect APIs left running by killed runs (they hold memory and a port)."""
    from flows import prefect_runtime

    prefect_runtime.configure()
    return prefect_runtime.leftover_servers()


def _say_leftovers(servers: list[dict]) -> None:
    for server in servers:
        say(
            f"A temporary Prefect API (process {server['pid']}, port {server.get('port')}, "
            f"{server.get('memory_mb', 0):.0f} MB) was left running by a run that was killed: stop it with "
            f"`kill {server['pid']}`."
        )


@app.command()
def status(warehouse: WarehouseOption = None, as_json: AsJson = False) -> None:
    """What is published, from which run, and what is quarantined and why."""
    from flows.store import manifest as manifests
    from flows.store.warehouse import Warehouse, read_table

    config = settings(warehouse=warehouse)
    require_warehouse(config.warehouse)
    store = Warehouse(config.warehouse)
    try:
        manifest = manifests.read(store)
        inspections = read_table(config.warehouse, "inspections")
        quarantine = read_table(config.warehouse, "quarantine")
    except manifests.ManifestUnreadable as error:
        say(str(error))
        raise typer.Exit(EXIT_REJECTED) from None
    states = manifest["inspections"]
    docs = store.path(f"{DATA_DOCS}/index.html") if store.exists(f"{DATA_DOCS}/index.html") else None
    rows = []
    for row in inspections.iter_rows(named=True):
        state = states.get(row["inspection_id"], {})
        rows.append(
            {
                **{
                    k: row[k]
                    for k in (
                        "inspection_id",
                        "pdu",
                        "region",
                        "fieldwork_start",
                        "score",
                        "max_score",
                        "overall_rating",
                    )
                },
                "run_id": state.get("run_id"),
                "first_published": state.get("first_published"),
                "revisions": len(state.get("revisions") or []),
                "state": "newer extract rejected" if state.get("rejected_fingerprint") else "current",
            }
        )
    servers = _leftover_servers()
    if as_json:
        say_json(
            {
                "warehouse": config.warehouse,
                "inspections": rows,
                "quarantine": quarantine.to_dicts(),
                "quality_docs": docs,
                "leftover_prefect_servers": servers,
            }
        )
        return
    table(
        "Published inspections",
        ["inspection", "pdu", "fieldwork", "score", "overall rating", "run", "state"],
        [
            [
                r["inspection_id"],
                r["pdu"],
                str(r["fieldwork_start"]),
                f"{r['score']}/{r['max_score']}",
                r["overall_rating"],
                str(r["run_id"] or "")[:8],
                r["state"],
            ]
            for r in rows
        ],
    )
    for inspection_id in quarantine["inspection_id"].unique(maintain_order=True).to_list():
        problems(inspection_id, quarantine.filter(quarantine["inspection_id"] == inspection_id).to_dicts())
    if quarantine.height == 0:
        say("Nothing in quarantine.")
    if docs:
        say(f"Quality gate reports (Great Expectations Data Docs): {docs}")
    _say_leftovers(servers)


@app.command(name="open")
def open_(inspection: Annotated[str, typer.Argument(help="Inspection id.")], warehouse: WarehouseOption = None) -> None:
    """Print where an inspection's annexe files are."""
    from flows.store.filesystem import filesystem  # a listing needs no table reader: answer at once

    config = settings(warehouse=warehouse)
    require_warehouse(config.warehouse)
    fs, root = filesystem(config.warehouse)
    folder = f"{root}/annexe/files/{inspection}"
    found = fs.find(folder) if "/" not in inspection and fs.exists(folder) else []
    files = sorted(p for p in found if "/." not in p.removeprefix(root))
    if not files:
        say(f"No annexe published for {inspection} in {config.warehouse}")
        raise typer.Exit(EXIT_REJECTED)
    for path in files:
        say(str(Path(path)) if "://" not in config.warehouse else f"{config.warehouse.split('://')[0]}://{path}")


@app.command()
def verify(warehouse: WarehouseOption = None, as_json: AsJson = False) -> None:
    """Check every published file (present, size, sha256) and find leftovers. Exit 0 sound, 1 not."""
    from flows.store.verify import verify as verify_warehouse

    config = settings(warehouse=warehouse)
    findings = verify_warehouse(config.warehouse)
    servers = _leftover_servers()
    if as_json:
        say_json(
            {
                "warehouse": config.warehouse,
                "sound": not findings,
                "findings": findings,
                "leftover_prefect_servers": servers,
            }
        )
    elif findings:
        for finding in findings:
            say(f"{finding['kind']}: {finding['path']}: {finding['detail']}; repair: {finding['repair']}")
        say(f"{config.warehouse}: {len(findings)} problem(s)")
    else:
        say(f"{config.warehouse}: sound (every listed file present with its checksum; nothing left over)")
    if not as_json:
        _say_leftovers(servers)
    raise typer.Exit(EXIT_REJECTED if findings else EXIT_OK)
