"""Start -> ready and stop times: harness against a bare Popen, mirakuru and a CWYD-style start.

Usage: python bench/startup.py [--runs N] [--skip-cwyd] [--raw FILE.json]

Contenders, each starting the same trivial app (bench/apps/trivial_app.py):

* bare:       subprocess.Popen + a health GET every 1 ms; stop = SIGTERM, wait on a pidfd for the
              grace period, then SIGKILL (the ideal a tool can approach);
* harness:    Harness.app_for() / stop_app(), one Harness per scenario with its services started
              beforehand (once per session in real use), shutdown_timeout 0.5 s;
* mirakuru:   HTTPExecutor(method="GET") with its default poll (sleep=0.1) and with sleep=0.005.
              mirakuru has a single `timeout` for start and stop, so the SIGTERM-ignoring scenario
              runs it with timeout=0.5 s (= the grace period of the others);
* CWYD-style: the same server code in a daemon thread of this process, a fixed sleep(2), then up to
              10 polls 1 s apart. CWYD never stopped its apps; the thread's server is shut down
              afterwards, untimed.

Scenarios: the trivial app (~50 ms to start), the same app with a 1 s delay before it listens, and
the trivial app ignoring SIGTERM (so stopping it takes the grace period, then SIGKILL). Within a
scenario the contenders run interleaved run by run (their order rotating every run), so machine
noise hits all alike. Printed: medians; each contender's overhead over bare as the median of the
run-by-run differences; and "after listen", the time from the app's listen() (it writes the
moment to BENCH_READY_FILE) until the contender returned, which leaves the app's own, noisy start
out and isolates the readiness detection. Every process started is stopped. Not a test: nothing
here asserts.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import _common
from _common import rotated
from apps import trivial_app  # the in-process variant of the app, for the CWYD-style start
from mirakuru import HTTPExecutor

from harness import Harness
from harness.config import parse_table
from harness.process import procscan
from harness.process.ports import free_port

APP = _common.APPS / "trivial_app.py"
SHUTDOWN_TIMEOUT = 0.5
STARTUP_TIMEOUT = 30.0
CWYD_SLEEP, CWYD_POLLS, CWYD_INTERVAL = 2.0, 10, 1.0
BARE = "bare Popen + 1 ms poll"
CWYD = "CWYD-style (thread, sleep 2, 1 s polls)"
MIRAKURU_SLEEP = 0.1  # the default of SimpleExecutor(sleep=...) in mirakuru 3.1
NAMES = ("bare", "harness", "m1", "m2")  # of the subprocess contenders' BENCH_READY_FILEs


@dataclass(frozen=True)
class Scenario:
    label: str
    delay: float
    ignore_term: bool = False

    def env(self) -> dict[str, str]:
        return {"BENCH_START_DELAY": str(self.delay), "BENCH_IGNORE_TERM": "1" if self.ignore_term else "0"}


TRIVIAL = Scenario("trivial app (~50 ms to start)", 0.0)
SLOW = Scenario("slow app (1 s before it listens)", 1.0)
STUBBORN = Scenario("trivial app ignoring SIGTERM", 0.0, ignore_term=True)


@dataclass(frozen=True)
class Sample:
    """One start and stop, in seconds."""

    ready: float  # from the start call until the contender says "ready"
    lag: float  # from the moment the app listened until then (the app's own start time left out)
    stop: float | None  # from the stop call until stopped (None: never stopped)
    #: Time spent outside the wait for the health check (bare: the Popen() call; harness: app_for()
    #: minus App.startup_seconds, the wait it measures itself); None where it cannot be told apart.
    setup: float | None = None


class ReadyFile:
    """The file the app writes its time.monotonic() to once it listens (BENCH_READY_FILE)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {"BENCH_READY_FILE": str(path)}

    def lag(self, ready_at: float) -> float:
        listening_at = float(self.path.read_text())
        self.path.unlink()
        return ready_at - listening_at


def health_ok(port: int, timeout: float | None) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


# -- contenders: each run starts the app, waits until it is ready, stops it --------------------------
# time.monotonic() throughout: the app's timestamp uses the same system-wide clock.


