"""Connection-level faults: WireMock's four, plus a hang.

Each matches WireMock 3's effect on the wire (see docs/faults.md): none sends the expectation's
status, headers or body.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from harness.faults import wire
from harness.faults.base import Fault

#: The bytes WireMock sends for MALFORMED_RESPONSE_CHUNK and RANDOM_DATA_THEN_CLOSE.
GARBAGE = b"lskdu018973t09sylgasjkfg1][]'./.sdlv"


class _Connection(Fault):
    def __init__(self, description: str, *steps: wire.Step, status: int | None = None) -> None:
        self.description = description
        self._steps = steps
        self._status = status

    def __call__(self, request: Request) -> Response:
        return wire.take_over(request, self.description, self._steps, self._status)


def reset() -> Fault:
    """Abort the connection with a TCP RST, sending nothing (WireMock CONNECTION_RESET_BY_PEER).

    Clients see "connection reset by peer": requests ``ConnectionError`` (``ConnectionResetError``
    inside), httpx ``ReadError``, curl exit 56.
    """
    return _Connection("connection reset", wire.Reset())


def empty_response() -> Fault:
    """Close the connection normally without sending anything (WireMock EMPTY_RESPONSE).

    Clients see the server hang up: ``RemoteDisconnected``, httpx ``RemoteProtocolError``, curl 52.
    """
    return _Connection("empty response", wire.Close())


def malformed_chunk() -> Fault:
    """``200`` with chunked encoding, then garbage where a chunk size belongs, then close
    (WireMock MALFORMED_RESPONSE_CHUNK). requests: ``ChunkedEncodingError``."""
    head = wire.head(Response(status=200, content_type="application/octet-stream"), chunked=True)
    return _Connection(
        "malformed response chunk", wire.Write(head), wire.Write(GARBAGE), wire.Close(), status=200
    )


def random_data_then_close() -> Fault:
    """Garbage instead of a status line, then close (WireMock RANDOM_DATA_THEN_CLOSE).

    requests: ``ConnectionError`` (``BadStatusLine``); curl 1 or 8 (not HTTP).
    """
    return _Connection("random data then close", wire.Write(GARBAGE), wire.Close())


def hang() -> Fault:
    """Read the request and never answer. The client's read timeout fires; the connection is
    released (closed) when the test ends, so no thread or socket outlives it."""
    return _Connection("hang (no answer)", wire.Stall())
