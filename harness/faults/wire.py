"""Performing a response byte by byte on the raw connection, past werkzeug.

A wire-level fault cannot be expressed as a WSGI response: werkzeug would always finish it
properly. So the fault's handler raises :class:`WireTakeover` (a ``BaseException``, so neither
pytest-httpserver nor werkzeug swallows it); the mock's request handler catches it and runs its
:class:`Plan` -- a lazy sequence of steps -- on the socket itself.

Socket facts this relies on (verified on Linux, see docs/faults.md): an RST needs SO_LINGER(1, 0)
and the descriptor closed *before* socketserver's own shutdown (which would send a FIN first); the
descriptor only really closes once the handler's read and write files are closed too.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

from werkzeug.wrappers import Request, Response

from harness.faults.base import FaultError

#: environ key under which the mock puts the current test's release event.
RELEASE_KEY = "harness.release"

#: How long a stall may last at most if nothing releases it (a safety net, not a timing).
MAX_STALL_SECONDS = 3600.0


# -- steps ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    data: bytes


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` (released early, and the plan abandoned, at the test's end)."""

    seconds: float


@dataclass(frozen=True)
class Stall:
    """Wait until the test ends (or the mock stops), then close."""


@dataclass(frozen=True)
class Reset:
    """Abort the connection: the client sees a TCP RST (ECONNRESET)."""


@dataclass(frozen=True)
class Close:
    """Close the connection normally: the client sees end-of-file (a FIN)."""


Step = Write | Sleep | Stall | Reset | Close


@dataclass
class Plan:
    """What to do on the wire: ``steps`` run in order; a plan that does not end in Reset or Close
    ends with a normal close. ``status`` is what the journal reports (None: no status line sent)."""

    description: str
    steps: Iterable[Step]
    status: int | None = None
    release: threading.Event | None = field(default=None, repr=False)


class WireTakeover(BaseException):
    """Raised by a fault's handler to hand the connection over to :func:`perform`."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.description)
        self.plan = plan


def release_event(request: Request) -> threading.Event:
    """The event that is set when the current test ends (a fresh, never-set one outside a mock)."""
    event = request.environ.get(RELEASE_KEY)
    return event if isinstance(event, threading.Event) else threading.Event()


def take_over(
    request: Request, description: str, steps: Iterable[Step], status: int | None = None
) -> Response:
    """Raise :class:`WireTakeover` for ``steps``; typed as returning so handlers can ``return`` it."""
    if RELEASE_KEY not in request.environ:
        # Only a harness mock catches the takeover; anywhere else the BaseException would kill the
        # serving thread (a stock pytest-httpserver server would stop answering altogether).
        raise FaultError(
            f"the fault {description!r} acts on the connection and needs a harness MockService; "
            "a plain pytest-httpserver server cannot perform it"
        )
    raise WireTakeover(Plan(description, steps, status, release_event(request)))


# -- HTTP framing -----------------------------------------------------------------------------------


def status_line(status: int) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")


def head(
    response: Response,
    *,
    content_length: int | None = None,
    chunked: bool = False,
    extra: Mapping[str, str] | None = None,
) -> bytes:
    """Status line and headers of ``response`` as werkzeug would send them (Connection: close).

    ``content_length`` None and not ``chunked`` means the body ends when the connection closes.
    """
    lines = [status_line(response.status_code)]
    skip = {"content-length", "transfer-encoding", "connection", "date", "server"}
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in skip]
    headers += [("Server", "harness"), ("Date", formatdate(usegmt=True)), ("Connection", "close")]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    elif content_length is not None:
        headers.append(("Content-Length", str(content_length)))
    headers += list((extra or {}).items())
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers]
    return b"".join(lines) + b"\r\n"


def chunk(data: bytes) -> bytes:
    """One chunk of chunked transfer encoding."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


# -- performing a plan ------------------------------------------------------------------------------


def _close_files(handler: object) -> None:
    # The request's read and write files hold references to the socket: until they are closed,
    # closing the socket does not close the descriptor (and so sends neither FIN nor RST).
    for name in ("rfile", "wfile"):
        stream = getattr(handler, name, None)
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def reset(handler: object, connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close_files(handler)
    with contextlib.suppress(OSError):
        connection.close()


def close(handler: object, connection: socket.socket) -> None:
    _close_files(handler)
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        connection.close()


def perform(plan: Plan, handler: object, connection: socket.socket) -> None:
    """Run ``plan`` on ``connection``; a client that went away just ends it early."""
    release = plan.release or threading.Event()
    ending: Callable[[object, socket.socket], None] = close
    try:
        for step in plan.steps:
            if isinstance(step, Write):
                connection.sendall(step.data)
            elif isinstance(step, Sleep):
                if release.wait(min(step.seconds, MAX_STALL_SECONDS)):
                    break  # the test is over: stop dribbling, just close
            elif isinstance(step, Stall):
                release.wait(MAX_STALL_SECONDS)
                break
            elif isinstance(step, Reset):
                ending = reset
                break
            elif isinstance(step, Close):
                break
    except OSError:
        ending = close  # the client is gone; nothing more to say
    ending(handler, connection)