def bare_run(scenario: Scenario, ready_file: ReadyFile) -> Sample:
    port = free_port()
    env = {**os.environ, "PORT": str(port), **scenario.env(), **ready_file.env}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(APP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    setup = time.monotonic() - started
    while not health_ok(port, timeout=5):
        time.sleep(0.001)
    ready_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    pidfd = os.pidfd_open(process.pid)
    try:
        if not select.select([pidfd], [], [], SHUTDOWN_TIMEOUT)[0]:
            process.kill()
    finally:
        os.close(pidfd)
    process.wait()
    stopped_at = time.monotonic()
    return Sample(ready_at - started, ready_file.lag(ready_at), stopped_at - ready_at, setup)


class HarnessContender:
    """One Harness per scenario (services started once, as in a session); each run is one
    app_for() / stop_app() cycle."""

    def __init__(self, scenario: Scenario, workdir: Path, ready_file: ReadyFile) -> None:
        self.ready_file = ready_file
        config = parse_table(
            {
                "command": [sys.executable, str(APP)],
                "health": "/health",
                "env_file": "bench.env",
                "log_dir": "logs",
                "shutdown_timeout": SHUTDOWN_TIMEOUT,
                "startup_timeout": STARTUP_TIMEOUT,
                "env": {**scenario.env(), **ready_file.env},
            },
            workdir / "pyproject.toml",
        )
        self.harness = Harness(config)
        self.harness.start_services()

    def run(self) -> Sample:
        started = time.monotonic()
        app = self.harness.app_for()
        ready_at = time.monotonic()
        self.harness.stop_app()
        stopped_at = time.monotonic()
        setup = ready_at - started - app.startup_seconds
        return Sample(ready_at - started, self.ready_file.lag(ready_at), stopped_at - ready_at, setup)

    def close(self) -> None:
        self.harness.stop()


def mirakuru_run(scenario: Scenario, ready_file: ReadyFile, sleep: float) -> Sample:
    port = free_port()
    executor = HTTPExecutor(
        [sys.executable, str(APP)],
        url=f"http://127.0.0.1:{port}/health",
        method="GET",  # its default HEAD gets 501 from the app (as from many real ones)
        envvars={"PORT": str(port), **scenario.env(), **ready_file.env},
        timeout=SHUTDOWN_TIMEOUT if scenario.ignore_term else STARTUP_TIMEOUT,
        sleep=sleep,
    )
    started = time.monotonic()
    executor.start()
    ready_at = time.monotonic()
    executor.stop()
    stopped_at = time.monotonic()
    return Sample(ready_at - started, ready_file.lag(ready_at), stopped_at - ready_at)


def cwyd_run(scenario: Scenario) -> Sample:
    port = free_port()
    started = time.monotonic()
    app = trivial_app.serve_in_thread(port, scenario.delay)
    time.sleep(CWYD_SLEEP)
    for attempt in range(CWYD_POLLS):
        if health_ok(port, timeout=None):  # CWYD gave its polls no timeout
            break
        if attempt < CWYD_POLLS - 1:
            time.sleep(CWYD_INTERVAL)
    ready_at = time.monotonic()
    lag = ready_at - (app.listening_at or ready_at)
    app.shutdown()  # CWYD never stopped its apps; we do, untimed, so no thread outlives the run
    return Sample(ready_at - started, lag, None)


# -- running and reporting -------------------------------------------------------------------------


def measure(scenario: Scenario, runs: int, workdir: Path, cwyd: bool) -> dict[str, list[Sample]]:
    """``runs`` samples of every contender, interleaved run by run, their order rotating."""

    def ready_file(name: str) -> ReadyFile:  # one of NAMES
        return ReadyFile(workdir / f"{name}.ready")

    harness = HarnessContender(scenario, workdir, ready_file("harness"))
    entries: list[tuple[str, Callable[[], Sample]]] = [
        (BARE, lambda: bare_run(scenario, ready_file("bare"))),
        ("harness", harness.run),
        ("mirakuru (default sleep=0.1)", lambda: mirakuru_run(scenario, ready_file("m1"), MIRAKURU_SLEEP)),
        ("mirakuru (sleep=0.005)", lambda: mirakuru_run(scenario, ready_file("m2"), 0.005)),
    ]
    if cwyd and not scenario.ignore_term:  # a thread cannot ignore SIGTERM: not applicable
        entries.append((CWYD, lambda: cwyd_run(scenario)))
    results: dict[str, list[Sample]] = {name: [] for name, _ in entries}
    try:
        for index in range(runs):
            for name, run in rotated(entries, index):
                results[name].append(run())
    finally:
        harness.close()
    return results


def ms(seconds: float, sign: bool = False) -> str:
    return f"{seconds * 1000:+.1f}" if sign else f"{seconds * 1000:.1f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table (readable as plain text too)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        padded = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths))
    return "\n".join([line(header), rule + "|", *(line(r) for r in rows)])


def start_table(results: dict[str, list[Sample]]) -> str:
    base = results[BARE]
    rows = []
    for name, samples in results.items():
        ready = statistics.median(s.ready for s in samples)
        overhead = statistics.median(s.ready - b.ready for s, b in zip(samples, base, strict=True))
        stops = [s.stop for s in samples if s.stop is not None]
        rows.append(
            [
                name,
                ms(ready),
                "" if name == BARE else ms(overhead, sign=True),
                f"{ready / statistics.median(b.ready for b in base):.2f}x",
                ms(statistics.median(s.lag for s in samples)),
                ms(statistics.median(stops)) if stops else "never stopped",
            ]
        )
    return table(["contender", "start -> ready", "overhead", "ratio", "after listen", "stop"], rows)


def overhead_estimate(results: dict[str, list[Sample]]) -> str:
    """harness's start overhead without the app's start-time noise: its extra work outside the wait
    plus its later detection of the open port, each a difference of medians."""
    bare, ours = results[BARE], results["harness"]
    setup_bare = statistics.median(s.setup for s in bare if s.setup is not None)
    setup_ours = statistics.median(s.setup for s in ours if s.setup is not None)
    lag_bare, lag_ours = statistics.median(s.lag for s in bare), statistics.median(s.lag for s in ours)
    total = setup_ours - setup_bare + lag_ours - lag_bare
    return (
        f"\nharness overhead without the app's start-time noise: {ms(total, sign=True)} ms"
        f" = outside its wait {ms(setup_ours)} vs Popen() {ms(setup_bare)}"
        f" ({ms(setup_ours - setup_bare, sign=True)})"
        f" + after listen {ms(lag_ours)} vs {ms(lag_bare)} ({ms(lag_ours - lag_bare, sign=True)})"
    )


def stubborn_table(results: dict[str, list[Sample]]) -> str:
    rows = []
    for name, samples in results.items():
        stop = statistics.median(s.stop for s in samples if s.stop is not None)
        rows.append([name, ms(stop), ms(stop - SHUTDOWN_TIMEOUT, sign=True)])
    return table(["contender", "stop", f"beyond the {ms(SHUTDOWN_TIMEOUT)} ms grace"], rows)


def report(results: dict[Scenario, dict[str, list[Sample]]]) -> None:
    print(
        "\nmedians in ms; overhead = median of the run-by-run differences from bare; after listen = "
        "from the app's listen() until the contender returned (the app's own start left out)"
    )
    for scenario in (TRIVIAL, SLOW):
        print(f"\n{scenario.label}\n")
        print(start_table(results[scenario]))
        print(overhead_estimate(results[scenario]))
    print(f"\n{STUBBORN.label}: SIGTERM, then SIGKILL after {ms(SHUTDOWN_TIMEOUT)} ms\n")
    print(stubborn_table(results[STUBBORN]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per contender and scenario")
    parser.add_argument(
        "--skip-cwyd", action="store_true", help="leave out the CWYD-style start (2 s+ per run)"
    )
    parser.add_argument("--raw", type=Path, help="also write every sample (seconds) to this JSON file")
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{datetime.datetime.now().isoformat(timespec='seconds')}: {args.runs} interleaved runs, "
        f"{os.cpu_count()} cores, load average {load}, Python {sys.version.split()[0]}"
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in (TRIVIAL, SLOW, STUBBORN):
            results[scenario] = measure(scenario, args.runs, Path(tmp), cwyd=not args.skip_cwyd)
        # Proof that every app was stopped: none left with one of this run's BENCH_READY_FILEs.
        left = set().union(
            *(procscan.pids_with_variable("BENCH_READY_FILE", str(Path(tmp) / f"{n}.ready")) for n in NAMES)
        )
    report(results)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\napps left running after the benchmark: {len(left)}; load average at the end {load}")
    if args.raw:
        raw = {s.label: {name: [asdict(x) for x in xs] for name, xs in r.items()} for s, r in results.items()}
        args.raw.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
