"""Parsing one cases file within the contract's limits, in a child process so that no file can stop the run."""

# The parsers are native code: a crafted file can make them ask for terabytes and abort the process, which no
# `try` catches. So cases files are parsed in a long-lived child process (one per reading process, started on
# first use, about 4 ms per file and 1 s to start) with bounded memory and time: if it dies, only that file is
# lost, reported as unreadable, and the next file gets a new child. Cheap checks of the raw bytes (header, zip
# members, declared sizes) come first, so known hostile files are refused with the limit named, not by a crash.

from __future__ import annotations

import atexit
import csv
import io
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from schemas.contract import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_XLSX_MEMBERS,
    MAX_XLSX_SHEETS,
    READ_MEMORY_BYTES,
    READ_SECONDS,
)

LENGTH = struct.Struct(">Q")
XLSX_CELL = re.compile(rb"<(?:\w+:)?(row|c)[\s>/]([^>]*)")
XLSX_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)(\d+)["']""")
XLSX_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s[^>]*ref\s*=\s*["']([^"']*)["']""")
XLSX_STRINGS = re.compile(rb"""<(?:\w+:)?sst\s[^>]*""")
XLSX_COUNT = re.compile(rb"""(?:count|uniqueCount)\s*=\s*["'](\d+)["']""")
XLSX_SHEET = re.compile(rb"<(?:\w+:)?sheet\s")
SHEET_LIMIT = f"the limit is {MAX_ROWS + 1:,} rows (a header and {MAX_ROWS:,} cases) by {MAX_COLUMNS} columns"


@dataclass
class Parsed:
    """A cases file as parsed: every column text, the rows above the first case, and problems (as dicts)."""

    frame: pl.DataFrame | None
    header_rows: int
    problems: list[dict] = field(default_factory=list)


def _problem(check: str, message: str, column: str | None = None, value=None) -> dict:
    """A problem as the child reports it: the parent adds the inspection and file."""
    return {"check": check, "message": message, "column": column, "value": None if value is None else str(value)}


def _unreadable(name: str, error: BaseException) -> dict:
    """A parser's error as a problem: its first line only, as parsers' messages run on."""
    lines = str(error).strip().splitlines()
    return _problem(
        "readable",
        f"{name} cannot be read as {name.rsplit('.', 1)[-1].upper()}: "
        f"{lines[0][:300] if lines else type(error).__name__}",
    )


def _over(name: str, what: str, found: int, limit: int) -> dict:
    """A limit of the contract exceeded, naming what was found and the limit."""
    return _problem(
        "within_limits", f"{name} has {found:,} {what}: the limit is {limit:,} (extract contract)", value=found
    )


def _header_problems(header: list, name: str) -> list[dict]:
    """Too many columns, and each column name given more than once (parsers rename the copies silently)."""
    if len(header) > MAX_COLUMNS:
        return [_over(name, "columns", len(header), MAX_COLUMNS)]
    found = []
    for column, count in Counter(str(h) if h is not None else "" for h in header).items():
        if count > 1:
            where = [str(i + 1) for i, h in enumerate(header) if (str(h) if h is not None else "") == column]
            found.append(
                _problem(
                    "unique_columns",
                    f"column {column or '(blank)'} appears {count} times in the "
                    f"header (columns {', '.join(where)}): keep one column per name",
                    column=column,
                    value=column,
                )
            )
    return found


def _with_rows_bounded(frame: pl.DataFrame, name: str, header_rows: int, problems: list[dict]) -> Parsed:
    """The frame as text, unless it has more cases than the contract allows."""
    if frame.height > MAX_ROWS:
        return Parsed(None, header_rows, problems + [_over(name, "rows of cases (or more)", frame.height, MAX_ROWS)])
    return Parsed(frame.with_columns(pl.all().cast(pl.String)), header_rows, problems)


def _csv(data: bytes, name: str) -> Parsed:
    """A CSV file: its raw header checked, then at most one row more than the limit parsed."""
    text = data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)), [])
    problems = _header_problems(header, name)
    if any(p["check"] == "within_limits" for p in problems):
        return Parsed(None, 1, problems)
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False, n_rows=MAX_ROWS + 1)
    return _with_rows_bounded(frame, name, 1, problems)


