"""What the installed but unused plugin costs pytest's start-up.

    python bench/plugin_cost.py [--runs 21] [--callgrind]

Runs ``pytest --collect-only -q`` in an empty folder (and in a folder whose pyproject.toml has no
``[tool.harness]``), alternating between the plugin loaded and ``-p no:harness``, --runs times
each, and prints the medians and their difference: of the CPU time the pytest process used (user
plus system, from ``wait4``), which other load on the machine barely moves, and of the wall time.
Bytecode caching is on (as on a user's machine; the first runs warm it): ``PYTHONDONTWRITEBYTECODE``
is removed from the children's environment. Every other installed plugin loads on both sides alike.

On a shared virtual machine the medians of two sides can drift apart by tens of milliseconds from
one batch to the next, more than the plugin costs. ``--callgrind`` adds what does not drift: each
side run once under ``valgrind --tool=callgrind`` (hash seed fixed), which counts the instructions
executed, the same on every run; the difference, at the measured instructions per millisecond of
the ``-p no:harness`` side, is the plugin's cost in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import rotated

WARMUP = 3


def collect_only(plugin: bool) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of one ``pytest --collect-only``, with or without the plugin
    (bytecode caching on, as on a user's machine; none of this run's pytest state)."""
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("PYTEST_")
    }
    args = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    return [*args, *([] if plugin else ["-p", "no:harness"])], env


def run(folder: Path, plugin: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ``pytest --collect-only`` in ``folder``."""
    args, env = collect_only(plugin)
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read().decode(errors="replace")  # read before waiting: never a full pipe
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = code = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if code not in (0, 5):  # 5: no tests collected, as expected in an empty folder
        raise SystemExit(f"pytest failed in {folder} (exit code {code}):\n{errors}")
    return usage.ru_utime + usage.ru_stime, elapsed


def instructions(folder: Path, plugin: bool) -> int:
    """Instructions one ``pytest --collect-only`` in ``folder`` executes, counted by callgrind."""
    args, env = collect_only(plugin)
    env["PYTHONHASHSEED"] = "0"  # the same dict and set layouts on both sides, every time
    with tempfile.TemporaryDirectory() as scratch:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out", *args]
        result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count:\n{result.stderr[-2000:]}")
    return int(found[1])


def measure(folder: Path, runs: int) -> dict[str, tuple[float, float]]:
    """``{"cpu" | "wall": (median with the plugin, median without)}``."""
    for _ in range(WARMUP):
        run(folder, True)
        run(folder, False)
    with_plugin: list[tuple[float, float]] = []
    without: list[tuple[float, float]] = []
    for index in range(runs):
        # Alternate which side goes first, so a drift in the machine's load favours neither.
        for plugin in rotated((True, False), index):
            (with_plugin if plugin else without).append(run(folder, plugin))
    return {
        kind: (
            statistics.median(sample[position] for sample in with_plugin),
            statistics.median(sample[position] for sample in without),
        )
        for position, kind in enumerate(("cpu", "wall"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--callgrind", action="store_true", help="also count instructions (valgrind)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harness-plugin-cost-") as base:
        empty = Path(base) / "empty"
        empty.mkdir()
        project = Path(base) / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text('[project]\nname = "theirs"\nversion = "1"\n')
        print(f"pytest --collect-only, medians of {args.runs} interleaved runs each")
        for label, folder in [("empty folder", empty), ("project without [tool.harness]", project)]:
            timed = measure(folder, args.runs)
            for kind, (loaded, skipped) in timed.items():
                print(
                    f"{label:>31} {kind:>4}: plugin {loaded * 1000:6.1f} ms, -p no:harness "
                    f"{skipped * 1000:6.1f} ms, cost {(loaded - skipped) * 1000:+5.1f} ms"
                )
            if args.callgrind:
                counted, baseline = instructions(folder, True), instructions(folder, False)
                per_ms = baseline / (timed["cpu"][1] * 1000)
                print(
                    f"{label:>31} instructions: plugin {counted:,}, -p no:harness {baseline:,}, "
                    f"cost {counted - baseline:+,} = {(counted - baseline) / per_ms:+.1f} ms "
                    f"at {per_ms:,.0f} instructions/ms"
                )


if __name__ == "__main__":
    main()
