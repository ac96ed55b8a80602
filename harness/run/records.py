"""A registry of live runs, so a later run can sweep what a dead one left behind.

Each run writes ``<state_dir>/runs/<marker>.json`` naming its runner (pid and start time). A new
run looks at the records: a record whose runner is still alive belongs to a concurrent run and is
left alone; for a dead runner, every process still carrying that run's exact marker is killed and
the record removed. Nothing is ever matched by port or by a pid substring, and only processes of
this process's own real uid are matched: another user's process is never signalled, even by root.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import time
from pathlib import Path

import psutil

from harness.appenv.app_env import MARKER_VARIABLE
from harness.files.owned import TEMPORARY_SUFFIX, runner_alive, write_whole
from harness.process.teardown import processes_with_marker

#: How long an unreadable record is taken for one still being written before it is removed.
UNREADABLE_GRACE_SECONDS = 60.0


def register(state_dir: Path, marker: str) -> Path:
    """Record this process as the runner of ``marker``; return the record's path.

    Written whole or not at all (:func:`~harness.files.owned.write_whole`): a concurrent run's
    sweep must never read a record half-written, take it for garbage and remove it, and then
    remove the live run's CA bundle as a dead run's (seen with two shards side by side)."""
    directory = state_dir / "runs"
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / f"{marker}.json"
    me = psutil.Process()
    write_whole(record, json.dumps({"marker": marker, "pid": me.pid, "started": me.create_time()}).encode())
    return record


def unregister(record: Path) -> None:
    record.unlink(missing_ok=True)


def sweep_stale_runs(state_dir: Path) -> list[str]:
    """Kill the processes (of this real uid only) of runs whose runner is gone; return what was
    killed, described."""
    killed: list[str] = []
    directory = state_dir / "runs"
    if not directory.is_dir():
        return killed
    # A runner that died inside register() left its temporary file (not *.json: never read here).
    for partial in directory.glob(f".harness-*.json.*{TEMPORARY_SUFFIX}"):
        _remove_if_old(partial)
    for record in directory.glob("*.json"):
        try:
            data = json.loads(record.read_text())
            marker, pid, started = str(data["marker"]), int(data["pid"]), float(data["started"])
        except (OSError, ValueError, KeyError, TypeError):
            # Unreadable: nothing can be matched exactly by it. Removed only once it is old: a record
            # in the old non-atomic format may be a live run's, still being written.
            _remove_if_old(record)
            continue
        if pid == os.getpid() or runner_alive(pid, started):
            continue
        for leftover in processes_with_marker(marker, MARKER_VARIABLE):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(leftover, signal.SIGKILL)
                killed.append(f"pid {leftover} (run {marker})")
        record.unlink(missing_ok=True)
    return killed


def _remove_if_old(path: Path) -> None:
    """Remove ``path`` if it is a regular file (never a link, nor what it leads to) last written more
    than :data:`UNREADABLE_GRACE_SECONDS` ago."""
    with contextlib.suppress(OSError):
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime > UNREADABLE_GRACE_SECONDS:
            path.unlink(missing_ok=True)
