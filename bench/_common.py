"""What the bench scripts share: the checkout on ``sys.path``, medians, interleaving, and whether
the machine was ours during a measurement.

Every script imports it first (``import _common``: a script's own folder is on ``sys.path``); from
then on ``tests.support`` (the test suite's helpers and apps) and ``harness`` import from this
checkout, without a ``sys.path`` edit of the script's own.

Was the machine ours? ``with Foreign() as other: ...`` then ``other.share`` is the CPU time the rest
of the machine used during the block (all cores, from /proc/stat, minus what this process, its live
descendants and its reaped children used), as a share of one core over the block's wall time.
Benchmarks use it to redo a measurement that something else on the machine (another benchmark, a
CI run) disturbed: :func:`undisturbed`. Linux only; elsewhere ``share`` is always 0.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import psutil

T = TypeVar("T")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: The benchmarks' own apps.
APPS = BENCH / "apps"
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # after the script's folder: ``tests.support`` from this checkout


# -- statistics ---------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median of the values that are not NaN (NaN: a measurement left out); NaN if none is left."""
    kept = [value for value in values if not math.isnan(value)]
    return statistics.median(kept) if kept else math.nan


def paired(a: Sequence[float], b: Sequence[float]) -> float:
    """The median of the run-by-run differences ``a - b`` (the runs are paired)."""
    return median([x - y for x, y in zip(a, b, strict=True)])


def rotated(items: Sequence[T], turn: int) -> list[T]:
    """``items`` in the order of round ``turn`` of an interleaved measurement: each round starts one
    further along, so no contender always goes first (or right after the same other one)."""
    shift = turn % len(items)
    return [*items[shift:], *items[:shift]]


# -- was the machine ours? ----------------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy() -> float:
    """Seconds of CPU all cores spent not idle since boot."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user and nice
    return (sum(fields) - idle - guest) / _TICK


def _ours() -> float:
    """CPU seconds of this process (with its reaped children) and its live descendants."""
    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.Error:
            continue
        total += child_times.user + child_times.system
    return float(total)


class Foreign:
    """CPU the rest of the machine used while the block ran, in cores (0.25: a quarter of one)."""

    def __init__(self) -> None:
        #: CPU seconds the rest of the machine used during the block, and that over its wall time.
        self.seconds = 0.0
        self.share = 0.0
        self._start = (0.0, 0.0, 0.0)

    def __enter__(self) -> Foreign:
        self._start = (time.perf_counter(), _machine_busy(), _ours())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        wall, busy, ours = self._start
        elapsed = time.perf_counter() - wall
        other = (_machine_busy() - busy) - (_ours() - ours)
        self.seconds = max(0.0, other)
        self.share = self.seconds / elapsed if elapsed > 0 else 0.0


def undisturbed(
    action: Callable[[], T], *, limit: float, retries: int, pause: float = 3.0
) -> tuple[T, float, int]:
    """Run ``action`` until the rest of the machine used at most ``limit`` cores meanwhile (at most
    ``retries`` repeats, ``pause`` seconds apart); return its result, that share and the repeats.
    The last attempt's result is returned even if it was disturbed (the share says so)."""
    attempt = 0
    while True:
        with Foreign() as other:
            result = action()
        if other.share <= limit or attempt >= retries:
            return result, other.share, attempt
        attempt += 1
        time.sleep(pause)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--foreign-limit`` and ``--retries``, the options of :func:`undisturbed`."""
    parser.add_argument(
        "--foreign-limit",
        type=float,
        default=0.15,
        help="redo a measurement during which other processes used more CPU than this (cores)",
    )
    parser.add_argument("--retries", type=int, default=20, help="at most this many redos each")


def summary(args: argparse.Namespace, redone: int, dropped: int) -> str:
    """The closing line of a benchmark: how many measurements were redone, and left out."""
    return (
        f"measurements redone because other processes used over {args.foreign_limit:g} cores "
        f"meanwhile: {redone}; still disturbed after {args.retries} retries, left out: {dropped}"
    )
