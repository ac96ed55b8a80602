"""Experimental MockService variants for bench/throughput.py (``--only KIND``), each removing or
replacing one cost so that its share of a request is measured rather than guessed; the figures of
docs/benchmarks.md ("What limits us") come from them. Investigation only: none of this is harness
code, and none of it is used by the tests.

- ``harness-nothread``: MockService serving one connection at a time in the serving thread (no
  thread per connection; a slow handler would block every other request: not an option as such,
  it bounds what removing thread creation can gain);
- ``harness-pool``: MockService whose connections are accepted by a pool of waiting threads, each
  handling the connection it accepted (no thread start per request, no hand-off); the pool grows
  whenever no thread is left waiting, so a slow handler still never blocks another request, and
  shrinks back to a few idle threads.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from harness.mocks import MockService
from harness.mocks.server import QuietRequestHandler


class _Http11Handler(QuietRequestHandler):
    protocol_version = "HTTP/1.1"  # what the threaded server gets; the non-threaded one stays 1.0


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


VARIANTS = {
    "harness-nothread": NoThreadMock,
    "harness-pool": PoolMock,
}
