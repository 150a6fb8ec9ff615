"""How the command line speaks: rich tables on a terminal, plain unwrapped lines when piped, JSON on request.

Every text that comes from data (PDU names, file names, messages) is printed as data: rich markup is off, so
"[bold]" or "[/x]" in an extract is shown as typed and cannot restyle or break the output.
"""

from __future__ import annotations

import json
import sys
from functools import cache


def terminal() -> bool:
    """Whether a person is watching (standard output is a terminal)."""
    return sys.stdout.isatty()


@cache
def console():
    """The rich console for people at a terminal (imported only when one is watching)."""
    from rich.console import Console

    return Console(highlight=False, markup=False, emoji=False)


def say(text: str) -> None:
    """One line, never wrapped or cut (for logs and pipes as much as for people)."""
    print(text, flush=True)


def say_json(value) -> None:
    """A machine-readable result on standard output."""
    print(json.dumps(value, default=str, indent=2), flush=True)


def table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A table: boxed on a terminal; on a pipe, one line per row of `column: value` pairs."""
    if terminal():
        from rich.table import Table

        shown = Table(title=title, title_justify="left")
        for column in columns:
            shown.add_column(column, overflow="fold")
        for row in rows:
            shown.add_row(*[str(v) for v in row])
        console().print(shown)
        return
    say(title)
    for row in rows:
        say("  " + "; ".join(f"{c}: {v}" for c, v in zip(columns, row, strict=True) if v not in ("", None)))


def problems(inspection_id: str, found: list[dict]) -> None:
    """Every problem that keeps an inspection from publication, naming file, row and column."""
    rows = [
        [
            p.get("file") or "",
            "" if p.get("row") is None else str(p["row"]),
            p.get("column") or "",
            p.get("message") or "",
        ]
        for p in found
    ]
    table(f"{inspection_id}: not published", ["file", "row", "column", "problem"], rows)


def usage_error(message: str) -> int:
    """A wrong use of the command: one line on standard error, exit code 2."""
    print(f"annexe: {message}", file=sys.stderr, flush=True)
    return 2
