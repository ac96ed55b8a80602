"""Stop the app and everything it started, and prove nothing survived.

What belongs to the app: its process group (it leads its own session), every descendant seen
*before* signalling (once a parent dies its children are re-parented and can no longer be found
through it), and every process carrying the app's exact marker in its environment (which also
catches a double-forked daemon that left the group). Zombies count as gone: they hold no
resources and are their new parent's to reap.

Only the marker needs a sweep of every process (reading each ``environ``, ~0.5 ms here), and it
happens once, at the end, as the proof. Before signalling, the descendants are followed through
``/proc/<pid>/task/*/children`` from the app alone, and the group needs no listing at all: it is
signalled, and checked for members, as a group. Without the children files (a kernel lacking
CONFIG_PROC_CHILDREN) both come from one pass over every process's ``stat`` instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psutil

from harness.appenv.app_env import APP_MARKER_VARIABLE, MARKER_VARIABLE
from harness.process import procscan
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


@dataclass(frozen=True)
class _Entry:
    ppid: int
    pgrp: int


def _process_table() -> dict[int, _Entry]:
    """Parent and group of every live, non-zombie process except this one."""
    if procscan.LINUX:
        return {pid: _Entry(ppid, pgrp) for pid, (ppid, pgrp) in procscan.process_table().items()}
    me = os.getpid()  # pragma: no cover - non-Linux
    table: dict[int, _Entry] = {}
    for process in psutil.process_iter(["pid", "ppid", "status"]):
        with contextlib.suppress(psutil.Error, OSError):
            if process.pid != me and process.info["status"] != psutil.STATUS_ZOMBIE:
                table[process.pid] = _Entry(process.info["ppid"], os.getpgid(process.pid))
    return table


def _descendants(pid: int, table: dict[int, _Entry]) -> set[int]:
    children: dict[int, list[int]] = {}
    for child, entry in table.items():
        children.setdefault(entry.ppid, []).append(child)
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def descendants(pid: int) -> set[int]:
    """Pids of every live descendant of ``pid``."""
    if procscan.CHILDREN_FILES:
        return procscan.descendants(pid)
    return _descendants(pid, _process_table())


def _targets(pid: int) -> set[int]:
    """What to signal and watch besides the group: the app's descendants, found before signalling
    because once a parent dies its children are re-parented and can no longer be found through it.

    Members of the group that are not descendants (their parent died before the stop) need not be
    listed: ``killpg`` reaches them and ``_signalable(pgid, group=True)`` sees them. Only the
    fallback, which has every process's group in hand anyway, adds them.
    """
    if procscan.CHILDREN_FILES:
        return procscan.descendants(pid)
    table = _process_table()
    return _descendants(pid, table) | {other for other, entry in table.items() if entry.pgrp == pid}


def processes_with_marker(marker: str, variable: str = MARKER_VARIABLE) -> set[int]:
    """Pids of live, non-zombie processes of this process's own real uid whose environment has
    exactly ``<variable>=<marker>``.

    The default variable is the run marker, so this finds every process of one run. Another user's
    process is never among them, even for root, who can read every environment: whatever is
    signalled by marker (teardown's sweep, the next run's stale-run sweep) is the runner's own.
    """
    if procscan.LINUX:
        return procscan.pids_with_variable(variable, marker)
    found: set[int] = set()  # pragma: no cover - non-Linux
    uid = os.getuid()
    for pid in _process_table():
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            if process.environ().get(variable) == marker and process.uids().real == uid:
                found.add(pid)
    return found


def _describe(pid: int) -> str:
    try:
        process = psutil.Process(pid)
        return f"pid {pid} ({' '.join(process.cmdline()[:6]) or process.name()})"
    except psutil.Error:
        return f"pid {pid}"


def _group_is_ours(process: subprocess.Popen[bytes], pgid: int) -> bool:
    """Whether signalling group ``pgid`` can reach only the app's own processes.

    Until the app is reaped its pid, and so the group's id, cannot be handed out again. Once it is
    reaped, any process with that pid is someone else's: the kernel reuses a number only when no
    process has it as pid or group id, so the app's group is empty then, and the number a stranger's.
    """
    if process.returncode is None:
        return True
    try:
        os.kill(pgid, 0)
    except ProcessLookupError:
        return True  # no such process: members left, if any, are the app's
    except PermissionError:
        return False
    return False


def _send(process: subprocess.Popen[bytes], pgid: int, pids: Iterable[int], signum: int) -> None:
    """Signal the group once (while it can only be the app's), and individually only the processes
    that have left it: an app that takes a second SIGTERM as "force quit now" must not get two."""
    if _group_is_ours(process, pgid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) != pgid:
                os.kill(pid, signum)


def _signalable(pid: int, *, group: bool = False) -> bool:
    """Whether a process (or any member of a group) exists, zombies included: one cheap syscall."""
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _still_there(process: subprocess.Popen[bytes], pgid: int, watched: set[int]) -> set[int]:
    exited = process.poll() is not None
    group = _group_is_ours(process, pgid)  # not once its number went to a stranger
    gone = exited and not (group and _signalable(pgid, group=True))
    if gone and not any(_signalable(pid) for pid in watched):
        return set()  # the common case after a clean exit, without reading /proc
    table = _process_table()  # something is there: tell live processes from zombies
    left = {pid for pid, entry in table.items() if (group and entry.pgrp == pgid) or pid in watched}
    if process.poll() is None:
        left.add(process.pid)
    return left


def _wait_until_gone(
    process: subprocess.Popen[bytes], pgid: int, watched: set[int], deadline: float
) -> set[int]:
    """Wait for the app, its group and ``watched`` to end; return what is alive at ``deadline``."""
    wait_for_exit(process, deadline - time.monotonic())
    pause = 0.001
    while True:
        left = _still_there(process, pgid, watched)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.02)


def _terminate(
    process: subprocess.Popen[bytes], pgid: int, targets: set[int], grace: float
) -> tuple[set[int], bool]:
    """SIGTERM ``targets`` and the group, SIGKILL what outlives ``grace``; return (survivors, forced)."""
    _send(process, pgid, targets, signal.SIGTERM)
    left = _wait_until_gone(process, pgid, targets, time.monotonic() + grace)
    if not left:
        return set(), False
    _send(process, pgid, left, signal.SIGKILL)
    return _wait_until_gone(process, pgid, targets | left, time.monotonic() + KILL_WAIT_SECONDS), True


def _kill_now(process: subprocess.Popen[bytes], pgid: int, targets: set[int], marker: str | None) -> None:
    """SIGKILL the app's group, ``targets`` and everything carrying ``marker``, without waiting."""
    _send(process, pgid, targets | {process.pid}, signal.SIGKILL)
    if marker:
        _send(process, pgid, processes_with_marker(marker, APP_MARKER_VARIABLE), signal.SIGKILL)


def stop_process_tree(process: subprocess.Popen[bytes], marker: str | None, grace: float) -> StopReport:
    """SIGTERM everything that belongs to the app, wait up to ``grace`` s, then SIGKILL what is left.

    ``marker`` is the app instance's ``HARNESS_APP_MARKER`` value.
    """
    started = time.monotonic()
    pgid = process.pid  # the app leads its own session, so its group id is its pid
    # Once the app is reaped its pid may be a stranger's, and so would its "descendants" be.
    targets = _targets(process.pid) if _group_is_ours(process, pgid) else set()
    forced = False
    left: set[int] = set()
    try:
        # The app may have exited on its own and still have left descendants or group members behind.
        if (
            process.poll() is None
            or targets
            or (_group_is_ours(process, pgid) and _signalable(pgid, group=True))
        ):
            left, forced = _terminate(process, pgid, targets, grace)
    except BaseException:
        # Interrupted during the grace period (Ctrl-C, or SIGTERM that the pytest plugin turns
        # into one): whoever interrupted wants out now, and the runner may exit next, so nothing
        # gets the rest of its grace -- otherwise a slow or stubborn app outlives the run.
        _kill_now(process, pgid, targets, marker)
        raise
    # The proof: nothing carries the marker any more (a daemon that left the group and was not a
    # descendant when we looked is found only this way).
    stragglers = processes_with_marker(marker, APP_MARKER_VARIABLE) - left if marker else set()
    if stragglers:
        more_left, _ = _terminate(process, pgid, stragglers, 0)
        left |= more_left
        forced = True
    return StopReport(
        process.poll(), forced, time.monotonic() - started, [_describe(pid) for pid in sorted(left)]
    )
