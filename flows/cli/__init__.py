"""The `annexe` command: run, backfill, validate, status, open, verify, factcheck, synth and serve.

Exit codes: 0 every inspection processed was published (or nothing needed doing); 1 an inspection was
rejected (its problems are in quarantine) or remains rejected, or a check found a problem; 2 the command was
used wrongly (one line says how, nothing was done); 3 the run itself failed (an error, not bad data).
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    help="Publish probation inspection ratings and their data annexe from case-sample extracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module adds its commands to `app`; they import what they need only when they run.
from flows.cli import extracts, runs, services, warehouse  # noqa: E402,F401


def main() -> None:
    """Entry point of the `annexe` command."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
