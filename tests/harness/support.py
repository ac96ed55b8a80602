"""Helpers for the harness's own tests: throwaway projects, pytest in a subprocess, process checks."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

#: Generous bound for anything that should be (nearly) instant; never a tight timing assertion.
DEADLINE = 10.0

APPS = Path(__file__).parent / "apps"
TINY_APP = APPS / "tiny_app.py"


def write_project(directory: Path, pyproject: str, files: dict[str, str] | None = None) -> Path:
    """Write ``pyproject.toml`` (dedented) and ``files`` under ``directory``; return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    for name, text in (files or {}).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return directory


def tiny_app_command() -> str:
    """A TOML array running the tiny app with this interpreter."""
    return f'["{sys.executable}", "{TINY_APP}"]'


#: Variables of this run that an inner run must not inherit (its pytest and harness state).
RUN_STATE_PREFIXES = ("PYTEST_", "HARNESS_")


def run_python(
    directory: Path, *args: str, timeout: float, scrub: tuple[str, ...] = RUN_STATE_PREFIXES
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args`` in ``directory``, without the variables starting with
    ``scrub``; output captured as text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrub)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_pytest(directory: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``directory`` in a fresh interpreter; the harness plugin loads by entry point."""
    return run_python(
        directory, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=timeout
    )


#: Set per test by the autouse leak check; every process the test starts inherits it, so the check
#: blames a test only for its own processes (not another xdist worker's).
LEAK_TOKEN_VARIABLE = "LEAKCHECK_TOKEN"


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


def still_running(processes: list[psutil.Process], timeout: float = 10.0) -> list[psutil.Process]:
    """Poll until none of ``processes`` is alive (zombies count as gone); return the survivors.
    A handle is the very process, not its pid: a pid reused by another process does not count."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for process in processes:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.Error:
                pass
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.02)


def wait_until_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """Poll until none of ``pids`` is alive (zombies count as gone); return the survivors."""
    handles = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):  # an error: already gone
            handles.append(psutil.Process(pid))
    return [process.pid for process in still_running(handles, timeout)]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)
