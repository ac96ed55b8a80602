"""The werkzeug HTTP layer of a mock, hardened: what happens to a request before any expectation
(or the journal) sees it.

werkzeug's and http.server's request reading trusts the client: a declared chunk size, a
Content-Length, a connection that ends half-way, a client that trickles a byte a second. Here:

* :class:`RequestLimits`: a body (or a declared chunk) over ``max_body_bytes`` is answered 413
  before it is read, a request not sent whole within ``request_timeout`` 408;
* :class:`_RequestReader` (the deadline reader) reads the connection against the current request's
  deadline, and ends the input once the request has been read, so werkzeug's "drain" never hangs;
* :class:`_HeaderEndReader` tells headers that ended with their blank line from a connection that
  died inside them (answered 400, never taken for a complete request);
* :class:`_ChunkedBody` decodes ``Transfer-Encoding: chunked`` bodies within the limits;
* rejections are reported to the service (``rejected_requests``), described by
  :func:`describe_rejection`, as are failed TLS handshakes;
* :class:`QuietRequestHandler` wires all of this into werkzeug's request handler, without the
  access log, and hands a connection to a wire-level fault's plan (:mod:`harness.faults.wire`).

The service attaches itself with :func:`attach`, and reads each request's body with
:func:`read_body`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request

from harness.errors import HarnessError
from harness.faults import wire
from harness.mocks.keepalive import KeepAliveHandler

#: Attribute of the werkzeug server through which its handlers report failed TLS handshakes.
_TLS_ERROR_SINK = "harness_tls_error"
#: In what a TLS connection that ended without a request is recorded as: the client said nothing.
SILENT_TLS_CLOSE = "without a TLS alert"
SILENT_TLS_CLOSE_ERROR = (
    f"the client closed the connection {SILENT_TLS_CLOSE} and before any request "
    "(in or right after the TLS handshake)"
)
#: ... and requests the HTTP layer rejected before any expectation saw them (malformed, truncated).
_REJECTION_SINK = "harness_rejected_request"
#: How much of a rejected request line a report quotes.
_QUOTED_LINE_CHARS = 120

#: Why a request was answered 400 without reaching any expectation (see ``rejected_requests``).
TRUNCATED_HEADERS = (
    "the connection ended inside the request line or headers, before the blank line that ends them"
)
TRUNCATED_BODY = "the connection ended inside the request body, before its Content-Length or last chunk"
CONFLICTING_LENGTHS = "Content-Length is given more than once, with different values"

#: Default ``max_body_bytes``: the largest request body (or declared chunk) a mock reads.
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
#: Default ``request_timeout``: seconds a client gets to send one whole request.
DEFAULT_REQUEST_TIMEOUT = 30.0
#: Longest ``request_timeout`` accepted (a day, as the configuration's other timeouts).
MAX_REQUEST_TIMEOUT = 86400.0
#: Fixed limits of the HTTP layer: http.server's own (414 for a longer request line, 431 for a
#: longer header line or more header lines, as it reads them), used here too for chunk lines and
#: trailers.
MAX_LINE_BYTES = 65536
MAX_HEADERS = 100
#: The most of a chunk read in one go, so memory follows the bytes that arrived, not the size a
#: client declared.
_READ_PIECE = 1024 * 1024
_HEX = re.compile(rb"[0-9A-Fa-f]+")
#: How long a stopping service waits for a kept connection whose answer's last bytes are being
#: written to begin waiting for its next request (then it ends it anyway).
FINISH_GRACE_SECONDS = 1.0
#: Where a request's environ carries its connection's :class:`_RequestReader`.
_READER = "harness.reader"
#: Attribute of the werkzeug server through which its handlers get the service's limits.
_LIMITS = "harness_limits"


@dataclasses.dataclass(frozen=True)
class RequestLimits:
    """What one request may cost a mock (``[tool.harness.services.<name>]`` keys of the same names).

    ``max_body_bytes``: a larger Content-Length, chunk or chunked body is answered 413 before it
    is read. ``request_timeout``: seconds from a request's first byte until its last (request
    line, headers and body); past it the request is answered 408. Either way the connection is
    closed, and the request is listed in ``rejected_requests``. A connection that is open but
    silent has not begun a request: the time before the first byte does not count.
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    def __post_init__(self) -> None:
        size, seconds = self.max_body_bytes, self.request_timeout
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise HarnessError(f"max_body_bytes must be a positive integer number of bytes, got {size!r}")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not 0 < seconds <= MAX_REQUEST_TIMEOUT  # also refuses NaN
        ):
            raise HarnessError(
                f"request_timeout must be a positive number of seconds (at most {MAX_REQUEST_TIMEOUT:g}), "
                f"got {seconds!r}"
            )


