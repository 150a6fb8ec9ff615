"""The `annexe` command: run, backfill, validate, status, open, verify, factcheck, synth and serve.

Exit codes: 0 every inspection processed was published (or nothing needed doing); 1 an inspection was
rejected (its problems are in quarantine) or remains rejected, or a check found a problem; 2 the command was
used wrongly (one line says how, nothing was done); 3 the run itself failed (an error, not bad data).
"""

from __future__ import annotations

import sys


def __getattr__(name: str):
    if name == "app":  # the typer application, imported only when asked for (`status` and `open` do without)
        from flows.cli.commands import app

        return app
    raise AttributeError(name)


def main() -> None:
    """Entry point of the `annexe` command."""
    try:
        from flows.cli.quick import dispatch

        code = dispatch(sys.argv[1:])
        if code is not None:
            sys.exit(code)
        from flows.cli.commands import app

        app()
    except KeyboardInterrupt:
        sys.exit(130)