def _column_number(letters: bytes) -> int:
    """A column's number from its letters: A is 1, XFD is 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _sheet_extent(xml: bytes) -> tuple[int, int]:
    """The last row and column a worksheet's cells reach, counting cells without an address as the reader does."""
    rows = columns = row = column = 0
    for tag, attributes in XLSX_CELL.findall(xml):
        ref = XLSX_REF.search(b" " + attributes)
        if tag == b"row":
            row, column = (int(ref.group(2)) if ref else row + 1), 0
            continue
        column = _column_number(ref.group(1)) if ref and ref.group(1) else column + 1
        rows, columns = max(rows, int(ref.group(2)) if ref else row), max(columns, column)
    return rows, columns


def _declared_extent(ref: bytes) -> tuple[int, int]:
    """The last row and column of a dimension reference such as A1:AN53."""
    corners = [re.match(rb"\s*([A-Za-z]*)(\d*)", corner).groups() for corner in ref.split(b":")]
    return (max(int(digits or 0) for _, digits in corners), max(_column_number(letters) for letters, _ in corners))


def _xlsx_problems(data: bytes, name: str) -> list[dict]:
    """Limits read from the zip and its XML before the native reader sees the file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            return [_over(name, "files inside it", len(members), MAX_XLSX_MEMBERS)]
        unzipped = sum(m.file_size for m in members)
        if unzipped > MAX_UNCOMPRESSED_BYTES:
            return [_over(name, "bytes once unzipped", unzipped, MAX_UNCOMPRESSED_BYTES)]
        found = []
        for member in members:
            xml = archive.read(member)  # zipfile stops at the declared size, which is bounded above
            found += _xml_problems(xml, member.filename, name)
    return found


def _beyond_sheet(rows: int, columns: int) -> bool:
    """Whether a sheet's extent is beyond a header and the contract's cases and columns."""
    return rows > MAX_ROWS + 1 or columns > MAX_COLUMNS


def _xml_problems(xml: bytes, member: str, name: str) -> list[dict]:
    """Sheets, declared dimensions, cells and shared-string counts beyond the limits, in one zip member."""
    found = []
    sheets = len(XLSX_SHEET.findall(xml)) if member.endswith("workbook.xml") else 0
    if sheets > MAX_XLSX_SHEETS:
        found.append(_over(name, "sheets", sheets, MAX_XLSX_SHEETS))
    for ref in XLSX_DIMENSION.findall(xml):
        if _beyond_sheet(*_declared_extent(ref)):
            rows, columns = _declared_extent(ref)
            shown = ref.decode(errors="replace")[:40]
            found.append(
                _problem(
                    "within_limits",
                    f"{name} declares a sheet of {rows:,} rows by {columns:,} columns "
                    f"({shown}): {SHEET_LIMIT} (extract contract)",
                    value=shown,
                )
            )
    rows, columns = _sheet_extent(xml)
    if _beyond_sheet(rows, columns):
        found.append(
            _problem(
                "within_limits",
                f"{name} has cells up to row {rows:,}, column {columns:,}: {SHEET_LIMIT} (extract contract)",
            )
        )
    for tag in XLSX_STRINGS.findall(xml):
        counts = [int(c) for c in XLSX_COUNT.findall(tag)]
        if counts and max(counts) > (MAX_ROWS + 1) * MAX_COLUMNS:
            found.append(_over(name, "shared strings declared", max(counts), (MAX_ROWS + 1) * MAX_COLUMNS))
    return found


def _xlsx(data: bytes, name: str) -> Parsed:
    """An xlsx file's first sheet: its zip and XML checked, then its raw header, then its cells as text."""
    import fastexcel

    refused = _xlsx_problems(data, name)
    if refused:
        return Parsed(None, 1, refused)
    first = fastexcel.read_excel(data).load_sheet(0, header_row=None, n_rows=1, dtypes="string").to_polars()
    problems = _header_problems(list(first.row(0)) if first.height else [], name)
    if any(p["check"] == "within_limits" for p in problems):
        return Parsed(None, 1, problems)
    frame = pl.read_excel(io.BytesIO(data), engine="calamine", infer_schema_length=0)
    return _with_rows_bounded(frame, name, 1, problems)


