"""How a mock writes its answers: HTTP/1.1 keep-alive, and an answer in one write.

werkzeug answers every request with ``Connection: close``, because http.server cannot tell where a
request body it did not read ends. A client that keeps its connections (the openai SDK's httpx,
requests' ``Session``, Node's and Go's agents) then pays a new connection per call, and over TLS a
handshake per call. A mock reads every request whole before it answers
(:func:`harness.mocks.hardening.read_body`), so it knows where the next request begins, and keeps
the connection when all of these hold:

* the client keeps it: HTTP/1.1 without ``Connection: close``, or HTTP/1.0 with
  ``Connection: keep-alive`` (answered with the same header);
* the request was read whole (:meth:`KeepAliveHandler.request_read_whole`): never after a refused
  or cut-off request;
* the answer says where it ends: a ``Content-Length`` (the body sent must match it, or the
  connection ends after it), a ``HEAD``, a 1xx, 204 or 304. A streamed answer without a length
  (Server-Sent Events) and every wire-level fault still end the connection, as a real server's
  would;
* the service is not stopping: :meth:`harness.mocks.pool.PooledWSGIServer.server_close` ends the
  connections that wait for a next request, so a service that goes down (``go_down``,
  ``refusing_connections``) or stops is seen as down by pooled connections too.

A kept connection waits for its next request as long as the client keeps it open, with no idle
timeout of its own: a server that closes an idle connection races a client that has just sent a
request on it, and the client sees a reset that no test asked for.

:meth:`KeepAliveHandler.run_wsgi` replaces werkzeug's. Besides keep-alive it writes the head and a
body that comes in one piece in one write (werkzeug: a write for the head, one per body piece; over
TLS each is a record of its own), and it leaves out werkzeug's "drain" after each answer, which
created, polled and closed an epoll object per request to discard what the client sent on (here the
request has been read whole, and what follows is the next request). After an error once the head
is out it ends the connection instead of appending a 500 page to a body already begun.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.debug.tbtools import DebugTraceback
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import WSGIRequestHandler, connection_dropped_errors

#: Statuses whose answer never has a body (RFC 9110 6.4.1), so the framing is known without a length.
_BODILESS_STATUSES = frozenset({204, 304})

WSGIApp = Callable[[dict[str, Any], Callable[..., Callable[[bytes], None]]], Iterable[bytes]]


class _Answer:
    """One answer being written: the WSGI ``start_response`` and ``write`` of one request."""

    def __init__(self, handler: KeepAliveHandler) -> None:
        self.handler = handler
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.head_sent = False
        self.chunked = False
        self.kept = False
        self.declared: int | None = None
        self.body_sent = 0

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("Headers already set")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        assert self.status is not None, "write() before start_response"
        assert isinstance(data, bytes), "applications must write bytes"
        if not self.head_sent:
            payload = self._head()
            self.head_sent = True
            if data:
                payload += self._framed(data)
            self._send(payload, len(data))
        elif data:
            self._send(self._framed(data), len(data))

    def finish(self) -> None:
        """The app's answer has ended: write what ends it on the wire."""
        if not self.head_sent:
            self.write(b"")
        if self.chunked:
            self.handler.wfile.write(b"0\r\n\r\n")

    def _framed(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    def _send(self, payload: bytes, body_bytes: int) -> None:
        handler = self.handler
        if self.kept and self.declared is not None and self.body_sent + body_bytes >= self.declared:
            # Set before the last bytes go: whoever has the whole answer sees it set (server_close).
            handler.finishing = True
        self.body_sent += body_bytes
        handler.wfile.write(payload)

    def _head(self) -> bytes:
        handler = self.handler
        assert self.status is not None
        if handler.request_version == "HTTP/0.9":  # a bare body, ended by closing the connection
            return b""
        code_text, _, _ = self.status.partition(" ")
        code = int(code_text)
        names = set()
        lines = [
            f"{handler.protocol_version} {self.status}",
            f"Server: {handler.version_string()}",
            f"Date: {_http_date()}",
        ]
        for name, value in self.headers:
            lowered = name.lower()
            names.add(lowered)
            if lowered == "content-length" and value.strip().isdigit():
                self.declared = int(value)
            lines.append(f"{name}: {value}")
        bodiless = (
            handler.command == "HEAD" or 100 <= code < 200 or code in _BODILESS_STATUSES or self.declared == 0
        )
        if bodiless:
            self.declared = 0
        elif "content-length" not in names and handler.protocol_version >= "HTTP/1.1":
            self.chunked = True
            lines.append("Transfer-Encoding: chunked")
        self.kept = handler.may_keep(framed=self.declared is not None and not self.chunked)
        if not self.kept:
            lines.append("Connection: close")
        elif handler.request_version == "HTTP/1.0":  # 1.0 keeps a connection only when told so
            lines.append("Connection: keep-alive")
        if self.kept and bodiless:
            handler.finishing = True  # the head is the whole answer
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def sent_as_declared(self) -> bool:
        return self.declared is None or self.body_sent == self.declared


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's handler that keeps a connection for the next request when it safely can."""

    #: The last bytes of an answer after which the connection is kept are being written (set
    #: before the write, so whoever has the answer whole sees it set).
    finishing = False

    def request_read_whole(self) -> bool:
        """Whether the current request has been read to its last byte (the next byte on the
        connection would begin the next request). A subclass that knows says so; by default no."""
        return False

    def service_stopping(self) -> bool:
        """Whether the server is closing, so this connection must not wait for another request."""
        return bool(getattr(self.server, "stopping", False))

    def may_keep(self, *, framed: bool) -> bool:
        """Whether the connection may be kept after an answer (``framed``: whose end the client
        can tell without the connection ending)."""
        return (
            framed
            and not self.close_connection  # the client ends it (http.server read its request's headers)
            and not self.service_stopping()
            and self.request_read_whole()
        )

    def handle_one_request(self) -> None:
        self.finishing = False  # the previous answer is out: this connection waits, or reads
        super().handle_one_request()

    def run_wsgi(self) -> None:
        # An "Expect: 100-continue" was answered by http.server's parse_request already (werkzeug
        # answers it a second time).
        self.environ = environ = self.make_environ()
        answer = _Answer(self)
        try:
            self._execute(self.server.app, environ, answer)
        except connection_dropped_errors as error:
            self.connection_dropped(error, environ)
            self.close_connection = True
        except Exception as error:
            if self.server.passthrough_errors:
                raise
            self.close_connection = True
            if not answer.head_sent:  # a 500 can still be the answer
                answer = _Answer(self)
                with contextlib.suppress(Exception):
                    self._execute(InternalServerError(), environ, answer)
            self.server.log("error", f"Error on request:\n{DebugTraceback(error).render_traceback_text()}")
        if not answer.kept or not answer.sent_as_declared():
            self.close_connection = True  # a client would wait for bytes that never come

    @staticmethod
    def _execute(app: Any, environ: dict[str, Any], answer: _Answer) -> None:
        body = app(environ, answer.start_response)
        try:
            for data in body:
                answer.write(data)
            answer.finish()
        finally:
            if hasattr(body, "close"):
                body.close()


#: (second, Date header value): formatting a date costs more than the rest of a small head.
_last_date = (-1, "")


def _http_date() -> str:
    """The Date header's value, formatted once per second (a tuple: threads swap it whole)."""
    global _last_date  # noqa: PLW0603 - a cache of one value
    now = int(time.time())
    second, text = _last_date
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _last_date = (now, text)
    return text