class Rejected(Exception):
    """A request the mock refuses while reading it: answered ``status`` with ``why``, never
    dispatched. Deliberately not an OSError: werkzeug's body reader would take that for a client
    that disconnected."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


def _too_slow(seconds: float) -> Rejected:
    return Rejected(
        HTTPStatus.REQUEST_TIMEOUT,
        f"the request was not sent whole within this service's request_timeout ({seconds:g} s)",
    )


def _too_large(what: str, limit: int) -> Rejected:
    return Rejected(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{what} is over this service's max_body_bytes ({limit})"
    )


class _RequestReader(io.RawIOBase):
    """The connection's raw input, read against the deadline of the request being received.

    A deadline is armed by the request's first byte (or, for a request already buffered, when
    its request line has been read) and disarmed once the request has been read whole, before the
    answer is written. Each read in between waits at most until the deadline (a socket timeout of
    the time left), so a client that trickles a byte at a time still runs out of time. Before a
    request's first byte the connection may idle, blocking and without a timeout, as before.

    Once the request has been read whole (or refused), the input has ended until the next request
    begins: werkzeug closes every connection after its answer, but first "drains" the socket with
    blocking reads of 10 MB, up to 10 GB, without a timeout. That would read on, unbounded, what a
    refused client keeps sending (the rest of a huge body, a trickle), and hang on a client that
    sent more than one request and waits; ended, the drain stops at once and the connection closes.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, timeout: float) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self.timeout = timeout
        #: ``time.monotonic()`` by which the current request must have arrived; None between requests.
        self.deadline: float | None = None
        #: The current request has been read (or refused): reads return end of input.
        self.ended = False
        #: The current request has been read to its last byte (not refused, not cut off).
        self.whole = False
        #: Set while no byte of a request has come: the connection idles between requests.
        self.idle = threading.Event()
        self.idle.set()
        self._timed = False  # the socket has a timeout set (it is blocking otherwise)

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def readinto(self, buffer: Any) -> int | None:
        deadline = self.deadline
        if deadline is None:
            if self.ended:
                return 0
            if self._timed:
                self._untime()
            read = self._raw.readinto(buffer)
            if read:
                self.deadline = time.monotonic() + self.timeout
                self.idle.clear()
            return read
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow(self.timeout)
        self._sock.settimeout(remaining)
        self._timed = True
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            raise _too_slow(self.timeout) from None

    def begin(self) -> None:
        """A new request may come: wait for its first byte, without a deadline until then."""
        self.deadline = None
        self.ended = False
        self.whole = False
        self.idle.set()

    def arm(self) -> None:
        """The request has begun (its request line was read): start its deadline if not yet."""
        self.idle.clear()
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout

    def finish(self, *, whole: bool = False) -> None:
        """The request has been read (``whole``: to its last byte) or refused: the input ends here,
        and the answer is written without a timeout, as before."""
        self.deadline = None
        self.ended = True
        self.whole = whole
        if self._timed:
            self._untime()

    def _untime(self) -> None:
        self._timed = False
        with contextlib.suppress(OSError):
            self._sock.settimeout(None)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # releases the socket, as closing the handler's rfile always did
        super().close()


