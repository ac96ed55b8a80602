"""pytest plugin for bench/scaling measurements: where each process's wall time goes.

Load with ``PYTHONPATH=bench python -m pytest -p timeline_plugin ...`` and ``BENCH_TIMELINE=<file>``:
every process (the controller and each xdist worker) appends JSON lines to that file: its process
start, pytest_configure, collection end, each test phase (setup/call/teardown with start and end,
epoch seconds) and session end. bench/timeline_report.py turns them into a breakdown.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator

import pytest

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _emit(**record: object) -> None:
    path = os.environ.get("BENCH_TIMELINE")
    if not path:
        return
    record["worker"] = _WORKER
    with open(path, "a") as out:
        out.write(json.dumps(record) + "\n")


def _process_start() -> float:
    """Epoch time this process started, to 10 ms (psutil's create_time rounds boot time to 1 s)."""
    with open("/proc/self/stat") as stat:
        ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        since_boot = float(uptime.read().split()[0])
    return time.time() - (since_boot - ticks / os.sysconf("SC_CLK_TCK"))


def pytest_configure(config: pytest.Config) -> None:
    _emit(event="process_start", at=_process_start())
    _emit(event="configure", at=time.time())


def pytest_collection_finish(session: pytest.Session) -> None:
    _emit(event="collected", at=time.time(), count=len(session.items))


def _phase(item: pytest.Item, phase: str) -> Generator[None, None, None]:
    started = time.time()
    yield
    _emit(event="phase", phase=phase, nodeid=item.nodeid, start=started, end=time.time())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield from _phase(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield from _phase(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    yield from _phase(item, "teardown")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    _emit(event="sessionfinish", at=time.time())


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    _emit(event="unconfigure", at=time.time())
