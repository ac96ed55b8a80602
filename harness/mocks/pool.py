"""A werkzeug server that serves each connection in a reused thread.

werkzeug's (and socketserver's) threaded server starts a new thread for every connection. For
mocks that answer in microseconds, starting that thread costs more than the answer: on this
machine it doubled the server's CPU time per request and halved its throughput against
pytest-httpserver's single-threaded server. Here a connection goes to an idle worker thread when
there is one and to a new thread otherwise, so a slow handler still never blocks another
connection (there is never a queue behind a busy worker), while a steady stream of quick
requests reuses the same few threads. Workers idle for :data:`IDLE_SECONDS` end, and
:meth:`PooledWSGIServer.server_close` ends the idle ones at once.

The server also knows its open connections (its handlers register themselves): a connection kept
alive for a next request (:mod:`harness.mocks.keepalive`) is ended by ``server_close`` when it
waits for one, and is not kept after the answer it is giving then.
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer

#: How long an idle worker waits for another connection before it ends.
IDLE_SECONDS = 5.0

_Job = tuple[socket.socket, Any]


class PooledWSGIServer(BaseWSGIServer):
    """``werkzeug.serving.BaseWSGIServer`` serving connections on reused worker threads."""

    multithread = True  # read by werkzeug's WSGI environ (wsgi.multithread)
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # workers waiting for a job and not yet promised one
        self._closed = False
        self._connections: set[Any] = set()  # the handlers of open connections

    @property
    def stopping(self) -> bool:
        """Whether ``server_close`` has begun: no connection is kept for another request."""
        return self._closed

    def track_connection(self, handler: Any) -> None:
        """A handler begins serving a connection (see ``server_close``)."""
        with self._lock:
            self._connections.add(handler)

    def untrack_connection(self, handler: Any) -> None:
        with self._lock:
            self._connections.discard(handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to an idle worker, or to a new one if all are busy."""
        with self._lock:
            # Put under the lock: a worker whose wait just timed out checks the queue under the
            # same lock before it ends, so a job promised to an idle worker is never orphaned.
            self._jobs.put((request, client_address))
            if self._idle:
                self._idle -= 1
                return
        threading.Thread(target=self._work, name="harness-mock-worker", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():  # no job was promised to an idle worker meanwhile
                        self._idle -= 1
                        return
                continue
            if job is None:  # server_close(): this idle worker is no longer needed
                return
            request, client_address = job
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
            with self._lock:
                if self._closed:
                    return
                self._idle += 1

    def server_close(self) -> None:
        """Close the listening socket, end the idle workers (busy ones end after their job) and
        the connections that wait for a request."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, 0
            connections = list(self._connections)
        for _ in range(idle):
            self._jobs.put(None)
        # Set _closed first: a handler that starts waiting for a request after this looks at it
        # (``stopping``) and ends; one that already waits is ended here.
        for handler in connections:
            handler.close_if_waiting()
        super().server_close()
