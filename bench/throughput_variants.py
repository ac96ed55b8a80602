"""Experimental MockService variants for bench/throughput.py (``--only KIND``): each removes or
replaces one cost, so its share of a request is measured rather than guessed. Investigation only:
none of this is harness code, and none of it is used by the tests.

- ``harness-nothread``: MockService serving one connection at a time in the serving thread (no
  thread per connection; a slow handler would block every other request: not an option as such,
  it bounds what removing thread creation can gain);
- ``harness-nojournal``: MockService with pytest-httpserver's own ``application`` (no journal entry,
  no expectation name): bounds what a cheaper journal can gain;
- ``harness-pool``: the proposed fix: MockService whose connections are accepted by a pool of
  waiting threads, each handling the connection it accepted (no thread start per request, no
  hand-off); the pool grows whenever no thread is left waiting, so a slow handler still never
  blocks another request, and shrinks back to a few idle threads;
- ``harness-lazy``: the other proposed fix: the journal keeps the request and response on arrival
  and completion (cheap) and builds the ``JournalEntry`` only when the entries are read;
- ``harness-pool-lazy``: both;
- ``harness-buffered``: the third: a buffered ``wfile`` in the request handler, so headers and body
  leave in one ``send()`` (werkzeug flushes after every write, so streaming is unchanged);
- ``harness-pool-buffered``, ``harness-all3``: the pool with the buffered handler; all three.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from harness.mocks import MockService
from harness.mocks.server import QuietRequestHandler


class _Http11Handler(QuietRequestHandler):
    protocol_version = "HTTP/1.1"  # what the threaded server gets; the non-threaded one stays 1.0


class _BufferedHandler(_Http11Handler):
    # socketserver's default (0) makes wfile unbuffered: werkzeug's status line and headers go out
    # in one send() and the body in another. Buffered, werkzeug's flush() after each write sends
    # them together (and still sends every streamed chunk at once).
    wbufsize = io.DEFAULT_BUFFER_SIZE


class BufferedMock(MockService):
    def start(self) -> None:
        super().start()
        assert self.server is not None
        self.server.RequestHandlerClass = _BufferedHandler


class NoThreadMock(MockService):
    def start(self) -> None:
        self.server = make_server(
            self.host,
            self.port,
            Request.application(self.application),
            threaded=False,
            request_handler=_Http11Handler,
        )
        self.port = self.server.port
        self.server_thread = threading.Thread(target=self.thread_target, daemon=True)
        self.server_thread.start()


class NoJournalMock(MockService):
    def application(self, request: Request) -> Response:
        return HTTPServer.application(self, request)


class AcceptPool:
    """Threads that each block in ``accept()`` on the listening socket and handle what they get.

    The kernel wakes one waiting thread per connection. A thread that accepts while no other is
    left waiting starts one more first, so there is always someone accepting; after its request a
    thread exits if more than ``max_idle`` are already waiting.
    """

    def __init__(self, server: Any, min_idle: int = 2, max_idle: int = 8) -> None:
        self.server = server
        self.min_idle = min_idle
        self.max_idle = max_idle
        self.lock = threading.Lock()
        self.waiting = 0
        self.stopping = False
        self.threads: set[threading.Thread] = set()

    def start(self) -> None:
        self.server.socket.settimeout(None)
        for _ in range(self.min_idle):
            self._spawn()

    def _spawn(self) -> None:
        thread = threading.Thread(target=self._work, name="harness-mock-worker", daemon=True)
        with self.lock:
            self.threads.add(thread)
            self.waiting += 1  # counted from now: it is about to wait in accept()
        thread.start()

    def _work(self) -> None:
        server = self.server
        listening = server.socket
        try:
            while not self.stopping:
                try:
                    connection, address = listening.accept()
                except OSError:
                    with self.lock:
                        self.waiting -= 1
                    return  # the socket was shut down: stopping
                with self.lock:
                    self.waiting -= 1
                    grow = self.waiting == 0
                if grow:
                    self._spawn()
                try:
                    server.finish_request(connection, address)
                except Exception:
                    server.handle_error(connection, address)
                finally:
                    server.shutdown_request(connection)
                with self.lock:
                    if self.waiting >= self.max_idle:
                        return
                    self.waiting += 1
        finally:
            with self.lock:
                self.threads.discard(threading.current_thread())

    def stop(self) -> None:
        self.stopping = True
        with contextlib.suppress(OSError):  # wakes every thread blocked in accept()
            self.server.socket.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 5
        for thread in list(self.threads):
            thread.join(max(0.0, deadline - time.monotonic()))


class PoolMock(MockService):
    pool: AcceptPool | None = None

    def start(self) -> None:
        self.server = make_server(
            self.host,
            self.port,
            Request.application(self.application),
            threaded=False,
            request_handler=_Http11Handler,
        )
        self.server.multithread = True  # what the WSGI environ says
        self.port = self.server.port
        self.pool = AcceptPool(self.server)
        self.pool.start()

    def is_running(self) -> bool:
        return self.pool is not None

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool = None
        if self.server is not None:
            self.server.server_close()
            self.server = None


class _LazyRecord:
    """What the journal keeps per request until someone reads it."""

    __slots__ = ("duration", "request", "response", "started", "started_wall")

    def __init__(self, request: Request, started_wall: float, started: float) -> None:
        self.request = request
        self.response: Response | None = None
        self.started_wall = started_wall
        self.started = started
        self.duration = 0.0


class LazyJournalMock(MockService):
    """Keeps (request, response) records; the JournalEntry objects are built in ``entries()``.
    Only the plain path (a matched or unmatched answer) is lazy here; faults and raising handlers
    keep MockService's own path."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._records: list[_LazyRecord] = []
        self._records_lock = threading.Lock()

    def application(self, request: Request) -> Response:
        request.environ.pop("werkzeug.request", None)
        record = _LazyRecord(request, time.time(), time.perf_counter())
        request.get_data()
        with self._records_lock:
            self._records.append(record)
        response = self.dispatch(request)
        record.duration = time.perf_counter() - record.started
        record.response = response
        self.log.append((request, response))
        return response

    def _forget_requests(self) -> None:
        super()._forget_requests()
        with self._records_lock:
            self._records = []

    @property
    def requests(self) -> list[Any]:
        with self._records_lock:
            records = list(self._records)
        entries = []
        for record in records:
            entry = self._entry(
                record.request,
                record.started_wall,
                record.started,
                response=record.response,
                pending=record.response is None,
            )
            entries.append(entry)
        return entries


class _PooledLazy(LazyJournalMock, PoolMock):
    pass


class _PooledBuffered(PoolMock):
    def start(self) -> None:
        super().start()
        assert self.server is not None
        self.server.RequestHandlerClass = _BufferedHandler


class _AllThree(LazyJournalMock, _PooledBuffered):
    pass


VARIANTS = {
    "harness-nothread": NoThreadMock,
    "harness-nojournal": NoJournalMock,
    "harness-pool": PoolMock,
    "harness-lazy": LazyJournalMock,
    "harness-pool-lazy": _PooledLazy,
    "harness-buffered": BufferedMock,
    "harness-pool-buffered": _PooledBuffered,
    "harness-all3": _AllThree,
}
