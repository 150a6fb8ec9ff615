"""`annexe validate` and `annexe synth`: check extracts without publishing, and write synthetic ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.commands import app
from flows.cli.options import EXIT_OK, EXIT_REJECTED, fail
from flows.cli.output import problems, say
from flows.config import settings
from schemas.contract import MANIFEST_FILE


def _validate_one(folder: Path, config) -> bool:
    """Check one inspection folder and print its problems; True when it would publish."""
    from flows.store.landing import read_extract
    from schemas.extract import check_extract
    from transforms.framework import cached_loader

    extract = read_extract(str(folder.parent), folder.name, config.frameworks_dir)
    found, framework = check_extract(
        folder.name,
        extract.manifest,
        extract.cases,
        extract.cases_file,
        extract.header_rows,
        extract.problems,
        cached_loader(config.frameworks_dir),
        minimum_cases=config.minimum_cases,
    )
    if found:
        problems(folder.name, found)
        say(f"{folder.name}: {len(found)} problem(s); it would be quarantined, not published.")
        return False
    say(f"{folder.name}: valid ({extract.cases.height} cases, framework {framework.id}).")
    return True


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="One inspection's folder, or a landing zone (every folder in it).")],
    frameworks: Annotated[str | None, typer.Option(help="Frameworks folder.")] = None,
) -> None:
    """Check extracts and print every problem; publishes nothing. Exit 0 all valid, 1 not."""
    config = settings(frameworks_dir=frameworks)
    folder = folder.resolve()
    if not folder.is_dir():
        raise fail(f"{folder} is not a folder")
    if (folder / MANIFEST_FILE).exists():
        raise typer.Exit(EXIT_OK if _validate_one(folder, config) else EXIT_REJECTED)
    from flows.store.landing import discover_report

    found = discover_report(str(folder))
    if not found.inspection_ids:
        raise fail(f"{folder} has no {MANIFEST_FILE} and no inspection folders: give one inspection's folder")
    say(f"{folder} is a landing zone: validating its {len(found.inspection_ids)} inspection folder(s).")
    results = [_validate_one(folder / name, config) for name in found.inspection_ids if (folder / name).is_dir()]
    for aside in found.set_aside:
        say(f"Not read: {aside['folder']}: {aside['reason']}")
    valid = sum(results)
    say(f"{valid} valid, {len(found.inspection_ids) - valid} with problems.")
    raise typer.Exit(EXIT_OK if valid == len(found.inspection_ids) else EXIT_REJECTED)


@app.command()
def synth(
    directory: Annotated[Path, typer.Argument(help="Landing zone to write (created if absent).")],
    inspections: Annotated[int, typer.Option(help="How many inspections.")] = 100,
    cases: Annotated[int, typer.Option(help="Cases per inspection.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 0,
) -> None:
    """Write a seeded synthetic landing zone in extract contract v1 (for benchmarks and rehearsals)."""
    from flows.synth import synthesise

    if inspections < 1 or cases < 1:
        raise fail("--inspections and --cases must be at least 1")
    ids = synthesise(directory, inspections, cases, seed=seed)
    say(f"{len(ids)} inspections of {cases} cases written to {directory}")
