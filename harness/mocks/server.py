"""``MockService``: one pytest-httpserver server per configured downstream service.

It *is* a ``pytest_httpserver.HTTPServer``, so ``expect_request(...).respond_with_...`` works as
users know it. What it adds:

* threaded serving, so a slow handler never blocks other requests (the stock server serialises
  them and answers HTTP/1.0);
* no werkzeug access log on the console: every request goes to the :class:`Journal` instead;
* a fast stop (the stock server polls for shutdown every 0.5 s) that also closes the socket;
* per-test isolation: :meth:`begin_test` marks the expectations registered so far as the
  baseline, :meth:`end_test` drops what the test added and forgets its requests;
* a request the client never finished sending (the connection ended inside its headers or body)
  is answered 400 and listed in ``rejected_requests``, never answered or journaled as made;
* bounded requests: a body (or a declared chunk) over ``max_body_bytes`` is answered 413 before
  it is read, a request not sent whole within ``request_timeout`` 408, and the connection closed,
  so no client can make a mock spend unbounded memory or CPU (see :class:`RequestLimits`);
* faults (:mod:`harness.faults`): its request handler performs wire-level faults on the raw
  connection, and every delay or stall a test caused is released when that test ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from copy import copy
from http import HTTPStatus
from ssl import SSLContext
from typing import Any

from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import HandlerType, HTTPServerError, RequestHandler, RequestMatcher
from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError
from harness.faults import wire
from harness.faults.base import Fault, FaultError, misuse_hint, require_not_misused
from harness.faults.sse import EventSource, sse
from harness.mocks import verify
from harness.mocks.journal import Journal, JournalEntry, RequestHeaders
from harness.mocks.nearmiss import describe_matcher, near_miss
from harness.mocks.pool import PooledWSGIServer
from harness.secrets import mask_text
from harness.simulators.base import Simulator

#: How often the serving loop checks for a stop request; bounds how long :meth:`stop` takes.
SHUTDOWN_POLL_SECONDS = 0.01

_UNMATCHED = "harness.unmatched"
_EXPECTATION = "harness.expectation"
_NEAR_MISS = "harness.near_miss"
_FAULT = "harness.fault"
#: Attribute of the werkzeug server through which its handlers report failed TLS handshakes.
_TLS_ERROR_SINK = "harness_tls_error"
#: ... and requests the HTTP layer rejected before any expectation saw them (malformed, truncated).
_REJECTION_SINK = "harness_rejected_request"
#: How much of a rejected request line a report quotes.
_QUOTED_LINE_CHARS = 120

#: Said of a handshake the client refused: the certificate's CA is not one it trusts.
UNTRUSTED_HINT = (
    "the client does not trust the run's CA; fix: make the app's HTTP stack read one of "
    "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS (harness sets them all), "
    "or pass it Harness.ca_bundle; the JVM needs a trust store (docs/tls.md)"
)


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


class _Rejected(Exception):
    """A request the mock refuses while reading it: answered ``status`` with ``why``, never
    dispatched. Deliberately not an OSError: werkzeug's body reader would take that for a client
    that disconnected."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


def _too_slow(seconds: float) -> _Rejected:
    return _Rejected(
        HTTPStatus.REQUEST_TIMEOUT,
        f"the request was not sent whole within this service's request_timeout ({seconds:g} s)",
    )


