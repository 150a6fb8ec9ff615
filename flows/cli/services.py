"""`annexe serve`: the nightly and backfill deployments, served from this process."""

from __future__ import annotations

from flows.cli import app
from flows.cli.options import EXIT_FAILED
from flows.cli.output import say


@app.command()
def serve() -> None:
    """Serve the nightly and backfill deployments from this process (needs a Prefect server)."""
    import typer

    from deployments.serve import serve_all
    from flows import prefect_runtime

    try:
        serve_all()
    except prefect_runtime.PrefectUnavailable as error:
        say(f"Cannot serve: {error}")
        raise typer.Exit(EXIT_FAILED) from None
