"""datapackage.json rebuilt from the package's own part and every inspection's shard, one shard held at a time.

At 5,000 inspections the manifest is about 30 MB of JSON and several times that as Python objects, and the end of
a run (consolidate, the periods stage, finalize) held it whole each time it rewrote it. Here each shard's file
entries go to a temporary file per folder kind (each already in path order, since shards are read in that order),
merged by path with the package's own entries at the end: the bytes are those `json.dumps(indent=2)` wrote of the
whole manifest sorted as before, so readers see no change.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flows.store import shards
from flows.store.warehouse import Warehouse

PLACE = ("period", "pdu", "region", "fieldwork_start", "framework")  # what the periods stage needs of a state
BRIEF = ("path", "table", "inspection_id")  # what reading a table needs of an entry

# Inspections' {"state", "resources"} as datapackage.json is to list them (None: it does not list one), in the
# order given.
Listing = Callable[[list[str]], Iterator[tuple[str, dict | None]]]


@dataclass
class Streamed:
    """A list (or object) of the manifest given as its items' JSON texts, one at a time."""

    texts: Iterator[str]
    brackets: str = "[]"


def indented(value: object, depth: int) -> str:
    """`value` as json.dumps(indent=2) writes it nested `depth` levels deep."""
    return json.dumps(value, indent=2, default=str).replace("\n", "\n" + "  " * depth)


def brief(shard: dict | None) -> dict | None:
    """Where an inspection sits and its inspections-table entry: what the periods stage needs of its shard."""
    if shard is None:
        return None
    entries = [r for r in shard["resources"] if r.get("table") == "inspections"]
    return {
        "state": {key: shard["state"][key] for key in PLACE if key in shard["state"]},
        "resources": [{key: entry[key] for key in BRIEF if key in entry} for entry in entries],
    }


def published(warehouse: Warehouse, listing: Listing) -> dict:
    """Every listed inspection's place and inspections-table entry (a manifest's shape), with `tables`, the
    tables any inspection has a partition of: a small fraction of the manifest, read a shard at a time."""
    inspections, resources, tables = {}, [], set()
    for inspection_id, shard in listing(shards.ids(warehouse)):
        if shard is None:
            continue
        tables |= {r.get("table") for r in shard["resources"]}
        shard = brief(shard)
        inspections[inspection_id] = shard["state"]
        resources += shard["resources"]
    return {"inspections": dict(sorted(inspections.items())), "resources": resources, "tables": tables}


def chunks(warehouse: Warehouse, package: dict, listing: Listing) -> Iterator[bytes]:
    """datapackage.json's bytes: the package's own part with every listed inspection's state and file entries."""
    with tempfile.TemporaryDirectory(prefix="datapackage-") as folder:
        kinds: dict[str, object] = {}
        loose: list[dict] = []  # entries outside their inspection's folders (none are written so)
        states = open(os.path.join(folder, "states"), "w+b")  # noqa: SIM115 (closed with the folder below)
        where: dict[str, tuple[int, int]] = {}
        try:
            for inspection_id, shard in listing(shards.ids(warehouse)):
                if shard is None:
                    continue
                for entry in sorted(shard["resources"], key=lambda r: r["path"]):
                    kind, found, _ = entry["path"].partition(f"{inspection_id}/")
                    if not found:
                        loose.append(entry)
                        continue
                    if kind not in kinds:
                        kinds[kind] = open(os.path.join(folder, f"kind-{len(kinds)}"), "w+", encoding="utf-8")  # noqa: SIM115
                    kinds[kind].write(json.dumps(entry, default=str) + "\n")
                text = f"{json.dumps(inspection_id)}: {indented(shard['state'], 2)}".encode()
                where[inspection_id] = (states.tell(), len(text))
                states.write(text)
            for handle in kinds.values():
                handle.seek(0)
            own = sorted([r for r in package["resources"] if not r.get("inspection_id")] + loose, key=_path)
            merged = heapq.merge(*(map(json.loads, handle) for handle in kinds.values()), own, key=_path)
            document = {}
            for key, value in package.items():  # the inspections' states follow the file entries
                if key == "resources":
                    document["resources"] = Streamed(indented(entry, 2) for entry in merged)
                    document["inspections"] = Streamed(_states(states, where), "{}")
                elif key != "inspections":
                    document[key] = value
            yield from json_chunks(document)
        finally:
            states.close()
            for handle in kinds.values():
                handle.close()


def _path(entry: dict) -> str:
    return entry["path"]


def _states(states, where: dict[str, tuple[int, int]]) -> Iterator[str]:
    """The inspections' states in id order, read back from where they were spooled."""
    for inspection_id in sorted(where):
        start, size = where[inspection_id]
        states.seek(start)
        yield states.read(size).decode()


def json_chunks(manifest: dict) -> Iterator[bytes]:
    """`json.dumps(manifest, indent=2) + "\\n"`, byte for byte, an entry at a time (resources and inspections
    may be given as Streamed texts)."""
    if not manifest:
        yield b"{}\n"
        return
    yield b"{\n"
    for number, (key, value) in enumerate(manifest.items(), start=1):
        end = ",\n" if number < len(manifest) else "\n"
        head = f"  {json.dumps(key)}: "
        if key in ("resources", "inspections") and isinstance(value, list):
            value = Streamed(indented(item, 2) for item in value)
        elif key in ("resources", "inspections") and isinstance(value, dict):
            value = Streamed((f"{json.dumps(k)}: {indented(v, 2)}" for k, v in value.items()), "{}")
        if not isinstance(value, Streamed):
            yield (head + indented(value, 1) + end).encode()
            continue
        previous = next(value.texts, None)
        if previous is None:
            yield (head + value.brackets + end).encode()
            continue
        yield (head + value.brackets[0] + "\n").encode()
        for text in value.texts:
            yield ("    " + previous + ",\n").encode()
            previous = text
        yield ("    " + previous + "\n").encode()
        yield ("  " + value.brackets[1] + end).encode()
    yield b"}\n"
