"""Start -> ready and stop of the sample app through harness, per profile, alone and two at once.

Usage: python bench/sample_app_start.py [--repo PATH] [--runs N]

"two at once" starts the same profile in two Harness instances (as two xdist workers do) at the
same moment, to show what CPU contention on a 2-core machine does to a ~1 s, import-bound start.
Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

import _common

from harness import Harness


def timed_start_stop(harness: Harness, profile: str, out: list[tuple[float, float]]) -> None:
    started = time.perf_counter()
    harness.app_for(profile)
    ready = time.perf_counter() - started
    started = time.perf_counter()
    harness.stop_app(profile)
    out.append((ready, time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(_common.ROOT))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pyproject = Path(args.repo) / "pyproject.toml"
    harnesses = [Harness.from_pyproject(pyproject, instance=f"bench{n}") for n in range(2)]
    for harness in harnesses:
        harness.start_services()
    try:
        profiles = ["default", *harnesses[0].config.profiles]
        print("| profile | alone: ready (s) | alone: stop (s) | two at once: ready (s) |")
        print("| --- | ---: | ---: | ---: |")
        for profile in profiles:
            alone: list[tuple[float, float]] = []
            pair: list[tuple[float, float]] = []
            for _ in range(args.runs):
                timed_start_stop(harnesses[0], profile, alone)
                threads = [
                    threading.Thread(target=timed_start_stop, args=(harness, profile, pair))
                    for harness in harnesses
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            print(
                f"| {profile} | {statistics.median(r for r, _ in alone):.3f} "
                f"| {statistics.median(s for _, s in alone):.3f} "
                f"| {statistics.median(r for r, _ in pair):.3f} |"
            )
    finally:
        for harness in harnesses:
            harness.stop()


if __name__ == "__main__":
    main()
