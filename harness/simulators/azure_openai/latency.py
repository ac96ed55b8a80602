"""Latency as a model has it: time to the first token, then a delay per token, optionally jittered.

Every wait is on the test's release event (:func:`harness.faults.wire.release_event`), so a test
that ends -- or a mock that stops -- frees a slow answer at once instead of leaving a thread asleep.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from werkzeug.wrappers import Request

from harness.faults import wire


@dataclass(frozen=True)
class Latency:
    """``time_to_first_token`` and ``per_token_delay`` in seconds; ``jitter`` a fraction (0.2:
    each wait is drawn from 80 % to 120 % of its nominal value)."""

    time_to_first_token: float = 0.0
    per_token_delay: float = 0.0
    jitter: float = 0.0

    @property
    def none(self) -> bool:
        return self.time_to_first_token == 0 and self.per_token_delay == 0


class Pacer:
    """Draws jittered waits from one seeded generator (reproducible runs) and performs them."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def jittered(self, seconds: float, jitter: float) -> float:
        """``seconds`` spread by ``jitter`` (a fraction), never negative."""
        if seconds <= 0 or jitter <= 0:
            return max(0.0, seconds)
        with self._lock:
            return max(0.0, seconds * self._random.uniform(1 - jitter, 1 + jitter))

    @staticmethod
    def wait(request: Request, seconds: float) -> bool:
        """Sleep ``seconds`` unless the test ends first; True if it ended (the caller gives up)."""
        if seconds <= 0:
            return False
        return wire.release_event(request).wait(min(seconds, wire.MAX_STALL_SECONDS))
