"""Lock files: one holder at a time across processes, and a dead or stale holder's lock is broken."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fsspec.implementations.local import LocalFileSystem

from flows.store import locks


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _write_lock(path: Path, pid: int, host: str | None = None, acquired_at: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "pid": pid,
                "host": host or socket.gethostname(),
                "acquired_at": time.time() if acquired_at is None else acquired_at,
            }
        )
    )


@pytest.fixture
def live_process():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def _holder(path: Path) -> dict:
    return json.loads(path.read_text())


def test_lock_of_a_dead_process_is_broken_and_taken(tmp_path):
    fs, path = LocalFileSystem(), tmp_path / "_locks" / "inspection-x.lock"
    _write_lock(path, _dead_pid())
    token = locks.acquire(fs, str(path), timeout=60)  # a dead holder is broken at once, long before this
    assert _holder(path)["pid"] == os.getpid()
    locks.release(fs, str(path), token)
    assert not path.exists()


def test_lock_of_a_live_process_times_out(tmp_path, live_process):
    fs, path = LocalFileSystem(), tmp_path / "_locks" / "manifest.lock"
    _write_lock(path, live_process.pid)
    started = time.monotonic()
    with pytest.raises(locks.LockTimeout, match=str(live_process.pid)), locks.locked(fs, str(path), timeout=0.5):
        pytest.fail("took a lock a live process holds")
    assert time.monotonic() - started >= 0.5  # it waited its full timeout before giving up
    assert _holder(path)["pid"] == live_process.pid  # left alone, and not released by the loser
    locks.release(fs, str(path), "not-our-token")
    assert _holder(path)["pid"] == live_process.pid


def test_lock_on_another_host_is_not_judged_by_pid(tmp_path):
    fs, path = LocalFileSystem(), tmp_path / "_locks" / "manifest.lock"
    _write_lock(path, _dead_pid(), host="another-host.invalid")
    with pytest.raises(locks.LockTimeout):
        locks.acquire(fs, str(path), timeout=0.3)


def test_lock_older_than_stale_seconds_is_broken(tmp_path, live_process):
    fs, path = LocalFileSystem(), tmp_path / "_locks" / "manifest.lock"
    _write_lock(path, live_process.pid, acquired_at=time.time() - 120)
    with pytest.raises(locks.LockTimeout):
        locks.acquire(fs, str(path), timeout=0.2, stale_seconds=600)
    token = locks.acquire(fs, str(path), timeout=0.2, stale_seconds=60)
    assert _holder(path)["pid"] == os.getpid()
    locks.release(fs, str(path), token)
    assert not path.exists()


LOCK_WORKER = """
import os, sys, time
from fsspec.implementations.local import LocalFileSystem
from flows.store import locks

lock, inside, ready, go, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
fs, overlaps = LocalFileSystem(), 0
open(ready, "w").close()
while not os.path.exists(go):  # start together, however long each process took to start
    time.sleep(0.001)
for _ in range(rounds):
    token = locks.acquire(fs, lock, timeout=300, poll=0.0005)
    try:  # the critical section: nobody else may be in it
        os.close(os.open(inside, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        overlaps += 1
    else:
        os.remove(inside)
    locks.release(fs, lock, token)
print(overlaps, rounds)
"""


def test_lock_excludes_other_processes(tmp_path):
    """Four processes take and give back one lock as fast as they can; never are two holding it at once.

    (A lock file created empty and filled afterwards, or an unreadable holder taken as stale, lets two in.)
    """
    lock, inside, go = tmp_path / "_locks" / "manifest.lock", tmp_path / "inside", tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(4)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", LOCK_WORKER, str(lock), str(inside), str(r), str(go), "300"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 300
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [tuple(map(int, w.communicate(timeout=600)[0].split())) for w in workers]
    assert results and all(rounds == 300 for _, rounds in results)
    assert sum(overlaps for overlaps, _ in results) == 0, f"two holders at once (overlaps, rounds): {results}"
    assert not lock.exists()
