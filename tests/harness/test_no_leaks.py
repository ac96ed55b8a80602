"""No leaks: 200 start/stop cycles of an app through the Python API leave the runner's open file
descriptors, threads and child processes where they started.

Both shapes a Python-API user writes are covered: a whole ``Harness`` per cycle (services, watchdog,
app, env file, run record: the stronger claim) and one ``Harness`` whose app is started and stopped
over and over (``app_for`` / ``stop_app``). The app is ``bench/apps/trivial_app.py`` (starts in tens
of milliseconds), with one mock service wired into its environment.

Counts are compared after teardown has had a chance to settle (daemon threads exiting, sockets
closing), polled against a deadline: a real leak grows with the cycle count and never settles.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from harness import Harness
from harness.config import HarnessConfig, parse_table
from harness.orchestrator import _live
from tests.support.apps import TRIVIAL_APP
from tests.support.polling import poll
from tests.support.processes import alive, still_running

# pid_max is 32768 on machines like this one: over hundreds of cycles a pid is reused by another
# process, so processes are tracked as psutil handles, whose identity includes the start time.


def _handle(pid: int) -> psutil.Process:
    return psutil.Process(pid)


#: The number of cycles the claim is about; never lowered to save time.
CYCLES = 200

#: How long teardown may take to settle before a difference counts as a leak.
SETTLE_SECONDS = 10.0


@dataclass(frozen=True)
class Usage:
    """What the runner holds: open file descriptors, threads (Python's and the OS's), children."""

    fds: int
    python_threads: int
    os_threads: int
    children: frozenset[int]

    @classmethod
    def now(cls) -> Usage:
        me = psutil.Process()
        children = frozenset(child.pid for child in me.children(recursive=True) if alive(child))
        return cls(me.num_fds(), threading.active_count(), me.num_threads(), children)

    def within(self, limit: Usage) -> bool:
        """Nothing more than ``limit`` (less is fine: an earlier test's leftovers may end meanwhile)."""
        return (
            self.fds <= limit.fds
            and self.python_threads <= limit.python_threads
            and self.os_threads <= limit.os_threads
            and self.children <= limit.children
        )

    def summary(self) -> str:
        return (
            f"fds={self.fds} threads={self.python_threads} (os {self.os_threads}) "
            f"children={sorted(self.children)}"
        )


def open_fds() -> dict[int, str]:
    """Every open descriptor of this process and what it refers to (like ``lsof -p``)."""
    described = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            described[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the descriptor listdir itself used, closed by now
    return described


def settled_to(expected: Usage, timeout: float = SETTLE_SECONDS) -> Usage:
    """Poll until the runner's usage is back within ``expected`` or ``timeout`` passes; return the last."""
    return poll(Usage.now, lambda current: current.within(expected), timeout=timeout, interval=0.02)


def assert_back_to(before: Usage, fds_before: dict[int, str], what: str) -> Usage:
    after = settled_to(before)
    if not after.within(before):
        extra_fds = {fd: target for fd, target in open_fds().items() if fds_before.get(fd) != target}
        threads = [thread.name for thread in threading.enumerate()]
        children = []
        for pid in sorted(after.children - before.children):
            try:
                children.append(f"{pid}: {' '.join(psutil.Process(pid).cmdline())}")
            except psutil.Error:
                children.append(str(pid))
        pytest.fail(
            f"{what} leaked:\n  before: {before.summary()}\n  after:  {after.summary()}\n"
            f"  new or changed fds: {extra_fds}\n  threads: {threads}\n  new children: {children}",
            pytrace=False,
        )
    return after


def trivial_config(root: Path) -> HarnessConfig:
    table = {
        "command": [sys.executable, str(TRIVIAL_APP)],
        "health": "/",
        "startup_timeout": 20,
        "env": {"APP_NAME": "leak-check"},
        "services": {"upstream": {"env": {"UPSTREAM_URL": "{url}"}}},
    }
    return parse_table(table, root / "pyproject.toml")


def test_200_full_harness_cycles_leave_fds_threads_and_children_where_they_started(tmp_path):
    config = trivial_config(tmp_path)
    fds_before = open_fds()
    before = Usage.now()
    apps: list[psutil.Process] = []
    run_processes: dict[tuple[int, float], psutil.Process] = {}  # everything the runs started
    # Children the runner already had (a session harness's watchdog, when the functional suite runs
    # in the same session) are not this test's: they stay, and must not be mistaken for a leak.
    earlier = {(child.pid, child.create_time()) for child in psutil.Process().children(recursive=True)}
    started = time.monotonic()

    for cycle in range(CYCLES):
        harness = Harness(config)
        try:
            harness.start_services()
            app = harness.app_for()
            assert app.is_alive(), f"cycle {cycle}: the app is not running"
            assert app.env["UPSTREAM_URL"] == harness.services["upstream"].url
            apps.append(_handle(app.pid))
            for child in psutil.Process().children(recursive=True):
                identity = (child.pid, child.create_time())
                if identity not in earlier:
                    run_processes[identity] = child
        finally:
            harness.stop()
        assert not harness.services["upstream"].is_running()
        assert not config.env_file.exists(), f"cycle {cycle}: the env file outlived stop()"

    elapsed = time.monotonic() - started
    after = assert_back_to(before, fds_before, f"{CYCLES} full Harness cycles")
    print(f"\n{CYCLES} full cycles in {elapsed:.1f} s; before: {before.summary()}; after: {after.summary()}")
    identities = {(app.pid, app.create_time()) for app in apps}
    assert len(identities) == CYCLES  # every cycle really started its own app
    assert identities <= set(run_processes)
    assert still_running(list(run_processes.values()), timeout=SETTLE_SECONDS) == []
    assert list((tmp_path / ".harness" / "runs").glob("*.json")) == []  # every run record removed
    assert not any(h.config is config for h in _live)  # no stopped harness kept for atexit


def test_200_app_restarts_within_one_harness_leave_nothing_behind(tmp_path):
    config = trivial_config(tmp_path)
    fds_before = open_fds()
    before = Usage.now()
    harness = Harness(config)
    apps: list[psutil.Process] = []
    try:
        harness.start_services()
        # The first start brings the harness's own long-lived parts (the watchdog process and its
        # pipe, the mock's serving thread and socket): the baseline for the cycles is after it.
        apps.append(_handle(harness.app_for().pid))
        harness.stop_app()
        fds_running = open_fds()
        running = assert_back_to(Usage.now(), fds_running, "the first app start")
        started = time.monotonic()
        for cycle in range(1, CYCLES):
            app = harness.app_for()
            assert app.is_alive(), f"cycle {cycle}: the app is not running"
            handle = _handle(app.pid)
            assert all(handle != earlier for earlier in apps), (
                f"cycle {cycle}: stop_app() did not stop the app"
            )
            apps.append(handle)
            harness.stop_app()
        elapsed = time.monotonic() - started
        within = assert_back_to(running, fds_running, f"{CYCLES} app_for/stop_app cycles")
        print(f"\n{CYCLES} app cycles in {elapsed:.1f} s; with the harness running: {within.summary()}")
    finally:
        harness.stop()

    after = assert_back_to(before, fds_before, "a Harness after its app cycles")
    print(f"before the harness: {before.summary()}; after its stop: {after.summary()}")
    assert len({(app.pid, app.create_time()) for app in apps}) == CYCLES
    assert still_running(apps, timeout=SETTLE_SECONDS) == []
