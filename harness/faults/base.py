"""What every fault shares: the responder type, response coercion, argument checks."""

from __future__ import annotations

import inspect
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


#: The route fault that does what a stream marker does, for the hint when a marker is used as one.
_ROUTE_FAULT_OF_MARKER = {
    "RESET": "reset()",
    "CLOSE": "empty_response()",
    "STALL": "hang()",
    "BAD_CHUNK": "malformed_chunk()",
}


def misuse_hint(value: object, *, in_stream: bool = False) -> str | None:
    """What is wrong when ``value`` stands where a fault belongs but is one of harness.faults' names
    misused: a fault *factory* not called (``faults.reset`` for ``faults.reset()``), or (unless
    ``in_stream``, where markers belong) a stream marker (``faults.RESET``) where a response or a
    fault is needed. ``None`` for anything else."""
    from harness import faults  # noqa: PLC0415  # the package imports this module

    if inspect.isfunction(value) and _is_public(faults, value):
        name = value.__name__
        required = [
            parameter.name
            for parameter in inspect.signature(value).parameters.values()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ]
        return f"faults.{name} is a function: call it, faults.{name}({', '.join(required)})"
    if not in_stream and isinstance(value, faults.Marker):
        constant = next((c for c in _ROUTE_FAULT_OF_MARKER if getattr(faults, c) is value), None)
        if constant is None:  # faults.pause(...)
            return (
                f"the stream marker {value.name!r} stands only among the events of a stream "
                "(respond_with_sse([..., faults.pause(seconds), ...])); where a response or a fault is "
                "expected, use faults.delay(seconds, response)"
            )
        return (
            f"faults.{constant} is a stream marker: it stands among the events of a stream "
            f"(respond_with_sse([..., faults.{constant}]), faults.sse(..., then=faults.{constant})); where "
            f"a response or a fault is expected, use the fault faults.{_ROUTE_FAULT_OF_MARKER[constant]}"
        )
    return None


def _is_public(package: object, function: Callable[..., object]) -> bool:
    """True if ``function`` is the package's own public name (``faults.reset``, not a look-alike)."""
    return getattr(package, function.__name__, None) is function


def require_not_misused(value: object, where: str, *, in_stream: bool = False) -> None:
    """Raise :class:`FaultError` (``where: <hint>``) if :func:`misuse_hint` has one for ``value``."""
    hint = misuse_hint(value, in_stream=in_stream)
    if hint is not None:
        raise FaultError(f"{where}: {hint}")


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


def freeze(
    value: Response | dict[str, object] | list[object] | str | bytes | None, where: str = "a response"
) -> FrozenResponse:
    """A concrete response from ``value`` (None: an empty 200); ``where`` names it in errors."""
    require_not_misused(value, where)
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


def as_responder(value: ResponseLike | None, where: str = "a response") -> Responder:
    """A responder from ``value``: callables are used as they are, anything else is frozen. A fault
    factory not called (``faults.reset``) or a stream marker is refused, naming ``where``."""
    require_not_misused(value, where)
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
