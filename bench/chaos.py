"""Chaos scenarios, repeated: survivors (must be 0) and time to clean up; early-exit latency.

Usage: python bench/chaos.py [--runs N] [--early-exit-runs M] [--exit-after SECONDS] [--only TEXT]

Every scenario of the chaos suite (tests/harness/test_chaos_*.py; the machinery is in
tests/support/chaos.py) runs N times, each in a fresh temporary project with its own
token. Printed per scenario: runs, survivors summed over the runs (any process of a run still
alive at the deadline), runs that failed to set up, and the median and max time from the
perturbation to zero processes:

- runner signals: from the signal to the runner until no process of the run (runner, watchdog,
  app, its child, its daemon) is alive;
- stale-run sweep: from the next run's ``start_services()`` until the dead run's leftovers are gone;
- app misbehaviour: from the moment the inner tests mark (the end of the last test; for the
  SIGTERM-ignoring and closed-stdio apps, the start of their stop) until every process the app
  side recorded is gone.

For runner signals the last column splits out the time until the app side (app, child, daemon)
was gone; the rest is the runner's own exit. Elsewhere it shows "=": the cleanup time is all app.

Then the early-exit latency: an app that sleeps ``--exit-after`` seconds, writes ``time.time()`` to
a file and exits 1 at once; measured from that stamp to the moment ``Harness.app_for()`` raises
``AppExitedError`` (which includes stopping whatever is left of it), over M runs.

Not a test: nothing here asserts; the exit status is 1 if any process survived.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import _common  # noqa: F401 - the checkout on sys.path

from harness import Harness
from harness.config import parse_table
from harness.errors import AppExitedError
from tests.support import chaos
from tests.support.processes import LEAK_TOKEN_VARIABLE

Scenario = Callable[[Path, str], "chaos.Outcome"]


def scenarios() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        for moment in chaos.MOMENTS:
            name = f"{signum.name} during {moment}"
            found[name] = lambda w, t, s=signum, m=moment: chaos.runner_signal(w, t, s, m)
    found[f"SIGINT during {chaos.SESSION_TEARDOWN}"] = lambda w, t: chaos.runner_signal(
        w, t, signal.SIGINT, chaos.SESSION_TEARDOWN
    )
    found["stale run swept by the next run"] = chaos.stale_run_sweep
    found.update(chaos.app_scenarios())
    return found


def run_scenario(scenario: Scenario, token: str) -> tuple[int, float | None, float | None, str | None]:
    """Run once: (survivors, cleanup seconds, seconds until the app side was gone, error)."""
    with tempfile.TemporaryDirectory(prefix="chaos-") as workdir:
        try:
            outcome = scenario(Path(workdir), token)
        except AssertionError as error:  # the scenario could not even be set up as intended
            chaos.kill_leftovers(token)
            return 0, None, None, str(error).splitlines()[0]
        app_gone = outcome.details.get("app_gone_seconds")
        app_seconds = float(app_gone) if isinstance(app_gone, float) else None
        return len(outcome.survivors), outcome.cleanup_seconds, app_seconds, None


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def early_exit_latency(exit_after: float) -> float:
    """Seconds from the app's own exit stamp to ``AppExitedError`` reaching the caller."""
    with tempfile.TemporaryDirectory(prefix="chaos-exit-") as workdir:
        chaos_dir = Path(workdir) / "chaos"
        config = parse_table(
            {
                "command": [sys.executable, str(chaos.CHAOS_APP)],
                "health": "/health",
                "env_file": "bench.env",
                "log_dir": "logs",
                "startup_timeout": 30,
                "env": {"CHAOS_DIR": str(chaos_dir), "CHAOS_EXIT_AFTER": str(exit_after)},
            },
            Path(workdir) / "pyproject.toml",
        )
        harness = Harness(config)
        try:
            harness.app_for()
        except AppExitedError:
            raised = time.time()
        else:  # pragma: no cover - the app always exits
            raise AssertionError("the app did not exit")
        finally:
            harness.stop()
        return raised - float((chaos_dir / "exit_stamp").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each scenario (default 5)")
    parser.add_argument("--early-exit-runs", type=int, default=20, help="early-exit runs (default 20)")
    parser.add_argument("--exit-after", type=float, default=0.5, help="the early-exiting app's sleep")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    args = parser.parse_args()

    # Like the chaos suite's leak check: every process a run starts inherits its own token.
    os.environ.pop(LEAK_TOKEN_VARIABLE, None)
    chosen = {name: s for name, s in scenarios().items() if not args.only or args.only in name}
    total_survivors = 0
    print("| scenario | runs | survivors | errors | median cleanup | max cleanup | median: app side gone |")
    print("|---|---|---|---|---|---|---|")
    started = time.monotonic()
    for name, scenario in chosen.items():
        survivors, times, app_times, errors = 0, [], [], []
        for _ in range(args.runs):
            left, cleanup, app_gone, error = run_scenario(scenario, uuid.uuid4().hex)
            survivors += left
            if error is None and cleanup is not None:
                times.append(cleanup)
                if app_gone is not None:
                    app_times.append(app_gone)
            else:
                errors.append(error)
        total_survivors += survivors
        median = milliseconds(statistics.median(times)) if times else "-"
        worst = milliseconds(max(times)) if times else "-"
        app_median = milliseconds(statistics.median(app_times)) if app_times else "="
        row = f"| {name} | {args.runs} | {survivors} | {len(errors)} | {median} | {worst} | {app_median} |"
        print(row, flush=True)
        for error in errors:
            print(f"|   error: {error} | | | | | | |", flush=True)
    print(f"\n({len(chosen)} scenarios x {args.runs} runs in {time.monotonic() - started:.0f} s)")

    if args.early_exit_runs > 0 and not args.only:
        latencies = [early_exit_latency(args.exit_after) for _ in range(args.early_exit_runs)]
        over = sum(latency > 0.1 for latency in latencies)
        median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
        print(
            f"\nearly exit before ready (the app sleeps {args.exit_after:g} s, then exits 1), "
            f"{len(latencies)} runs: app's exit -> AppExitedError raised: median {median:.1f} ms, "
            f"max {worst:.1f} ms, over 100 ms: {over}"
        )
    return 1 if total_survivors else 0


if __name__ == "__main__":
    sys.exit(main())
