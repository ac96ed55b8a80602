"""Responses that change from one request to the next: in order, N failures first, or by chance."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault, Responder, ResponseLike, as_responder, require, require_not_misused


def _describe(value: object) -> str:
    return str(getattr(value, "description", None) or "response")


class _Sequence(Fault):
    def __init__(self, responses: Sequence[ResponseLike], then: ResponseLike | None) -> None:
        self.responders: list[Responder] = [as_responder(r) for r in responses]
        self.final: Responder = as_responder(then) if then is not None else self.responders[-1]
        self._next = 0
        self._lock = threading.Lock()
        listed = ", ".join(_describe(r) for r in responses)
        self.description = (
            f"sequence [{listed}] then {_describe(then) if then is not None else 'the last again'}"
        )

    def __call__(self, request: Request) -> Response:
        with self._lock:  # concurrent requests each take their own turn
            index = self._next
            self._next += 1
        responder = self.responders[index] if index < len(self.responders) else self.final
        return responder(request)


def sequence(*responses: ResponseLike, then: ResponseLike | None = None) -> Fault:
    """Answer with ``responses`` in order, one per request; afterwards ``then`` every time (by
    default the last one again)."""
    require(len(responses) > 0, "sequence needs at least one response")
    for response in responses:
        require_not_misused(response, "sequence(*responses)")
    require_not_misused(then, "sequence(then)")
    return _Sequence(responses, then)


def fail_times(times: int, fault: ResponseLike, then: ResponseLike) -> Fault:
    """``fault`` for the first ``times`` requests, then ``then`` for every later one."""
    require(
        isinstance(times, int) and not isinstance(times, bool) and times >= 0,
        f"fail_times needs a whole number of times >= 0, got {times!r}",
    )
    require_not_misused(fault, "fail_times(fault)")
    require_not_misused(then, "fail_times(then)")
    if times == 0:
        return _Sequence([then], None)
    return _Sequence([fault] * times, then)


class _Chance(Fault):
    def __init__(
        self, probability: float, fault: ResponseLike, otherwise: ResponseLike | None, seed: int | None
    ):
        self.fault = as_responder(fault)
        self.otherwise = as_responder(otherwise)
        self.probability = probability
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.description = f"{_describe(fault)} with probability {probability:g} (seed {seed})"

    def __call__(self, request: Request) -> Response:
        with self._lock:
            hit = self._random.random() < self.probability
        return (self.fault if hit else self.otherwise)(request)


def chance(
    probability: float, fault: ResponseLike, otherwise: ResponseLike | None = None, *, seed: int | None = None
) -> Fault:
    """``fault`` with ``probability`` (0 to 1) per request, otherwise ``otherwise``. With a ``seed``
    the same run of requests gets the same faults, so a failure is reproducible."""
    ok = isinstance(probability, (int, float)) and not isinstance(probability, bool) and 0 <= probability <= 1
    require(ok, f"chance probability must be between 0 and 1, got {probability!r}")
    require_not_misused(fault, "chance(fault)")
    require_not_misused(otherwise, "chance(otherwise)")
    return _Chance(float(probability), fault, otherwise, seed)
