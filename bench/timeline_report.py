"""Turn a bench/timeline_plugin.py record into a per-process breakdown of wall time.

Usage: python bench/timeline_report.py TIMELINE.jsonl [--slow-setup 0.3] [--slow-call 1.5]

Times are relative to the controller's process start. A setup longer than ``--slow-setup`` counts
as an app start (the first test of a profile on that process starts its app); a call longer than
``--slow-call`` as a timeout test. Teardown of the last test includes the session fixtures' teardown
(apps and mocks stopped).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
