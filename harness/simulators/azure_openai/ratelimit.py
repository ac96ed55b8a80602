"""Tokens- and requests-per-minute limits over a sliding minute of the simulator's clock.

Azure OpenAI meters each deployment on its own: a request is refused (429) when it would push the
requests of the last minute past ``requests_per_minute``, or when its *estimated* tokens (prompt
plus ``max_tokens``, as Azure estimates) do not fit in what is left of ``tokens_per_minute``. What
a request is finally charged is its real usage (prompt plus completion tokens).

Windows are computed in the clock's integer nanoseconds, so a use at ``t`` has left the window at
exactly ``t + WINDOW_NS``: ``clock.advance(60)``, or advancing by the ``retry_after`` a refusal
gave, always reopens it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from harness.simulators.azure_openai.clock import SimClock, ns_to_seconds, seconds_to_ns

#: The length of the metering window, in seconds.
WINDOW_SECONDS = 60.0
#: The same in the clock's nanoseconds (what windows are computed in).
WINDOW_NS = seconds_to_ns(WINDOW_SECONDS)


@dataclass(frozen=True)
class Limits:
    """A deployment's limits; None means unlimited."""

    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.tokens_per_minute is None and self.requests_per_minute is None


@dataclass
class _Use:
    #: When the request was admitted, in the clock's nanoseconds.
    at_ns: int
    tokens: int


@dataclass(frozen=True)
class Decision:
    """The outcome of :meth:`RateLimiter.admit`: admitted, or refused with how long to wait."""

    admitted: bool
    #: Seconds until a retry can succeed (0 when admitted).
    retry_after: float
    #: "requests" or "tokens": which limit refused the request.
    exceeded: str | None
    #: The use recorded for an admitted request, settled with its real tokens later.
    use: _Use | None = None


@dataclass(frozen=True)
class Remaining:
    """What ``x-ratelimit-remaining-*`` report (None: that limit is not set)."""

    requests: int | None
    tokens: int | None


class RateLimiter:
    """The per-deployment usage of the last minute. Thread-safe."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._uses: dict[str, deque[_Use]] = {}

    def _window(self, key: str, now_ns: int) -> deque[_Use]:
        uses = self._uses.setdefault(key, deque())
        while uses and uses[0].at_ns + WINDOW_NS <= now_ns:
            uses.popleft()
        return uses

    def admit(self, key: str, limits: Limits, estimated_tokens: int) -> Decision:
        """Admit (and record) a request of ``estimated_tokens`` on deployment ``key``, or refuse it."""
        if limits.unlimited:
            return Decision(True, 0.0, None, None)
        with self._lock:
            now_ns = self.clock.now_ns()
            uses = self._window(key, now_ns)
            rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
            if rpm is not None and len(uses) + 1 > rpm:
                wait_ns = uses[0].at_ns + WINDOW_NS - now_ns if uses else WINDOW_NS
                return Decision(False, ns_to_seconds(wait_ns), "requests")
            if tpm is not None:
                used = sum(use.tokens for use in uses)
                excess = used + estimated_tokens - tpm
                if excess > 0:
                    wait_ns = self._wait_for(uses, excess, now_ns, estimated_tokens > tpm)
                    return Decision(False, ns_to_seconds(wait_ns), "tokens")
            use = _Use(now_ns, estimated_tokens)
            uses.append(use)
            return Decision(True, 0.0, None, use)

    @staticmethod
    def _wait_for(uses: deque[_Use], excess: int, now_ns: int, hopeless: bool) -> int:
        # The nanoseconds until enough of the window's tokens expire; a request larger than the
        # whole limit never fits, and Azure then still answers "retry after" a full window.
        if hopeless:
            return WINDOW_NS
        freed = 0
        for use in uses:
            freed += use.tokens
            if freed >= excess:
                return max(0, use.at_ns + WINDOW_NS - now_ns)
        return WINDOW_NS

    def settle(self, use: _Use | None, tokens: int) -> None:
        """Charge an admitted request its real tokens instead of the estimate."""
        if use is not None:
            with self._lock:
                use.tokens = tokens

    def remaining(self, key: str, limits: Limits) -> Remaining:
        """What is left of ``limits`` on ``key`` this minute (never below zero)."""
        with self._lock:
            uses = self._window(key, self.clock.now_ns())
            rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
            return Remaining(
                None if rpm is None else max(0, rpm - len(uses)),
                None if tpm is None else max(0, tpm - sum(use.tokens for use in uses)),
            )

    def clear(self) -> None:
        """Forget all usage (a new test starts with a full minute's quota)."""
        with self._lock:
            self._uses.clear()