def _too_large(what: str, limit: int) -> _Rejected:
    return _Rejected(
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

    def arm(self) -> None:
        """The request has begun (its request line was read): start its deadline if not yet."""
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout

    def finish(self) -> None:
        """The request has been read whole (or refused): the input ends here, and the answer is
        written without a timeout, as before."""
        self.deadline = None
        self.ended = True
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
                raise _Rejected(
                    HTTPStatus.BAD_REQUEST,
                    "the request body could not be read: Missing chunk terminating newline",
                )
        return data

    def _line(self) -> bytes:
        line: bytes = self._rfile.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise _Rejected(
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
            raise _Rejected(
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
        raise _Rejected(
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


def _describe_rejection(code: int, message: str | None, explain: str | None, request_line: str) -> str:
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


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler without the access log (the journal records requests), which also
    performs wire-level faults: a fault raises :class:`~harness.faults.wire.WireTakeover` from the
    app, past werkzeug, and the connection is handed to the fault's plan here."""

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
        self.rfile = io.BufferedReader(self.reader, io.DEFAULT_BUFFER_SIZE)

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
            record(_describe_rejection(code, message, explain, getattr(self, "requestline", "")))
        self.reader.finish()  # the answer is written without the request's (maybe spent) deadline
        super().send_error(code, message, explain)

    def handle_one_request(self) -> None:
        # Not the previous request's line: a rejection before this one's is parsed quotes none.
        self.requestline = ""
        self.reader.begin()
        try:
            super().handle_one_request()
        except _Rejected as rejected:  # out of time inside the request line or headers
            self.close_connection = True
            if not self.requestline:  # nothing parsed yet, but send_error reads these
                self.request_version = self.command = ""
            with contextlib.suppress(OSError):
                self.send_error(rejected.status, None, rejected.why)

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


class _TrackedRequestHandler(RequestHandler):
    """Records on the request which expectation answered it, for the journal; adds
    :meth:`respond_with_fault` and :meth:`respond_with_sse`."""

    def respond(self, request: Request) -> Response:
        # Described once: it is the same for every request this answers.
        described = self.__dict__.get("_harness_described")
        if described is None:
            described = self.__dict__["_harness_described"] = describe_matcher(self.matcher)
        request.environ[_EXPECTATION] = described
        if isinstance(self.request_handler, Fault):  # e.g. throttle(): answered with a response
            request.environ[_FAULT] = self.request_handler.description
        return super().respond(request)

    def respond_with_fault(self, fault: Fault) -> None:
        """Answer with a fault from :mod:`harness.faults` (or any responder built from them)."""
        if not isinstance(fault, Fault):
            hint = misuse_hint(fault)  # faults.reset for faults.reset(), or faults.RESET
            raise FaultError(
                f"respond_with_fault: {hint}"
                if hint
                else f"respond_with_fault takes a fault from harness.faults, got {type(fault).__name__}; "
                "use respond_with_json/respond_with_data/respond_with_handler for plain responses"
            )
        self.respond_with_handler(fault)

    def respond_with_handler(self, func: Callable[[Request], Response]) -> None:
        """pytest-httpserver's own call; a fault factory not called (``faults.reset``) is refused."""
        require_not_misused(func, "respond_with_handler")
        super().respond_with_handler(func)

    def respond_with_sse(self, events: EventSource, **options: Any) -> None:
        """Answer with a server-sent event stream: ``faults.sse(events, **options)``."""
        self.respond_with_handler(sse(events, **options))


def _stand_in(status: int | None, what: str | None) -> Response:
    """What pytest-httpserver's ``log`` holds for a request answered by a fault or a raising
    handler (no real response exists), so ``assert_request_made`` still counts the request."""
    return Response(b"", status=status or 502, headers={"X-Harness-Not-Sent": what or "no response"})


class MockService(HTTPServer):
    """A named, threaded, journaled pytest-httpserver server bound to 127.0.0.1."""

    def __init__(
        self,
        name: str,
        *,
        strict: bool = True,
        host: str = "127.0.0.1",
        ssl_context: SSLContext | None = None,
        simulator: Simulator | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        try:
            limits = RequestLimits(max_body_bytes, request_timeout)
        except HarnessError as error:
            raise HarnessError(f"mock service {name!r}: {error}") from None
        super().__init__(host, 0, ssl_context, threaded=True)
        self.name = name
        self.strict = strict
        #: What one request may cost this service; see :class:`RequestLimits`.
        self.limits = limits
        #: Answers what no expectation matches, as the real service would (None: plain mock).
        self.simulator = simulator
        if simulator is not None:
            simulator.service_name = name
        self.journal = Journal()
        # Set when the current test ends (or the service stops): wakes every delay and stall.
        self._release = threading.Event()
        self._refusing = False
        self._baseline: tuple[list[RequestHandler], list[RequestHandler], list[RequestHandler]] | None = None
        self._tls_errors: list[str] = []
        self._rejected: list[str] = []

    def __repr__(self) -> str:
        return f"<MockService {self.name} {self.url if self.is_running() else '(stopped)'}>"

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:40123``."""
        return f"{self.scheme}://{self.format_host(self.host)}:{self.port}"

    def template_values(self) -> dict[str, str]:
        """Values of this service's ``{url}``, ``{host}`` and ``{port}`` placeholders."""
        return {"url": self.url, "host": self.host, "port": str(self.port)}

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind an ephemeral port on the host and serve in a daemon thread."""
        if self.is_running():
            raise HTTPServerError("Server is already running")
        try:
            self.server = PooledWSGIServer(
                self.host,
                self.port,
                Request.application(self.application),
                QuietRequestHandler,
                ssl_context=self.ssl_context,
            )
        except (OSError, SystemExit) as error:  # werkzeug exits on a taken port instead of raising
            raise HarnessError(
                f"mock service {self.name!r} could not listen on {self.host}:{self.port}: {error}"
            ) from None
        self.port = self.server.port
        if self.ssl_context is not None:
            # werkzeug wraps the listening socket, so by default the TLS handshake runs inside
            # accept(), in the one serving thread: a client that connects and never handshakes
            # would block every other connection (and stop()). Deferred, the handshake happens on
            # the first read, in that connection's own thread.
            self.server.socket.do_handshake_on_connect = False  # type: ignore[attr-defined]
            setattr(self.server, _TLS_ERROR_SINK, self._tls_errors.append)
        setattr(self.server, _REJECTION_SINK, self._rejected.append)
        setattr(self.server, _LIMITS, self.limits)
        self.server_thread = threading.Thread(
            target=self.thread_target, name=f"harness-mock-{self.name}", daemon=True
        )
        self.server_thread.start()

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)

    def stop(self) -> None:
        """Stop serving and close the listening socket (the stock ``stop`` leaves it open);
        stalled and delayed connections are released first."""
        self._release.set()
        self._release = threading.Event()
        if self._refusing and self.server is None:
            self._refusing = False
            return
        server = self.server
        super().stop()
        if server is not None:
            server.server_close()

    @contextlib.contextmanager
    def refusing_connections(self) -> Iterator[None]:
        """Within the block nothing listens on the service's port, so connections are refused
        (the service is down); afterwards it serves again on the same port and URL. A test that
        leaves the block early still gets the service back at its end."""
        self.go_down()
        try:
            yield
        finally:
            self.come_up()

    def go_down(self) -> None:
        """Stop listening (connections are refused) but keep the port for :meth:`come_up`."""
        if self._refusing:
            return
        self.stop()
        self._refusing = True

    def come_up(self) -> None:
        """Listen again on the same port after :meth:`go_down`."""
        if not self._refusing:
            return
        self._refusing = False
        self.start()

    # -- requests ----------------------------------------------------------------------------------

    def expect(
        self, matcher: RequestMatcher, handler_type: HandlerType = HandlerType.PERMANENT
    ) -> RequestHandler:
        request_handler = _TrackedRequestHandler(matcher)
        if handler_type == HandlerType.PERMANENT:
            self.handlers.append(request_handler)
        elif handler_type == HandlerType.ONESHOT:
            self.oneshot_handlers.append(request_handler)
        elif handler_type == HandlerType.ORDERED:
            self.ordered_handlers.append(request_handler)
        return request_handler

    def expect_request(self, *args: Any, **kwargs: Any) -> RequestHandler:
        # pytest-httpserver's expect_request (and the oneshot/ordered variants, which call it) builds
        # a plain RequestHandler instead of going through expect(): make it a tracked one, so the
        # journal names the expectation that answered.
        request_handler = super().expect_request(*args, **kwargs)
        request_handler.__class__ = _TrackedRequestHandler
        return request_handler

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        # The simulator is the fallback: expectations the test primed win over its defaults. Not
        # after an ordered expectation was missed: that mode fails every request, by design.
        if self.simulator is not None and not self.permanently_failed:
            # Named first, so a wire fault (or a bug) the simulator raises is journaled as its.
            request.environ[_EXPECTATION] = self.simulator.describe(request)
            response = self.simulator.handle(request)
            if response is not None:
                # Again now that it answered: a simulator may say how (primed, throttled, ...).
                request.environ[_EXPECTATION] = self.simulator.describe(request)
                return response
            del request.environ[_EXPECTATION]
            return self._simulator_not_found(request)
        request.environ[_UNMATCHED] = True
        handlers = [*self.ordered_handlers[:1], *self.oneshot_handlers, *self.handlers]
        request.environ[_NEAR_MISS] = near_miss(handlers, request) or "no expectation is registered"
        return super().respond_nohandler(request, extra_message)

    def _simulator_not_found(self, request: Request) -> Response:
        # A path the simulated service does not have: unmatched (a strict service fails the test,
        # since the app calls something nobody simulates), answered with the service's own 404.
        assert self.simulator is not None
        request.environ[_UNMATCHED] = True
        handlers = [*self.ordered_handlers[:1], *self.oneshot_handlers, *self.handlers]
        request.environ[_NEAR_MISS] = near_miss(handlers, request) or (
            f"the {self.simulator.kind} simulator has no route {request.method} {request.path}"
        )
        super().respond_nohandler(request)  # records the no-handler assertion, as for any miss
        return self.simulator.not_found(request)

    def respond_permanent_failure(self) -> Response:
        # pytest-httpserver gives no request here; the journal marks the outcome from the status.
        response = super().respond_permanent_failure()
        response.headers["X-Harness-Unmatched"] = "permanent-failure"
        return response

    @property
    def max_body_bytes(self) -> int:
        """The largest request body (or declared chunk) this service reads; more is answered 413."""
        return self.limits.max_body_bytes

    @property
    def request_timeout(self) -> float:
        """Seconds a client gets to send one whole request; past them it is answered 408."""
        return self.limits.request_timeout

    def application(self, request: Request) -> Response:
        environ = request.environ
        # werkzeug's Request and its environ refer to each other ("werkzeug.request", read only by
        # its debugger): with that cycle a request and its body (50 MB, say) outlive the journal
        # and the log until a full garbage collection; without it they go when those forget them.
        environ.pop("werkzeug.request", None)
        environ[wire.RELEASE_KEY] = self._release
        started_wall = time.time()
        started = time.perf_counter()
        try:
            request.get_data()
        except ClientDisconnected:
            return self._reject(request, TRUNCATED_BODY)
        except _Rejected as rejected:  # too large, too slow, or broken chunked framing
            return self._reject(request, rejected.why, rejected.status)
        except OSError as error:  # the connection failed while the body was read (a reset, say)
            return self._reject(request, f"the request body could not be read: {error}")
        finally:
            # Read whole (or refused): the input ends here (see _RequestReader), and the answer and
            # the handler's delays run without the request's deadline.
            reader = environ.get(_READER)
            if reader is not None:
                reader.finish()
        # Entered on arrival, so a test sees a request its mock is still delaying or stalling.
        arrival = self._entry(request, started_wall, started, pending=True)
        token = self.journal.open(arrival)
        try:
            response = self.dispatch(request)
        except wire.WireTakeover as takeover:
            plan = takeover.plan
            entry = self._entry(
                request, started_wall, started, status=plan.status, fault=plan.description, arrived=arrival
            )
            self._complete(token, request, entry, _stand_in(plan.status, plan.description))
            raise
        except BaseException as error:
            failure = f"{type(error).__name__}: {error}"
            entry = self._entry(request, started_wall, started, error=failure, arrived=arrival)
            self._complete(token, request, entry, _stand_in(500, entry.error))
            raise
        fault = request.environ.get(_FAULT)
        entry = self._entry(request, started_wall, started, response=response, fault=fault, arrived=arrival)
        self._complete(token, request, entry, response)
        return response

    def _reject(self, request: Request, why: str, status: int = HTTPStatus.BAD_REQUEST) -> Response:
        """A request whose body never arrived whole (or was refused): the app did not make it, so
        it is not journaled and no expectation answers it; the failure report says what happened.
        The connection is closed after the answer, so what is left of the body is never read as a
        next request: werkzeug 3 closes every connection after its answer (tested)."""
        environ = request.environ
        line = (
            f"{request.method} {environ.get('RAW_URI') or request.path} {environ.get('SERVER_PROTOCOL', '')}"
        )
        self._rejected.append(_describe_rejection(status, None, why, line.rstrip()))
        return Response(f"harness mock {self.name!r}: {why}\n", status=status, mimetype="text/plain")

    def _complete(
        self, token: tuple[int, int], request: Request, entry: JournalEntry, response: Response
    ) -> None:
        # A request that outlived its test (cleared since) is no business of the next test's.
        if self.journal.close(token, entry):
            self.log.append((request, response))

    def _entry(
        self,
        request: Request,
        started_wall: float,
        started: float,
        *,
        response: Response | None = None,
        status: int | None = 500,
        error: str | None = None,
        fault: str | None = None,
        pending: bool = False,
        arrived: JournalEntry | None = None,
    ) -> JournalEntry:
        unmatched = bool(request.environ.get(_UNMATCHED)) or (
            response is not None and "X-Harness-Unmatched" in response.headers
        )
        outcome = {
            "status": None if pending else (status if response is None else response.status_code),
            "matched": pending or not unmatched,
            "expectation": request.environ.get(_EXPECTATION),
            "duration": time.perf_counter() - started,
            "error": error,
            "fault": fault,
            "pending": pending,
            "near_miss": request.environ.get(_NEAR_MISS),
        }
        if arrived is not None:
            # What the request *was* is already in its arrival entry (reading werkzeug's headers
            # again costs more than the rest of a quick answer).
            return dataclasses.replace(arrived, **outcome)  # type: ignore[arg-type]
        return JournalEntry(
            method=request.method,
            path=request.path,
            query_string=request.query_string.decode("latin-1"),
            headers=RequestHeaders(request.headers.items()),
            body=request.get_data(),
            started=started_wall,
            **outcome,  # type: ignore[arg-type]
        )

    # -- verification (see harness.mocks.verify) ------------------------------------------------------

    def assert_called(self, *args: Any, **criteria: Any) -> list[JournalEntry]:
        """Assert a request matched ``criteria`` (or exactly ``times=n``); return the matches.
        See :func:`harness.mocks.verify.assert_called`."""
        __tracebackhide__ = True
        return verify.assert_called(self, *args, **criteria)

    def assert_not_called(self, *args: Any, **criteria: Any) -> None:
        """Assert no request matched ``criteria``. See :func:`harness.mocks.verify.assert_not_called`."""
        __tracebackhide__ = True
        verify.assert_not_called(self, *args, **criteria)

    def assert_called_in_order(self, *calls: Any, strict: bool = False) -> list[JournalEntry]:
        """Assert requests matching ``calls`` arrived in that order.
        See :func:`harness.mocks.verify.assert_called_in_order`."""
        __tracebackhide__ = True
        return verify.assert_called_in_order(self, *calls, strict=strict)

    @property
    def requests(self) -> list[JournalEntry]:
        """Every request received since the current test began (or since start)."""
        return self.journal.entries()

    @property
    def tls_errors(self) -> list[str]:
        """TLS errors since the current test began, as the ssl module described them: mostly failed
        handshakes (an ``unknown ca`` alert: the client does not trust the run's CA)."""
        return list(self._tls_errors)

    @property
    def rejected_requests(self) -> list[str]:
        """Requests the HTTP layer answered with an error itself, since the current test began,
        before any expectation (or the journal) saw them: a malformed request line or header, a
        connection that ended half-way through the headers or body, a body that cannot be read,
        conflicting or invalid Content-Lengths, a body over ``max_body_bytes`` (413), a request
        not sent whole within ``request_timeout`` (408). One description each, e.g.
        ``400 Bad Request (the connection ended inside ...), request line 'POST /x HTTP/1.1'``."""
        return list(self._rejected)

    def unmatched_requests(self) -> list[JournalEntry]:
        """Requests that no expectation matched, since the current test began."""
        return self.journal.unmatched()

    # -- per-test isolation ------------------------------------------------------------------------

    def begin_test(self) -> None:
        """Freeze the current expectations as the baseline and start a fresh request record."""
        self._baseline = (list(self.ordered_handlers), list(self.oneshot_handlers), list(self.handlers))
        if self.simulator is not None:
            self.simulator.begin_test()
        self._forget_requests()

    def end_test(self) -> None:
        """Restore the baseline expectations (dropping the test's own) and forget its requests."""
        if self._baseline is not None:
            ordered, oneshot, permanent = self._baseline
            self.ordered_handlers = list(ordered)
            self.oneshot_handlers = copy(self.oneshot_handlers)
            self.oneshot_handlers[:] = oneshot
            self.handlers = copy(self.handlers)
            self.handlers[:] = permanent
            self._baseline = None
        self.permanently_failed = False
        if self.simulator is not None:
            self.simulator.end_test()
        self.come_up()  # a test that took the service down does not leave it down
        self._forget_requests()

    def _forget_requests(self) -> None:
        self._release.set()  # the test is over: free its stalled and delayed connections
        self._release = threading.Event()
        self.journal.clear()
        self._tls_errors.clear()
        self._rejected.clear()
        self.clear_log()
        self.clear_assertions()
        self.clear_handler_errors()

    def describe_requests(self) -> str:
        """The journal, one request a line, then any rejected requests and TLS errors (for failure
        reports)."""
        lines = [entry.describe() for entry in self.journal.entries()]
        lines += [
            f"rejected before any expectation saw it: {mask_text(rejected)}"
            for rejected in self.rejected_requests
        ]
        for error in self.tls_errors:
            untrusted = "unknown ca" in error.lower() or "certificate unknown" in error.lower()
            hint = f"\n  {UNTRUSTED_HINT}" if untrusted else ""
            lines.append(f"TLS error (no request was read): {error}{hint}")
        return "\n".join(lines) or "(no requests)"

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - guards accidental pickling
        raise TypeError("MockService cannot be pickled (it owns a live server thread)")
