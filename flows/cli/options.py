"""Options shared by several commands, and the checks that turn a wrong use into exit code 2 before any work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.output import usage_error

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

Landing = Annotated[
    str | None, typer.Option(help="Landing zone folder or URL [env ANNEXE_LANDING; default data/landing].")
]
WarehouseOption = Annotated[
    str | None, typer.Option(help="Warehouse folder or URL [env ANNEXE_WAREHOUSE; default ./warehouse].")
]
BatchSize = Annotated[int, typer.Option(help="Inspections per task (bigger batches, less orchestration overhead).")]
Dask = Annotated[
    str | None,
    typer.Option(
        envvar="ANNEXE_DASK_ADDRESS",
        help="Run tasks on this Dask scheduler (tcp://host:8786) [env ANNEXE_DASK_ADDRESS].",
    ),
]
Workers = Annotated[int, typer.Option(help="Batches processed at once on this machine.")]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="List every inspection, not only rejected ones.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would be processed and why; write nothing.")]


def fail(message: str) -> typer.Exit:
    """Exit code 2 with one line saying what was wrong."""
    return typer.Exit(usage_error(message))


def _exists(url: str) -> bool:
    from flows.store.filesystem import filesystem

    fs, root = filesystem(url)
    return fs.exists(root)


def require_landing(url: str) -> None:
    """The landing zone must exist: a run over a mistyped path must not report '0 published'."""
    if not _exists(url):
        raise fail(f"no landing zone at {url}: give --landing or set ANNEXE_LANDING")


def require_warehouse(url: str) -> None:
    """Commands that read a warehouse need one."""
    if not _exists(url):
        raise fail(f"no warehouse at {url}: give --warehouse or set ANNEXE_WAREHOUSE (or run `annexe run` first)")


def require_writable_warehouse(url: str) -> None:
    """A run may create its warehouse, but only inside a folder that exists (a typo must not scatter folders)."""
    if "://" in url:
        return
    parent = Path(url).resolve().parent
    if not parent.is_dir():
        raise fail(f"cannot create the warehouse {url}: {parent} does not exist")


def require_positive(name: str, value: int) -> None:
    """Counts such as --batch-size must be at least 1."""
    if value < 1:
        raise fail(f"{name} must be at least 1, not {value}")


def require_framework(framework_id: str | None, frameworks_dir: str) -> None:
    """A framework named on the command line must exist and load."""
    if framework_id is None:
        return
    from transforms.framework import FrameworkError, load_framework

    try:
        load_framework(framework_id, frameworks_dir)
    except FrameworkError as error:
        raise fail(f"--framework: {error}") from None
