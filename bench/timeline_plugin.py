"""Where each pytest process's wall time goes (bench/scaling.py measurements): a pytest plugin that
records it, and run as a script, the report of a record.

Record: ``PYTHONPATH=bench BENCH_TIMELINE=<file> python -m pytest -p timeline_plugin ...``; every
process (the controller and each xdist worker) appends JSON lines to that file: its process start,
pytest_configure, collection end, each test phase (setup/call/teardown with start and end, epoch
seconds) and session end.

Report: ``python bench/timeline_plugin.py TIMELINE.jsonl [--slow-setup 0.3] [--slow-call 1.5]``:
a per-process breakdown, times relative to the controller's process start. A setup longer than
``--slow-setup`` counts as an app start (the first test of a profile on that process starts its
app); a call longer than ``--slow-call`` as a timeout test. Teardown of the last test includes the
session fixtures' teardown (apps and mocks stopped).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from collections.abc import Generator
from typing import Any

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


# -- the report ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="the report of a timeline record")
    parser.add_argument("timeline")
    parser.add_argument("--slow-setup", type=float, default=0.3)
    parser.add_argument("--slow-call", type=float, default=1.5)
    args = parser.parse_args()
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(args.timeline) as source:
        for line in source:
            record = json.loads(line)
            events[record["worker"]].append(record)
    origin = float(min(r["at"] for r in events["main"] if r["event"] == "process_start"))

    def at(worker: str, name: str) -> float:
        return float(next(r["at"] for r in events[worker] if r["event"] == name)) - origin

    header = (
        "process | started | configured | collected | first test | app starts (n) | other setup | "
        "timeout calls (n) | other calls | teardown (last) | idle between | session end | unconfigure"
    )
    print("| " + header + " |")
    print("|" + " --- |" * len(header.split("|")))
    for worker in sorted(events, key=lambda w: (w != "main", w)):
        phases = [r for r in events[worker] if r["event"] == "phase"]
        row = [worker, f"{at(worker, 'process_start'):.2f}", f"{at(worker, 'configure'):.2f}"]
        collected = any(r["event"] == "collected" for r in events[worker])
        row.append(f"{at(worker, 'collected'):.2f}" if collected else "-")
        if phases:
            setups = [r["end"] - r["start"] for r in phases if r["phase"] == "setup"]
            calls = [r["end"] - r["start"] for r in phases if r["phase"] == "call"]
            teardowns = [r["end"] - r["start"] for r in phases if r["phase"] == "teardown"]
            slow_setups = [s for s in setups if s > args.slow_setup]
            slow_calls = [c for c in calls if c > args.slow_call]
            first = min(r["start"] for r in phases) - origin
            last = max(r["end"] for r in phases) - origin
            busy = sum(setups) + sum(calls) + sum(teardowns)
            row += [
                f"{first:.2f}",
                f"{sum(slow_setups):.2f} ({len(slow_setups)})",
                f"{sum(setups) - sum(slow_setups):.2f}",
                f"{sum(slow_calls):.2f} ({len(slow_calls)})",
                f"{sum(calls) - sum(slow_calls):.2f}",
                f"{sum(teardowns):.2f} ({teardowns[-1]:.2f})",
                f"{last - first - busy:.2f}",
            ]
        else:
            row += ["-"] * 7
        row.append(f"{at(worker, 'sessionfinish'):.2f}")
        row.append(f"{at(worker, 'unconfigure'):.2f}")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
