"""`annexe status`, `annexe open` and `annexe verify`: what is published, where, and whether it is sound.

They read the warehouse directly (no Prefect, no Pandera, no Great Expectations), so they answer at once;
`status` and `open` are usually answered by flows/cli/quick.py before this module is imported.
"""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli import quick
from flows.cli.commands import app
from flows.cli.options import EXIT_OK, EXIT_REJECTED, AsJson, WarehouseOption
from flows.cli.output import say, say_json
from flows.config import settings


@app.command()
def status(warehouse: WarehouseOption = None, as_json: AsJson = False) -> None:
    """What is published, from which run, and what is quarantined and why."""
    raise typer.Exit(quick.status(warehouse, as_json))


@app.command(name="open")
def open_(inspection: Annotated[str, typer.Argument(help="Inspection id.")], warehouse: WarehouseOption = None) -> None:
    """Print where an inspection's annexe files are."""
    raise typer.Exit(quick.open_annexe(inspection, warehouse))


@app.command()
def verify(warehouse: WarehouseOption = None, as_json: AsJson = False) -> None:
    """Check every published file (present, size, sha256) and find leftovers. Exit 0 sound, 1 not."""
    from flows.store.verify import verify as verify_warehouse

    config = settings(warehouse=warehouse)
    findings = verify_warehouse(config.warehouse)
    servers = quick.leftover_servers()
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
        quick.say_leftovers(servers)
    raise typer.Exit(EXIT_REJECTED if findings else EXIT_OK)
