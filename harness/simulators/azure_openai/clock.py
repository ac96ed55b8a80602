"""The simulator's clock: real time that a test can push forward, so rate limits never need a sleep."""

from __future__ import annotations

import math
import threading
import time

from harness.simulators.base import SimulatorError


class SimClock:
    """Monotonic seconds for rate-limit windows: real time plus whatever tests advanced.

    ``advance(60)`` makes a minute pass at once (a throttled deployment recovers); ``freeze()``
    stops real time from counting, for tests that assert exact ``Retry-After`` values. Thread-safe.
    Time never goes backwards, so advancing survives the test; freezing does not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        """Current simulated time in seconds (only differences are meaningful)."""
        with self._lock:
            base = time.monotonic() if self._frozen_at is None else self._frozen_at
            return base + self._offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass at once (e.g. ``advance(60)``: a new rate-limit minute)."""
        ok = isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds)
        if not ok or seconds < 0:
            raise SimulatorError(f"clock.advance(seconds): expected a finite number >= 0, got {seconds!r}")
        with self._lock:
            self._offset += float(seconds)

    def freeze(self) -> None:
        """Stop real time from counting: only :meth:`advance` moves the clock (until the test ends)."""
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.monotonic()

    def unfreeze(self) -> None:
        """Let real time count again, from where the frozen clock stood."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset -= time.monotonic() - self._frozen_at
                self._frozen_at = None

    @property
    def frozen(self) -> bool:
        """True between :meth:`freeze` and :meth:`unfreeze` (or the test's end)."""
        return self._frozen_at is not None
