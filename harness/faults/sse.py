"""Server-sent events, framed as OpenAI clients expect, with faults placeable mid-stream.

``Content-Type: text/event-stream``, chunked transfer encoding, one chunk per event, each event
``data: <json>\\n\\n`` (plus optional ``event:``/``id:``/``retry:`` lines). Markers in the event list
(:data:`RESET`, :data:`CLOSE`, :data:`STALL`, :data:`BAD_CHUNK`, :func:`pause`) break or slow the
stream exactly where they stand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from harness.faults import wire
from harness.faults.base import Fault, FaultError, non_negative_seconds, require, require_not_misused
from harness.faults.connection import GARBAGE

#: The terminator OpenAI streams end with (``data: [DONE]``).
DONE = "[DONE]"


@dataclass(frozen=True)
class Marker:
    """A place in a stream where something happens instead of an event."""

    name: str
    steps: tuple[wire.Step, ...]

    @property
    def ends_stream(self) -> bool:
        return any(isinstance(step, (wire.Reset, wire.Close, wire.Stall)) for step in self.steps)


#: Abort the connection with an RST here.
RESET = Marker("reset", (wire.Reset(),))
#: Close the connection here, without the final chunk (the client sees a cut-off stream).
CLOSE = Marker("close", (wire.Close(),))
#: Send nothing more until the test ends (the client's read timeout fires).
STALL = Marker("stall", (wire.Stall(),))
#: Send garbage where the next chunk size belongs, then close (a malformed chunk mid-stream).
BAD_CHUNK = Marker("malformed chunk", (wire.Write(GARBAGE + b"\r\n"), wire.Close()))


def pause(seconds: float) -> Marker:
    """Wait ``seconds`` at this point of the stream."""
    return Marker(f"pause {seconds:g} s", (wire.Sleep(non_negative_seconds("pause", seconds)),))


@dataclass(frozen=True)
class SSEEvent:
    """One event: ``data`` (a dict or list is sent as JSON) and the optional SSE fields."""

    data: object
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def encode(self) -> bytes:
        lines = []
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        text = self.data if isinstance(self.data, str) else json.dumps(self.data, separators=(",", ":"))
        lines += [f"data: {line}" for line in text.split("\n")]
        return ("\n".join(lines) + "\n\n").encode()


EventLike = SSEEvent | dict[str, object] | list[object] | str | bytes | Marker
EventSource = Iterable[EventLike] | Callable[[], Iterable[EventLike]]


def encode(item: SSEEvent | dict[str, object] | list[object] | str | bytes) -> bytes:
    """The bytes of one event; ``bytes`` are sent as they are (an escape hatch for odd framing)."""
    if isinstance(item, bytes):
        return item
    return (item if isinstance(item, SSEEvent) else SSEEvent(item)).encode()


def _as_marker(item: object) -> Marker | None:
    require_not_misused(item, "a stream event", in_stream=True)  # faults.reset for faults.reset()
    if isinstance(item, Marker):
        return item
    if isinstance(item, Fault):  # connection faults read naturally in a stream too
        steps = getattr(item, "_steps", None)
        if (
            isinstance(steps, tuple)
            and steps
            and all(isinstance(s, (wire.Reset, wire.Close, wire.Stall)) for s in steps)
        ):
            return Marker(item.description, steps)
        raise FaultError(
            f"{item.description} cannot stand inside a stream; use RESET, CLOSE, STALL or BAD_CHUNK"
        )
    return None


class _Stream(Fault):
    def __init__(
        self,
        events: EventSource,
        *,
        delay: float,
        status: int,
        headers: dict[str, str],
        after_events: int | None,
        then: Marker,
    ) -> None:
        self.events = events
        self.delay = delay
        self.status = status
        self.headers = headers
        self.after_events = after_events
        self.then = then
        broken = f", {then.name} after {after_events} events" if after_events is not None else ""
        self.description = f"event stream{broken}"

    def _source(self) -> Iterable[EventLike]:
        return self.events() if callable(self.events) else self.events

    def steps(self) -> Iterator[wire.Step]:
        response = Response(status=self.status, headers=self.headers)
        yield wire.Write(wire.head(response, chunked=True))
        sent = 0
        for item in self._source():
            if sent == self.after_events:
                yield from self.then.steps
                return
            marker = _as_marker(item)
            if marker is not None:
                yield from marker.steps
                if marker.ends_stream:
                    return
                continue
            if self.delay:
                yield wire.Sleep(self.delay)
            assert not isinstance(item, Marker)  # markers were handled just above
            yield wire.Write(wire.chunk(encode(item)))
            sent += 1
        if sent == self.after_events:
            yield from self.then.steps
            return
        yield wire.Write(wire.LAST_CHUNK)

    def __call__(self, request: Request) -> Response:
        return wire.take_over(request, self.description, self.steps(), self.status)


def sse(
    events: EventSource,
    *,
    delay: float = 0.0,
    status: int = 200,
    headers: dict[str, str] | None = None,
    after_events: int | None = None,
    then: Marker | Fault = RESET,
) -> Fault:
    """Stream ``events`` as server-sent events.

    ``events`` is a list (replayed for every request), a callable returning a fresh iterable per
    request, or an iterator (consumed by the first request). Items are :class:`SSEEvent`, dicts
    or lists (JSON ``data``), strings (``data`` as is, e.g. :data:`DONE`), or markers. ``delay``
    waits before each event; ``after_events=N`` applies ``then`` (default :data:`RESET`) once N
    events are out.
    """
    require_not_misused(events, "sse(events)", in_stream=True)
    require_not_misused(then, "sse(then)", in_stream=True)
    gap = non_negative_seconds("delay", delay)
    if after_events is not None:
        ok = isinstance(after_events, int) and not isinstance(after_events, bool) and after_events >= 0
        require(ok, f"after_events must be a whole number >= 0, got {after_events!r}")
        if isinstance(events, (list, tuple)):
            count = sum(1 for item in events if _as_marker(item) is None)
            require(
                after_events <= count, f"after_events={after_events} but the stream has only {count} events"
            )
    ending = _as_marker(then)
    if ending is None:
        raise FaultError(f"then must be RESET, CLOSE, STALL or BAD_CHUNK, got {then!r}")
    if isinstance(events, (list, tuple)):
        for item in events:
            if _as_marker(item) is None and not isinstance(item, (SSEEvent, dict, list, str, bytes)):
                raise FaultError(
                    f"a stream event must be an SSEEvent, dict, list, str or bytes, got {item!r}"
                )
    merged = {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        **(headers or {}),
    }
    return _Stream(events, delay=gap, status=status, headers=merged, after_events=after_events, then=ending)
