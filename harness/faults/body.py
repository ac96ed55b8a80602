"""Faults that send (part of) a real response: stalls, truncation, dribbling, slow links."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Literal

from werkzeug.wrappers import Request, Response

from harness.faults import wire
from harness.faults.base import Fault, FaultError, FrozenResponse, freeze, non_negative_seconds, require

Then = Literal["close", "reset", "stall"]
_ENDINGS: dict[str, wire.Step] = {"close": wire.Close(), "reset": wire.Reset(), "stall": wire.Stall()}

BodyLike = Response | dict[str, object] | list[object] | str | bytes | None


class _BodyFault(Fault):
    def __init__(self, description: str, response: FrozenResponse) -> None:
        self.description = description
        self.response = response

    def steps(self) -> Iterator[wire.Step]:  # pragma: no cover - abstract
        raise NotImplementedError

    def head(self, *, content_length: int | None = -1) -> wire.Write:
        length = len(self.response.body) if content_length == -1 else content_length
        return wire.Write(wire.head(self.response.build(), content_length=length))

    def __call__(self, request: Request) -> Response:
        return wire.take_over(request, self.description, self.steps(), self.response.status)


def _ending(then: str) -> wire.Step:
    if then not in _ENDINGS:
        raise FaultError(f"then must be one of {', '.join(_ENDINGS)}, got {then!r}")
    return _ENDINGS[then]


class _StallAfterHeaders(_BodyFault):
    def steps(self) -> Iterator[wire.Step]:
        yield self.head()
        yield wire.Stall()


def stall_after_headers(response: BodyLike = None) -> Fault:
    """Send the status line and headers, then nothing until the test ends."""
    return _StallAfterHeaders("headers then stall", freeze(response, "stall_after_headers(response)"))


class _AfterBytes(_BodyFault):
    def __init__(self, description: str, response: FrozenResponse, count: int, ending: wire.Step) -> None:
        super().__init__(description, response)
        self.count = count
        self.ending = ending

    def steps(self) -> Iterator[wire.Step]:
        yield self.head()  # Content-Length promises the whole body
        yield wire.Write(self.response.body[: self.count])
        yield self.ending


def after_bytes(count: int, response: BodyLike = None, then: Then = "close") -> Fault:
    """Send the headers (with the full Content-Length) and the first ``count`` body bytes, then
    ``"close"`` (the client sees a short body), ``"reset"`` or ``"stall"``."""
    frozen = freeze(response, "after_bytes(response)")
    ending = _ending(then)
    size = len(frozen.body)
    require(
        isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= size,
        f"after_bytes count must be an integer from 0 to the body's {size} bytes, got {count!r}",
    )
    return _AfterBytes(f"{then} after {count} of {size} body bytes", frozen, count, ending)


def truncate(response: BodyLike, at: int) -> Fault:
    """Promise the whole body in Content-Length, send only ``at`` bytes, then close.

    Clients see an incomplete read: ``IncompleteRead`` / requests ``ChunkedEncodingError``,
    httpx ``RemoteProtocolError``, curl 18.
    """
    frozen = freeze(response, "truncate(response)")
    size = len(frozen.body)
    require(
        isinstance(at, int) and not isinstance(at, bool) and 0 <= at < size,
        f"truncate at must be an integer from 0 to {size - 1} (the body has {size} bytes), got {at!r}",
    )
    return _AfterBytes(f"truncated to {at} of {size} bytes", frozen, at, wire.Close())


class _Dribble(_BodyFault):
    def __init__(self, description: str, response: FrozenResponse, chunks: int, over: float) -> None:
        super().__init__(description, response)
        self.chunks = chunks
        self.over = over

    def steps(self) -> Iterator[wire.Step]:
        yield self.head()
        body = self.response.body
        size = len(body)
        pause = self.over / self.chunks
        for index in range(self.chunks):
            yield wire.Sleep(pause)
            yield wire.Write(body[index * size // self.chunks : (index + 1) * size // self.chunks])


def dribble(response: BodyLike, chunks: int, over: float) -> Fault:
    """Send the body in ``chunks`` pieces spread over ``over`` seconds (a pause before each)."""
    frozen = freeze(response, "dribble(response)")
    size = len(frozen.body)
    require(
        isinstance(chunks, int) and not isinstance(chunks, bool) and 1 <= chunks <= max(size, 1),
        f"dribble chunks must be an integer from 1 to the body's {size} bytes, got {chunks!r}",
    )
    seconds = non_negative_seconds("dribble over", over)
    return _Dribble(f"body in {chunks} pieces over {seconds:g} s", frozen, chunks, seconds)


class _Bandwidth(_BodyFault):
    def __init__(self, description: str, response: FrozenResponse, rate: float) -> None:
        super().__init__(description, response)
        self.rate = rate

    def steps(self) -> Iterator[wire.Step]:
        yield self.head()
        body = self.response.body
        piece = max(1, int(self.rate // 20))  # about 20 writes a second
        for start in range(0, len(body), piece):
            data = body[start : start + piece]
            yield wire.Write(data)
            yield wire.Sleep(len(data) / self.rate)


def bandwidth(response: BodyLike, bytes_per_second: float) -> Fault:
    """Send the body no faster than ``bytes_per_second``."""
    ok = isinstance(bytes_per_second, (int, float)) and not isinstance(bytes_per_second, bool)
    ok = ok and math.isfinite(bytes_per_second) and bytes_per_second > 0
    require(ok, f"bytes_per_second must be a finite number > 0, got {bytes_per_second!r}")
    return _Bandwidth(
        f"limited to {bytes_per_second:g} B/s",
        freeze(response, "bandwidth(response)"),
        float(bytes_per_second),
    )


class _SlowClose(_BodyFault):
    def __init__(self, description: str, response: FrozenResponse, seconds: float) -> None:
        super().__init__(description, response)
        self.seconds = seconds

    def steps(self) -> Iterator[wire.Step]:
        yield self.head(content_length=None)  # the body ends when the connection closes
        yield wire.Write(self.response.body)
        yield wire.Sleep(self.seconds)
        yield wire.Close()


def slow_close(response: BodyLike, seconds: float) -> Fault:
    """Send the whole body without a Content-Length, then wait ``seconds`` before closing, so a
    client reading to end-of-file only finishes when the server finally hangs up."""
    pause = non_negative_seconds("slow_close seconds", seconds)
    return _SlowClose(f"slow close after {pause:g} s", freeze(response, "slow_close(response)"), pause)
