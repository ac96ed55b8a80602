"""What every fault shares: the responder type, response coercion, argument checks."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError

Responder = Callable[[Request], Response]
#: Anything a fault accepts as "the response": a werkzeug Response, a responder (request ->
#: Response, e.g. another fault), a dict or list (sent as JSON), or str/bytes (sent as the body).
ResponseLike = Response | Responder | dict[str, object] | list[object] | str | bytes


class FaultError(HarnessError, ValueError):
    """A fault was given impossible arguments. Raised when it is created, in the test itself."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise FaultError(message)


def non_negative_seconds(name: str, value: float) -> float:
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )
    require(ok, f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class FrozenResponse:
    """An immutable copy of a response, turned into a fresh werkzeug Response per request.

    werkzeug Responses are mutable and pytest-httpserver reuses one object for every request; a
    fault must never alter what the next request gets.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def build(self) -> Response:
        return Response(self.body, status=self.status, headers=Headers(list(self.headers)))


def freeze(value: Response | dict[str, object] | list[object] | str | bytes | None) -> FrozenResponse:
    """A concrete response from ``value`` (None: an empty 200)."""
    if value is None:
        return FrozenResponse(200, (), b"")
    if isinstance(value, Response):
        headers = tuple((k, v) for k, v in value.headers.items() if k.lower() != "content-length")
        return FrozenResponse(value.status_code, headers, value.get_data())
    if isinstance(value, (dict, list)):
        return FrozenResponse(200, (("Content-Type", "application/json"),), json.dumps(value).encode())
    if isinstance(value, str):
        return FrozenResponse(200, (("Content-Type", "text/plain; charset=utf-8"),), value.encode())
    if isinstance(value, bytes):
        return FrozenResponse(200, (("Content-Type", "application/octet-stream"),), value)
    kind = type(value).__name__
    raise FaultError(f"expected a response (werkzeug Response, dict/list for JSON, str or bytes), got {kind}")


def as_responder(value: ResponseLike | None) -> Responder:
    """A responder from ``value``: callables are used as they are, anything else is frozen."""
    if callable(value) and not isinstance(value, Response):
        return value
    frozen = freeze(value)
    return lambda request: frozen.build()


class Fault:
    """Base of every fault: a responder (``fault(request) -> Response``) with a description.

    Register one with ``expect_request(...).respond_with_fault(fault)`` on a harness mock, or with
    pytest-httpserver's own ``respond_with_handler(fault)``.
    """

    description = "fault"

    def __call__(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<fault {self.description}>"
