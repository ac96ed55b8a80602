"""Stop the app and everything it started, and prove nothing survived.

What belongs to the app: its process group (it leads its own session), every descendant seen
*before* signalling (once a parent dies its children are re-parented and can no longer be found
through it), and every process carrying the run's exact marker in its environment (which also
catches a double-forked daemon that left the group). Zombies count as gone: they hold no
resources and are their new parent's to reap.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psutil

from harness.appenv.app_env import APP_MARKER_VARIABLE, MARKER_VARIABLE
from harness.process.waiting import wait_for_exit

#: How long SIGKILLed processes get to disappear before they are reported as survivors.
KILL_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class StopReport:
    """How a stop went: the app's exit code, whether SIGKILL was needed, what (if anything) survived."""

    exit_code: int | None
    forced: bool
    duration: float
    survivors: list[str] = field(default_factory=list)


def _linux_scan(pgid: int | None, marker: str | None, variable: str) -> set[int]:
    needle = f"{variable}={marker}".encode() if marker else None
    me = os.getpid()
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
            # Fields after the parenthesised command name: state ppid pgrp ...
            state, _ppid, pgrp = stat[stat.rindex(b")") + 2 :].split(b" ", 3)[:3]
            if state in (b"Z", b"X"):
                continue
            if pgid is not None and int(pgrp) == pgid:
                found.add(int(entry))
                continue
            if needle is not None:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if needle in handle.read().split(b"\0"):
                        found.add(int(entry))
        except (OSError, ValueError):
            continue
    return found


def _portable_scan(
    pgid: int | None, marker: str | None, variable: str
) -> set[int]:  # pragma: no cover - non-Linux
    found: set[int] = set()
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if process.pid == os.getpid() or process.status() == psutil.STATUS_ZOMBIE:
                continue
            if (pgid is not None and os.getpgid(process.pid) == pgid) or (
                marker and process.environ().get(variable) == marker
            ):
                found.add(process.pid)
    return found


def find_app_processes(pgid: int | None, marker: str | None, variable: str = APP_MARKER_VARIABLE) -> set[int]:
    """Pids of live (non-zombie) processes in group ``pgid`` or whose ``variable`` equals ``marker``."""
    if sys.platform.startswith("linux"):
        return _linux_scan(pgid, marker, variable)
    return _portable_scan(pgid, marker, variable)  # pragma: no cover - non-Linux


def processes_with_marker(marker: str, variable: str = MARKER_VARIABLE) -> set[int]:
    """Pids of live processes whose environment has exactly ``<variable>=<marker>``.

    The default variable is the run marker, so this finds every process of one run.
    """
    return find_app_processes(None, marker, variable)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def descendants(pid: int) -> set[int]:
    with contextlib.suppress(psutil.Error):
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    return set()


def _describe(pid: int) -> str:
    try:
        process = psutil.Process(pid)
        return f"pid {pid} ({' '.join(process.cmdline()[:6]) or process.name()})"
    except psutil.Error:
        return f"pid {pid}"


def _send(pgid: int, pids: Iterable[int], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _wait_until_gone(
    process: subprocess.Popen[bytes], pgid: int, marker: str | None, known: set[int], deadline: float
) -> set[int]:
    """Wait for the app and all of its processes to end; return what is still alive at ``deadline``."""
    wait_for_exit(process, deadline - time.monotonic())
    pause = 0.001
    while True:
        left = {pid for pid in known if _alive(pid)} | find_app_processes(pgid, marker)
        if process.poll() is None:
            left.add(process.pid)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.02)


def stop_process_tree(process: subprocess.Popen[bytes], marker: str | None, grace: float) -> StopReport:
    """SIGTERM everything that belongs to the app, wait up to ``grace`` s, then SIGKILL what is left.

    ``marker`` is the app instance's ``HARNESS_APP_MARKER`` value.
    """
    started = time.monotonic()
    pgid = process.pid  # the app leads its own session, so its group id is its pid
    known = descendants(process.pid)
    targets = known | find_app_processes(pgid, marker)
    forced = False
    if process.poll() is None or targets:
        _send(pgid, targets, signal.SIGTERM)
        left = _wait_until_gone(process, pgid, marker, known, started + grace)
        if left:
            forced = True
            _send(pgid, left, signal.SIGKILL)
            left = _wait_until_gone(process, pgid, marker, known, time.monotonic() + KILL_WAIT_SECONDS)
    else:
        left = set()
    return StopReport(
        process.poll(), forced, time.monotonic() - started, [_describe(pid) for pid in sorted(left)]
    )
