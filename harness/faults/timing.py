"""Delays before the first byte: fixed, uniform or lognormal, seeded for reproducible runs."""

from __future__ import annotations

import math
import random
import threading

from werkzeug.wrappers import Request, Response

from harness.faults import wire
from harness.faults.base import (
    Fault,
    ResponseLike,
    as_responder,
    non_negative_seconds,
    require,
    require_not_misused,
)


class Distribution:
    """Seconds to wait, drawn per request. Thread-safe; a seed makes a run reproducible."""

    description = "distribution"

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def sample(self) -> float:
        with self._lock:
            return max(0.0, self._draw(self._random))

    def _draw(self, rng: random.Random) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


class _Uniform(Distribution):
    def __init__(self, low: float, high: float, seed: int | None) -> None:
        super().__init__(seed)
        self.low, self.high = low, high
        self.description = f"uniform {low:g}-{high:g} s"

    def _draw(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)


class _LogNormal(Distribution):
    def __init__(self, median: float, sigma: float, seed: int | None) -> None:
        super().__init__(seed)
        self.mu, self.sigma = math.log(median), sigma
        self.description = f"lognormal median {median:g} s, sigma {sigma:g}"

    def _draw(self, rng: random.Random) -> float:
        return rng.lognormvariate(self.mu, self.sigma)


def uniform(low: float, high: float, *, seed: int | None = None) -> Distribution:
    """Delays spread evenly between ``low`` and ``high`` seconds."""
    low = non_negative_seconds("uniform low", low)
    high = non_negative_seconds("uniform high", high)
    require(low <= high, f"uniform needs low <= high, got {low:g} > {high:g}")
    return _Uniform(low, high, seed)


def lognormal(median: float, sigma: float, *, seed: int | None = None) -> Distribution:
    """Delays with a long tail, like real service latency: ``median`` seconds, spread ``sigma``."""
    median = non_negative_seconds("lognormal median", median)
    require(median > 0, "lognormal median must be > 0")
    ok = isinstance(sigma, (int, float)) and not isinstance(sigma, bool) and math.isfinite(sigma)
    require(ok and sigma >= 0, f"lognormal sigma must be a finite number >= 0, got {sigma!r}")
    return _LogNormal(median, float(sigma), seed)


class _Delay(Fault):
    def __init__(self, seconds: float | Distribution, inner: ResponseLike | None) -> None:
        self.seconds = seconds
        self.inner = as_responder(inner)
        amount = seconds.description if isinstance(seconds, Distribution) else f"{seconds:g} s"
        inner_text = getattr(inner, "description", None)
        self.description = f"delay {amount}" + (f", then {inner_text}" if inner_text else "")

    def __call__(self, request: Request) -> Response:
        seconds = self.seconds.sample() if isinstance(self.seconds, Distribution) else self.seconds
        if wire.release_event(request).wait(min(seconds, wire.MAX_STALL_SECONDS)):
            return wire.take_over(request, f"{self.description} (released at test end)", [wire.Close()])
        try:
            return self.inner(request)
        except wire.WireTakeover as takeover:  # journal the whole story: "delay 0.5 s, then reset"
            takeover.plan.description = self.description
            raise


def delay(seconds: float | Distribution, response: ResponseLike | None = None) -> Fault:
    """Wait before the first byte, then answer with ``response`` (which may be another fault:
    ``delay(0.5, reset())`` waits, then resets). Other requests are served meanwhile."""
    require_not_misused(seconds, "delay(seconds)")
    require_not_misused(response, "delay(response)")
    if not isinstance(seconds, Distribution):
        seconds = non_negative_seconds("delay", seconds)
    return _Delay(seconds, response)
