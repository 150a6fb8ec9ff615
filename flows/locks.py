"""Lock files in the warehouse that serialise runs per inspection and that a crashed holder cannot keep."""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager

import fsspec
from fsspec.implementations.local import LocalFileSystem

DEFAULT_STALE_SECONDS = float(os.environ.get("ANNEXE_LOCK_STALE_SECONDS", 1800))


class LockTimeout(TimeoutError):
    """Another live run holds the lock for longer than we were prepared to wait."""


def _holder() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "acquired_at": time.time()}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: dict, stale_seconds: float) -> bool:
    """A lock is stale when its holder died on this host or it is older than stale_seconds."""
    if time.time() - float(holder.get("acquired_at", 0)) > stale_seconds:
        return True
    return holder.get("host") == socket.gethostname() and not _pid_alive(int(holder.get("pid", 0)))


def _try_create(fs: fsspec.AbstractFileSystem, path: str, content: bytes) -> bool:
    """Create the lock file only if absent; True when we created it."""
    if isinstance(fs, LocalFileSystem):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        return True
    # Object stores: a conditional put where the store supports it, else check-then-write.
    try:
        with fs.open(path, "xb") as handle:
            handle.write(content)
        return True
    except (FileExistsError, ValueError, NotImplementedError, OSError):
        if fs.exists(path):
            return False
        fs.pipe_file(path, content)
        return True


def _read_holder(fs: fsspec.AbstractFileSystem, path: str) -> dict | None:
    try:
        return json.loads(fs.cat_file(path))
    except (FileNotFoundError, ValueError):
        return None


def acquire(fs: fsspec.AbstractFileSystem, path: str, timeout: float = 600.0,
            stale_seconds: float = DEFAULT_STALE_SECONDS, poll: float = 0.05) -> None:
    """Take the lock at path, breaking a stale one; raise LockTimeout after timeout seconds."""
    deadline = time.monotonic() + timeout
    content = json.dumps(_holder()).encode()
    while True:
        if _try_create(fs, path, content):
            return
        holder = _read_holder(fs, path)
        if holder is None or is_stale(holder, stale_seconds):
            try:
                fs.rm_file(path)
            except FileNotFoundError:
                pass
            continue
        if time.monotonic() >= deadline:
            raise LockTimeout(f"{path} is held by process {holder.get('pid')} on {holder.get('host')}")
        time.sleep(poll)


def release(fs: fsspec.AbstractFileSystem, path: str) -> None:
    """Give the lock back (only ours: a lock broken as stale and retaken by another run is left alone)."""
    holder = _read_holder(fs, path)
    if holder and holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        try:
            fs.rm_file(path)
        except FileNotFoundError:
            pass


@contextmanager
def locked(fs: fsspec.AbstractFileSystem, path: str, timeout: float = 600.0):
    """Hold the lock at path for the duration of the block."""
    acquire(fs, path, timeout=timeout)
    try:
        yield
    finally:
        release(fs, path)
