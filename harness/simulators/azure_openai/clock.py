"""The simulator's clock: real time that a test can push forward, so rate limits never need a sleep.

It counts whole nanoseconds (integers), never float seconds: ``t + 60 s - 60 s`` is ``t`` again
for every reading of the real clock, so ``advance(60)`` always reopens a one-minute window. A float
clock did not (for about 0.2 % of ``time.monotonic()`` values the sum rounded below ``t``).
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction

from harness.simulators.checks import number

_SECONDS = number(0, expected="a finite number >= 0")

#: Nanoseconds in a second.
NS_PER_SECOND = 1_000_000_000


def monotonic_ns() -> int:
    """The real clock :class:`SimClock` reads (one place, so a test can pin its readings)."""
    return time.monotonic_ns()


def seconds_to_ns(seconds: float) -> int:
    """``seconds`` (int or float) as whole nanoseconds, rounded to the nearest: ``60`` and ``60.0``
    give exactly ``60_000_000_000``, ``0.1`` gives ``100_000_000``."""
    if isinstance(seconds, int):
        return seconds * NS_PER_SECOND
    return round(Fraction(seconds) * NS_PER_SECOND)


def ns_to_seconds(ns: int) -> float:
    """Whole nanoseconds as float seconds (the nearest float), for what is reported to clients."""
    return ns / NS_PER_SECOND


class SimClock:
    """Monotonic time for rate-limit windows: real time plus whatever tests advanced.

    ``advance(60)`` makes a minute pass at once (a throttled deployment recovers); ``freeze()``
    stops real time from counting, for tests that assert exact ``Retry-After`` values. Thread-safe.
    Time never goes backwards, so advancing survives the test; freezing does not. Counts integer
    nanoseconds (:meth:`now_ns`); :meth:`now` gives the same in float seconds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset_ns = 0
        self._frozen_at_ns: int | None = None

    def now_ns(self) -> int:
        """Current simulated time in whole nanoseconds (only differences are meaningful)."""
        with self._lock:
            base = monotonic_ns() if self._frozen_at_ns is None else self._frozen_at_ns
            return base + self._offset_ns

    def now(self) -> float:
        """Current simulated time in seconds (only differences are meaningful); :meth:`now_ns` is exact."""
        return ns_to_seconds(self.now_ns())

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass at once (e.g. ``advance(60)``: a new rate-limit minute).

        Exact to the nanosecond: ``advance(60)`` adds exactly 60,000,000,000 ns.
        """
        ns = seconds_to_ns(_SECONDS.argument(seconds, "clock.advance(seconds)"))
        with self._lock:
            self._offset_ns += ns

    def freeze(self) -> None:
        """Stop real time from counting: only :meth:`advance` moves the clock (until the test ends)."""
        with self._lock:
            if self._frozen_at_ns is None:
                self._frozen_at_ns = monotonic_ns()

    def unfreeze(self) -> None:
        """Let real time count again, from where the frozen clock stood."""
        with self._lock:
            if self._frozen_at_ns is not None:
                self._offset_ns -= monotonic_ns() - self._frozen_at_ns
                self._frozen_at_ns = None

    @property
    def frozen(self) -> bool:
        """True between :meth:`freeze` and :meth:`unfreeze` (or the test's end)."""
        return self._frozen_at_ns is not None
