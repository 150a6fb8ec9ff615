"""Lock files in the warehouse that serialise runs per inspection and that a crashed holder cannot keep."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from contextlib import contextmanager

import fsspec
from fsspec.implementations.local import LocalFileSystem

DEFAULT_STALE_SECONDS = float(os.environ.get("ANNEXE_LOCK_STALE_SECONDS", 1800))


class LockTimeout(TimeoutError):
    """Another live run holds the lock for longer than we were prepared to wait."""


def holder() -> dict:
    """Who holds a lock: this process, on this host, since now."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "acquired_at": time.time(), "token": uuid.uuid4().hex}


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
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(content)
        try:
            os.link(temporary, path)  # atomic: the lock appears with its holder already in it, or not at all
        except FileExistsError:
            return False
        finally:
            os.remove(temporary)
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


def acquire(
    fs: fsspec.AbstractFileSystem,
    path: str,
    timeout: float = 600.0,
    stale_seconds: float = DEFAULT_STALE_SECONDS,
    poll: float = 0.05,
) -> str:
    """Take the lock at path, breaking a stale one; return our token; raise LockTimeout after timeout seconds."""
    deadline = time.monotonic() + timeout
    ours = holder()
    content = json.dumps(ours).encode()
    while True:
        if _try_create(fs, path, content):
            return ours["token"]
        current = _read_holder(fs, path)
        if current is None:  # given back since we tried: try again (deleting now could delete a rival's new lock)
            if time.monotonic() >= deadline:
                raise LockTimeout(f"{path} cannot be read")
            continue
        if is_stale(current, stale_seconds):
            try:
                fs.rm_file(path)
            except FileNotFoundError:
                pass
            continue
        if time.monotonic() >= deadline:
            raise LockTimeout(f"{path} is held by process {current.get('pid')} on {current.get('host')}")
        time.sleep(poll)


def release(fs: fsspec.AbstractFileSystem, path: str, token: str) -> None:
    """Give the lock back, only if it is still ours (one broken as stale and retaken by another is left alone)."""
    current = _read_holder(fs, path)
    if current and current.get("token") == token:
        try:
            fs.rm_file(path)
        except FileNotFoundError:
            pass


@contextmanager
def locked(fs: fsspec.AbstractFileSystem, path: str, timeout: float = 600.0):
    """Hold the lock at path for the duration of the block."""
    token = acquire(fs, path, timeout=timeout)
    try:
        yield
    finally:
        release(fs, path, token)