def _parquet(data: bytes, name: str) -> Parsed:
    """A parquet file: its footer checked (names, rows, decompressed size), then its columns as text."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    problems = _header_problems(metadata.schema.to_arrow_schema().names, name)
    if metadata.num_rows > MAX_ROWS:
        problems.append(_over(name, "rows of cases", metadata.num_rows, MAX_ROWS))
    unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        problems.append(_over(name, "bytes once decompressed", unpacked, MAX_UNCOMPRESSED_BYTES))
    if problems:  # polars refuses duplicate names outright: the problems say more than its error would
        return Parsed(None, 0, problems)
    return _with_rows_bounded(pl.read_parquet(io.BytesIO(data)), name, 0, problems)


def parse(data: bytes, name: str) -> Parsed:
    """Parse a cases file with every column as text; what cannot be read becomes a problem, never an exception."""
    reader = {"csv": _csv, "xlsx": _xlsx}.get(name.rsplit(".", 1)[-1], _parquet)
    try:
        return reader(data, name)
    except (Exception, pl.exceptions.PanicException) as error:  # a parser's failure means the file is unusable
        return Parsed(None, 1, [_unreadable(name, error)])


def _send(stream, meta: dict, payload: bytes) -> None:
    """One message: JSON metadata and a binary payload, each preceded by its length."""
    encoded = json.dumps(meta).encode()
    stream.write(LENGTH.pack(len(encoded)) + encoded + LENGTH.pack(len(payload)) + payload)
    stream.flush()


def serve() -> None:
    """The child: parse each file sent on stdin and answer on stdout, within the contract's memory bound."""
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (READ_MEMORY_BYTES, READ_MEMORY_BYTES))
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints must not corrupt the answers
    while header := requests.read(LENGTH.size):
        meta = json.loads(requests.read(LENGTH.unpack(header)[0]))
        data = requests.read(LENGTH.unpack(requests.read(LENGTH.size))[0])
        parsed = parse(data, meta["name"])
        payload = b""
        if parsed.frame is not None:
            buffer = io.BytesIO()
            parsed.frame.write_ipc(buffer)
            payload = buffer.getvalue()
        _send(answers, {"header_rows": parsed.header_rows, "problems": parsed.problems}, payload)


class ReaderStopped(RuntimeError):
    """The child process died or ran out of time on a file."""


class _Child:
    """One child process serving parse requests, one at a time."""

    def __init__(self) -> None:
        env = {**os.environ, "POLARS_MAX_THREADS": "1"}  # one file at a time: one thread is plenty
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.store.cases_reader"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.pid = os.getpid()

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, wanted = [], size
        while wanted:
            if not select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise ReaderStopped(f"it took longer than {READ_SECONDS} seconds to read")
            chunk = os.read(self.process.stdout.fileno(), min(wanted, 1 << 20))
            if not chunk:
                raise ReaderStopped(self._death())
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        self.stop()
        code = self.process.returncode
        if code < 0:
            return f"the reader stopped on it ({signal.Signals(-code).name})"
        return f"the reader stopped on it (exit code {code})"

    def ask(self, data: bytes, name: str) -> tuple[dict, bytes]:
        """Send a file, wait for its answer (meta, Arrow IPC bytes) or raise ReaderStopped."""
        deadline = time.monotonic() + READ_SECONDS
        try:
            _send(self.process.stdin, {"name": name}, data)
        except (BrokenPipeError, OSError):
            raise ReaderStopped(self._death()) from None
        meta = json.loads(self._read(LENGTH.unpack(self._read(LENGTH.size, deadline))[0], deadline))
        return meta, self._read(LENGTH.unpack(self._read(LENGTH.size, deadline))[0], deadline)

    def stop(self) -> None:
        """End the child (it is ours: killed by its own handle)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


_lock = threading.Lock()
_child: _Child | None = None


def _stop_child() -> None:
    if _child is not None and _child.pid == os.getpid():
        _child.stop()


atexit.register(_stop_child)


def stop() -> None:
    """End this process's reader, if it has one; the next read starts another."""
    global _child
    with _lock:
        _stop_child()
        _child = None


def read_cases(data: bytes, name: str) -> Parsed:
    """Parse a cases file in the child process; a file that stops the child is reported, not raised."""
    global _child
    with _lock:
        if _child is None or _child.pid != os.getpid() or _child.process.poll() is not None:
            _child = _Child()  # a forked process never shares its parent's child; a dead child is replaced
        try:
            meta, payload = _child.ask(data, name)
        except ReaderStopped as stopped:
            _child.stop()
            _child = None
            return Parsed(
                None,
                1,
                [
                    _problem(
                        "readable",
                        f"{name} cannot be read: {stopped} - the file is damaged or exceeds what a cases file may hold",
                    )
                ],
            )
    frame = pl.read_ipc(io.BytesIO(payload)) if payload else None
    return Parsed(frame, meta["header_rows"], meta["problems"])


if __name__ == "__main__":
    serve()
