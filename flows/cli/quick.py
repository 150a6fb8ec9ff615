"""`annexe status` and `annexe open`, answered from datapackage.json alone, before typer is even imported.

A person asking what is published should not wait for the table readers, Prefect or the command-line framework:
for a warehouse on this machine these answers import only the standard library (and pyarrow only to list
quarantined problems or to read a warehouse published before the manifest carried scores). Anything this parser
does not understand (`--help`, a mistake, an option it does not know) is left to the full command line, so help
and usage errors read the same either way.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from flows.cli.output import problems, say, say_json, table, usage_error

DATA_DOCS = "quality-docs"
MANIFEST = "datapackage.json"
SUMMARY = ("pdu", "region", "fieldwork_start", "score", "max_score", "overall_rating")


class _Unsure(Exception):
    """The arguments are not ones this parser answers; the full command line takes them."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # noqa: D401 - argparse's hook
        raise _Unsure(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="annexe", add_help=False, allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("status", "open"):
        command = commands.add_parser(name, add_help=False, allow_abbrev=False)
        command.add_argument("--warehouse")
        if name == "status":
            command.add_argument("--json", dest="as_json", action="store_true")
        else:
            command.add_argument("inspection")
    return parser


def dispatch(argv: list[str]) -> int | None:
    """Answer `status` or `open` at once and return the exit code; None when the full command line must answer."""
    if not argv or argv[0] not in ("status", "open") or any(a in ("--help", "-h") for a in argv):
        return None
    try:
        args = _parser().parse_args(argv)
    except _Unsure:
        return None
    if args.warehouse is not None and (not args.warehouse or args.warehouse.startswith("-")):
        return None
    if args.command == "status":
        return status(args.warehouse, args.as_json)
    return open_annexe(args.inspection, args.warehouse)


def _warehouse_url(warehouse: str | None) -> str:
    from flows.config import DEFAULT_WAREHOUSE

    return warehouse or os.environ.get("ANNEXE_WAREHOUSE", DEFAULT_WAREHOUSE)


def _reader(url: str):
    """(exists, read_bytes, list_files, shown path) for a warehouse folder or URL; fsspec only for a URL."""
    if "://" not in url:
        root = Path(url)

        def listing(relative: str) -> list[str]:
            folder = root / relative
            return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []

        return (lambda rel="": (root / rel).exists()), (lambda rel: (root / rel).read_bytes()), listing, str
    from flows.store.filesystem import filesystem

    fs, base = filesystem(url)
    scheme = url.split("://")[0]

    def listing(relative: str) -> list[str]:
        folder = f"{base}/{relative}"
        return sorted(fs.find(folder)) if fs.exists(folder) else []

    return (
        (lambda rel="": fs.exists(f"{base}/{rel}".rstrip("/"))),
        (lambda rel: fs.cat_file(f"{base}/{rel}")),
        listing,
        (lambda path: f"{scheme}://{path}"),
    )


def _missing(url: str) -> int:
    return usage_error(f"no warehouse at {url}: give --warehouse or set ANNEXE_WAREHOUSE (or run `annexe run` first)")


def _parquet_rows(read, path: str) -> list[dict]:
    import io

    import pyarrow.parquet as pq

    return pq.ParquetFile(io.BytesIO(read(path))).read().to_pylist()  # read_table would import pandas


def leftover_servers() -> list[dict]:
    """Temporary Prefect APIs left running by killed runs (they hold memory and a port)."""
    from flows import prefect_runtime

    prefect_runtime.configure()
    return prefect_runtime.leftover_servers()


def say_leftovers(servers: list[dict]) -> None:
    """Tell the operator how to stop each temporary Prefect API a killed run left behind."""
    for server in servers:
        say(
            f"A temporary Prefect API (process {server['pid']}, port {server.get('port')}, "
            f"{server.get('memory_mb', 0):.0f} MB) was left running by a run that was killed: stop it with "
            f"`kill {server['pid']}`."
        )


def _published(manifest: dict, read) -> list[dict]:
    """Each published inspection's summary and state, from the manifest (older manifests: its inspections row)."""
    rows = []
    entries = {r.get("inspection_id"): r for r in manifest["resources"] if r.get("table") == "inspections"}
    for inspection_id, state in manifest["inspections"].items():
        if inspection_id not in entries:
            continue  # rejected before it was ever published: it is in quarantine, not in the list
        if all(k in state for k in SUMMARY):
            summary = {k: state[k] for k in SUMMARY}
        else:
            summary = {k: _parquet_rows(read, entries[inspection_id]["path"])[0][k] for k in SUMMARY}
        rows.append(
            {
                "inspection_id": inspection_id,
                **summary,
                "fieldwork_start": str(summary["fieldwork_start"]),
                "run_id": state.get("run_id"),
                "first_published": state.get("first_published"),
                "revisions": len(state.get("revisions") or []),
                "state": "newer extract rejected" if state.get("rejected_fingerprint") else "current",
            }
        )
    return rows


def _quarantined(manifest: dict, read) -> list[dict]:
    """Every problem in quarantine, by inspection (the files are read only when the manifest lists any rows)."""
    found = []
    for entry in sorted(manifest["resources"], key=lambda r: r.get("inspection_id") or ""):
        if entry.get("table") == "quarantine" and entry.get("rows") and entry.get("inspection_id"):
            found += [{"inspection_id": entry["inspection_id"], **row} for row in _parquet_rows(read, entry["path"])]
    return found


def status(warehouse: str | None, as_json: bool) -> int:
    """What is published, from which run, and what is quarantined and why; return the exit code."""
    url = _warehouse_url(warehouse)
    exists, read, _, shown = _reader(url)
    if not exists():
        return _missing(url)
    try:
        manifest = json.loads(read(MANIFEST)) if exists(MANIFEST) else {"resources": [], "inspections": {}}
        if not isinstance(manifest.get("resources"), list) or not isinstance(manifest.get("inspections"), dict):
            raise ValueError("no resources list or inspections table")
    except (ValueError, UnicodeDecodeError) as error:
        say(
            f"{url}/{MANIFEST} cannot be read ({error}); the next `annexe run` sets it aside and republishes "
            "every inspection from the landing zone"
        )
        return 1
    rows, quarantine = _published(manifest, read), _quarantined(manifest, read)
    docs = f"{DATA_DOCS}/index.html"
    docs = shown(f"{url.split('://')[-1]}/{docs}") if exists(docs) else None
    servers = leftover_servers()
    if as_json:
        say_json(
            {
                "warehouse": url,
                "inspections": rows,
                "quarantine": quarantine,
                "quality_docs": docs,
                "leftover_prefect_servers": servers,
            }
        )
        return 0
    table(
        "Published inspections",
        ["inspection", "pdu", "fieldwork", "score", "overall rating", "run", "state"],
        [
            [
                r["inspection_id"],
                r["pdu"],
                r["fieldwork_start"],
                f"{r['score']}/{r['max_score']}",
                r["overall_rating"],
                str(r["run_id"] or "")[:8],
                r["state"],
            ]
            for r in rows
        ],
    )
    for inspection_id in dict.fromkeys(p["inspection_id"] for p in quarantine):
        problems(inspection_id, [p for p in quarantine if p["inspection_id"] == inspection_id])
    if not quarantine:
        say("Nothing in quarantine.")
    if docs:
        say(f"Quality gate reports (Great Expectations Data Docs): {docs}")
    say_leftovers(servers)
    return 0


def open_annexe(inspection: str, warehouse: str | None) -> int:
    """Print where an inspection's annexe files are; return the exit code."""
    url = _warehouse_url(warehouse)
    exists, _, listing, shown = _reader(url)
    if not exists():
        return _missing(url)
    folder = f"annexe/files/{inspection}"
    files = listing(folder) if inspection not in ("", ".", "..") and "/" not in inspection else []
    files = [p for p in files if "/." not in p.split(folder, 1)[-1]]  # not the pending copies of a publication
    if not files:
        say(f"No annexe published for {inspection} in {url}")
        return 1
    for path in files:
        say(shown(path))
    return 0