class _ChunkedBody(io.RawIOBase):
    """A ``Transfer-Encoding: chunked`` request body, read in place of werkzeug's ``DechunkedInput``.

    werkzeug's reader believes any declared chunk size: if the connection ends inside a large
    chunk it loops forever, its buffer growing by gigabytes (one ~80-byte request was enough).
    Here a chunk (or the body so far) over ``limit`` is refused with 413 before its data is read,
    a chunk is read at most a MiB at a time, and the end of the connection inside the body raises
    ``ClientDisconnected`` (a 400 "cut off" rejection). Chunk extensions are ignored; trailer
    fields are read (bounded as header lines are) and dropped.
    """

    def __init__(self, rfile: Any, limit: int) -> None:
        super().__init__()
        self._rfile = rfile
        self._limit = limit
        self._left = 0  # bytes of the current chunk not read yet
        self._total = 0  # bytes of every chunk declared so far
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._left and not self._done:
            self._next_chunk()
        if self._done:
            return 0
        wanted = min(len(buffer), self._left)
        data = self._piece(wanted)
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        pieces = []
        while not self._done:
            if self._left:
                pieces.append(self._piece(min(self._left, _READ_PIECE)))
            else:
                self._next_chunk()
        return b"".join(pieces)

    def _piece(self, size: int) -> bytes:
        data: bytes = self._rfile.read(size)
        if len(data) < size:
            raise ClientDisconnected()
        self._left -= size
        if not self._left:
            ending = self._rfile.readline(2)
            if ending in (b"", b"\r"):
                raise ClientDisconnected()
            if ending not in (b"\r\n", b"\n"):
                raise Rejected(
                    HTTPStatus.BAD_REQUEST,
                    "the request body could not be read: Missing chunk terminating newline",
                )
        return data

    def _line(self) -> bytes:
        line: bytes = self._rfile.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise Rejected(
                HTTPStatus.BAD_REQUEST,
                f"the request body could not be read: a chunk line is over {MAX_LINE_BYTES} bytes",
            )
        if not line.endswith(b"\n"):
            raise ClientDisconnected()
        return line

    def _next_chunk(self) -> None:
        line = self._line()
        size_field = line.split(b";", 1)[0].strip(b" \t\r\n")
        if not _HEX.fullmatch(size_field):
            raise Rejected(
                HTTPStatus.BAD_REQUEST,
                f"the request body could not be read: Invalid chunk header {line[:40]!r}",
            )
        digits = size_field.lstrip(b"0")
        # More than sixteen hex digits exceed any limit: int() need not parse a 64 KiB number.
        if len(digits) > 16 or self._total + int(digits or b"0", 16) > self._limit:
            declared = f"a chunk of 0x{digits[:20].decode()}{'...' if len(digits) > 20 else ''} bytes"
            after = f" after {self._total} bytes of body" if self._total else ""
            raise _too_large(declared + after, self._limit)
        if digits:
            self._left = int(digits, 16)
            self._total += self._left
            return
        for _ in range(MAX_HEADERS + 1):  # the trailer section, up to its blank line
            if self._line() in (b"\r\n", b"\n"):
                self._done = True
                return
        raise Rejected(
            HTTPStatus.BAD_REQUEST,
            f"the request body could not be read: more than {MAX_HEADERS} trailer lines",
        )


def _content_length_problem(values: list[str], limit: int) -> tuple[int, str] | None:
    """What is wrong with a request's Content-Length header(s), if anything: (status, why)."""
    value = values[0].strip()
    if len(values) > 1 and any(other.strip() != value for other in values[1:]):
        return HTTPStatus.BAD_REQUEST, CONFLICTING_LENGTHS  # which one frames the body? (RFC 9112 6.3)
    # Digits only (RFC 9110 8.6): werkzeug would read "-5" or "lots" as 0, and what the client
    # sent as a body would be taken for the next request.
    if not (value.isascii() and value.isdigit()):
        shown = value[:40] + ("..." if len(value) > 40 else "")
        return HTTPStatus.BAD_REQUEST, f"Content-Length {shown!r} is not a number of bytes"
    if len(value) > 20 or int(value) > limit:  # 20 digits: beyond any limit (and int()'s cap)
        shown = value if len(value) <= 24 else f"{value[:20]}... ({len(value)} digits)"
        rejected = _too_large(f"Content-Length {shown}", limit)
        return rejected.status, rejected.why
    return None


class _HeaderEndReader:
    """Stands in for ``rfile`` while http.server reads the headers, and notes whether they ended
    with the blank line. http.server takes end of input for the end of the headers, so without
    this a client that died half-way through ``Content-Le`` would be answered, and journaled, as
    having made a complete request."""

    __slots__ = ("_readline", "complete")

    def __init__(self, rfile: Any) -> None:
        self._readline = rfile.readline
        self.complete = False

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self._readline(limit)
        if line in {b"\r\n", b"\n"}:
            self.complete = True
        return line


