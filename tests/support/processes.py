"""Processes: is one alive, wait until some are gone, find what a test or a run left behind.

A process is alive while it runs and is not a zombie. Give a ``psutil.Process`` handle where pid
reuse is possible (over many cycles, or while waiting): a handle is the very process, so a pid
taken over by another process does not count as alive.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

import psutil

from .polling import DEADLINE, poll

#: Set per test by the autouse leak check (and per chaos scenario); every process the test starts
#: inherits it, so a leak is blamed only on the test that started it (not another xdist worker's).
LEAK_TOKEN_VARIABLE = "LEAKCHECK_TOKEN"


def alive(process: int | psutil.Process) -> bool:
    """True if ``process`` (a pid, or a handle) runs and is not a zombie."""
    try:
        if isinstance(process, int):
            process = psutil.Process(process)
        elif not process.is_running():
            return False
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def handles(pids: Iterable[int]) -> list[psutil.Process]:
    """Handles for those of ``pids`` that exist now (they survive pid reuse)."""
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):  # an error: already gone
            found.append(psutil.Process(pid))
    return found


def still_running(processes: list[psutil.Process], timeout: float = DEADLINE) -> list[psutil.Process]:
    """Poll until none of ``processes`` is alive; return the survivors (none if all went in time)."""
    return poll(
        lambda: [p for p in processes if alive(p)], lambda left: not left, timeout=timeout, interval=0.02
    )


def wait_until_gone(pids: list[int], timeout: float = DEADLINE) -> list[int]:
    """Poll until none of ``pids`` is alive; return the survivors' pids."""
    return [process.pid for process in still_running(handles(pids), timeout)]


def assert_gone(*pids: int) -> None:
    """Assert, without waiting, that none of ``pids`` is alive: harness returns only once they are."""
    survivors = [pid for pid in pids if alive(pid)]
    assert not survivors, f"still alive: {survivors}"


def harness_processes(since: float, token: str | None = None) -> list[psutil.Process]:
    """Live processes created at or after ``since`` that carry a harness run marker
    (and, with ``token``, were started by the test that owns it)."""
    found = []
    for process in psutil.process_iter(["pid", "create_time", "status"]):
        try:
            if process.info["create_time"] < since - 0.05 or process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            environ = process.environ()
            owned = token is None or environ.get(LEAK_TOKEN_VARIABLE) == token
            if "HARNESS_RUN_MARKER" in environ and owned:
                found.append(process)
        except psutil.Error:
            continue
    return found


def project_processes(project: Path, since: float) -> list[int]:
    """Pids of live harness-marked processes (created at or after ``since``) of apps of ``project``.

    Scoped by the env file path every app (and what it starts) inherits, so harness processes of
    tests running in parallel elsewhere are not counted.
    """
    prefix = str(project.resolve()) + os.sep
    found = []
    for process in harness_processes(since):
        try:
            if process.environ().get("HARNESS_ENV_FILE", "").startswith(prefix):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


def token_processes(token: str) -> list[psutil.Process]:
    """Every live process (but this one) whose environment has exactly ``LEAKCHECK_TOKEN=token``."""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            if process.environ().get(LEAK_TOKEN_VARIABLE) == token and alive(process):
                found.append(process)
        except psutil.Error:
            continue
    return found


def describe(processes: Iterable[psutil.Process]) -> list[str]:
    """``pid <pid>: <command line>`` for each of ``processes`` (the pid alone once it is gone)."""
    described = []
    for process in processes:
        try:
            described.append(f"pid {process.pid}: {' '.join(process.cmdline()[:8])}")
        except psutil.Error:
            described.append(f"pid {process.pid}")
    return described


def kill(processes: Iterable[psutil.Process]) -> None:
    """SIGKILL each of ``processes`` that is still there."""
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()


def descendants() -> set[int]:
    """Pids of this process's live descendants."""
    return {child.pid for child in psutil.Process().children(recursive=True)}


def leftovers(before: set[int], since: float, token: str, timeout: float = DEADLINE) -> list[str]:
    """What a test left alive, described: its new descendants (not in ``before``) and the
    harness-marked processes carrying ``token`` created since ``since``, once they had ``timeout``
    seconds to go. They are killed, so that one leak does not cascade into every later test."""
    marked = {process.pid for process in harness_processes(since, token)}
    survivors = still_running(handles(sorted((descendants() - before) | marked)), timeout)
    described = describe(survivors)
    kill(survivors)
    return described
