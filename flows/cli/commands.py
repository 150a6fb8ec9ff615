"""The typer application every command module adds its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Publish probation inspection ratings and their data annexe from case-sample extracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module adds its commands to `app`; they import what they need only when they run.
from flows.cli import extracts, runs, services, warehouse  # noqa: E402,F401