def describe_rejection(code: int, message: str | None, explain: str | None, request_line: str) -> str:
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    described = f"{code} {message or phrase}"
    if explain:
        described += f" ({explain})"
    if request_line:
        quoted = request_line[:_QUOTED_LINE_CHARS] + ("..." if len(request_line) > _QUOTED_LINE_CHARS else "")
        described += f", request line {quoted!r}"
    return described


class QuietRequestHandler(KeepAliveHandler):
    """werkzeug's handler without the access log (the journal records requests), keeping
    connections alive (:mod:`harness.mocks.keepalive`), which also performs wire-level faults: a
    fault raises :class:`~harness.faults.wire.WireTakeover` from the app, past werkzeug, and the
    connection is handed to the fault's plan here."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def setup(self) -> None:
        # werkzeug sends a response in several small writes (status and headers, then the body;
        # over TLS each becomes its own record). With Nagle's algorithm on, the second waits for
        # the client's delayed ACK: ~40 ms per TLS request on Linux, instead of ~2 ms.
        with contextlib.suppress(OSError):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()
        self.limits: RequestLimits = getattr(self.server, _LIMITS, None) or RequestLimits()
        # Every read of the request (line, headers, body) goes through the deadline reader; the
        # socket's own raw file is kept underneath it, so closing rfile releases the socket as before.
        self.reader = _RequestReader(self.rfile.detach(), self.connection, self.limits.request_timeout)
        #: Whether a request has begun on this connection (its first byte came).
        self.request_seen = False
        self.rfile = io.BufferedReader(self.reader, io.DEFAULT_BUFFER_SIZE)
        track = getattr(self.server, "track_connection", None)
        if track is not None:
            track(self)

    def finish(self) -> None:
        untrack = getattr(self.server, "untrack_connection", None)
        if untrack is not None:
            untrack(self)
        self.reader.idle.set()  # the connection ends: nobody waits for it to idle
        super().finish()

    def request_read_whole(self) -> bool:
        return self.reader.whole

    def close_if_waiting(self) -> None:
        """The service stops: end the connection if it waits for a request (none has begun), so
        a client that kept it sees the service down at once. One whose answer is being finished
        is given a moment to finish it (the client may have it already); one inside a request is
        answered, then ends (:meth:`service_stopping`)."""
        if self.finishing:
            self.reader.idle.wait(FINISH_GRACE_SECONDS)
        if self.reader.idle.is_set():
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def log_error(self, format: str, *args: Any) -> None:
        # werkzeug logs a failed TLS handshake (a client that does not trust the run's CA) on the
        # console, where nobody connects it to the test; the service keeps it for the report.
        record = getattr(self.server, _TLS_ERROR_SINK, None)
        if record is not None and format.startswith("SSL error"):
            record(str(args[0]) if args else format)
            return
        if format.startswith("code %d") and getattr(self.server, _REJECTION_SINK, None) is not None:
            return  # send_error's own log line: send_error below has recorded the rejection
        super().log_error(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server answers a request it cannot parse itself, before the app (and so the
        # journal) sees it; the service keeps what was wrong for the failure report.
        record = getattr(self.server, _REJECTION_SINK, None)
        if record is not None:
            record(describe_rejection(code, message, explain, getattr(self, "requestline", "")))
        self.reader.finish()  # the answer is written without the request's (maybe spent) deadline
        super().send_error(code, message, explain)

    def handle_one_request(self) -> None:
        # Not the previous request's line: a rejection before this one's is parsed quotes none.
        self.requestline = ""
        self.raw_requestline = b""
        self.reader.begin()
        if self.service_stopping():  # a kept connection, and the service went down meanwhile
            self.close_connection = True
            return
        try:
            super().handle_one_request()
        except Rejected as rejected:  # out of time inside the request line or headers
            self.close_connection = True
            if not self.requestline:  # nothing parsed yet, but send_error reads these
                self.request_version = self.command = ""
            with contextlib.suppress(OSError):
                self.send_error(rejected.status, None, rejected.why)
        except ConnectionError:
            self._note_silent_tls_close()
            raise
        if self.raw_requestline:
            self.request_seen = True
        else:
            self._note_silent_tls_close()

    def _note_silent_tls_close(self) -> None:
        """A TLS connection that ended before its first request, without a TLS alert, is kept as a
        TLS error: a client that rejects the certificate may just close the connection (async
        httpx does), and without this nothing would show that it came at all."""
        record = getattr(self.server, _TLS_ERROR_SINK, None)
        if record is None or self.request_seen or self.service_stopping():
            return  # (a stopping service ends the connections that wait: not the client's doing)
        self.request_seen = True  # recorded once per connection
        # Not told apart: "during" and "right after" the handshake. In TLS 1.3 a client that hangs
        # up at once after its Finished message can end the server's handshake too (its session
        # tickets are never delivered), so the server cannot say which it was.
        record(SILENT_TLS_CLOSE_ERROR)

    def make_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().make_environ()
        environ[_READER] = self.reader
        if "wsgi.input_terminated" in environ:  # chunked: werkzeug's reader is unbounded
            environ["wsgi.input"] = _ChunkedBody(self.rfile, self.limits.max_body_bytes)
        return environ

    def parse_request(self) -> bool:
        self.reader.arm()  # the request line is in: a request that came buffered has begun too
        rfile = self.rfile
        reader = _HeaderEndReader(rfile)
        self.rfile = reader  # type: ignore[assignment]  # only readline() is used on it
        try:
            parsed = super().parse_request()
        finally:
            self.rfile = rfile
        if not parsed:
            return False
        # HTTP/0.9 has no headers: its request line alone is the request.
        line_complete = self.raw_requestline.endswith(b"\n")
        status: int = HTTPStatus.BAD_REQUEST
        if not line_complete or (not reader.complete and self.request_version != "HTTP/0.9"):
            problem = TRUNCATED_HEADERS
        else:
            lengths = self.headers.get_all("Content-Length")
            if lengths is None:
                return True
            # Checked before a byte of the body is read: a 413 costs nothing.
            found = _content_length_problem(lengths, self.limits.max_body_bytes)
            if found is None:
                return True
            status, problem = found
        self.close_connection = True
        # A half-closed client may still read the answer; one that is gone never sees it.
        self.send_error(status, None, problem)
        return False

    def handle(self) -> None:
        try:
            super().handle()
        except wire.WireTakeover as takeover:
            self.close_connection = True
            wire.perform(takeover.plan, self, self.connection)


def attach(
    server: BaseWSGIServer,
    limits: RequestLimits,
    rejected: Callable[[str], None],
    tls_errors: Callable[[str], None] | None = None,
) -> None:
    """Make ``server``'s handlers (:class:`QuietRequestHandler`) apply ``limits`` and report each
    rejected request, and each failed TLS handshake if ``tls_errors`` is given, as one line."""
    setattr(server, _LIMITS, limits)
    setattr(server, _REJECTION_SINK, rejected)
    if tls_errors is not None:
        setattr(server, _TLS_ERROR_SINK, tls_errors)


def read_body(request: Request) -> Rejected | None:
    """Read ``request``'s body whole, within the service's limits; return what refused it, if
    anything (too large, too slow, cut off, broken chunked framing, a failed connection). Either
    way the input ends here (see :class:`_RequestReader`): the answer, and the handler's delays,
    run without the request's deadline."""
    reader = request.environ.get(_READER)
    try:
        request.get_data()
    except ClientDisconnected:
        return Rejected(HTTPStatus.BAD_REQUEST, TRUNCATED_BODY)
    except Rejected as rejected:
        return rejected
    except OSError as error:  # the connection failed while the body was read (a reset, say)
        return Rejected(HTTPStatus.BAD_REQUEST, f"the request body could not be read: {error}")
    finally:
        if reader is not None:
            reader.finish()
    if reader is not None:
        reader.finish(whole=True)  # the next byte on the connection begins the next request
    return None


def describe_rejected(request: Request, rejected: Rejected) -> str:
    """A request refused once its headers were read, for ``rejected_requests``."""
    environ = request.environ
    line = f"{request.method} {environ.get('RAW_URI') or request.path} {environ.get('SERVER_PROTOCOL', '')}"
    return describe_rejection(rejected.status, None, rejected.why, line.rstrip())
