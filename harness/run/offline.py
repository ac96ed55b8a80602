"""The offline guard: catches the app reaching for anything but its mocks.

harness points the app's ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` (and lower-case twins) at this
tiny proxy, with ``NO_PROXY`` covering loopback, where the mocks are. A client that honours the
standard proxy variables (requests, httpx and so the openai and Azure SDKs, urllib, curl, ...)
then sends every request for another host here: the proxy refuses it with 403 and records the
host, and the test during which it happened fails, naming it. Nothing leaves the machine.

A client that ignores proxy variables (Node's fetch, the JVM's default) is not caught: the guard is
a safety net for the common case, not a sandbox.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.secrets import mask_text

#: How long the proxy waits for a request's head before giving up on a silent client.
READ_TIMEOUT_SECONDS = 10.0
_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Attempt:
    """One blocked attempt to reach a host that is not a mock."""

    method: str
    host: str
    target: str
    at: float

    def describe(self) -> str:
        return mask_text(f"{self.method} {self.target} (host {self.host})")


def _host_of(method: str, target: str) -> str:
    if method == "CONNECT":
        return target  # host:port
    parts = urlsplit(target)
    return parts.netloc or target


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        connection: socket.socket = self.request
        connection.settimeout(READ_TIMEOUT_SECONDS)
        head = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in head and b"\n\n" not in head and len(head) < _MAX_HEAD:
                data = connection.recv(4096)
                if not data:
                    break
                head += data
        request_line = head.split(b"\n", 1)[0].decode("latin-1").strip()
        parts = request_line.split()
        if len(parts) < 2:
            return
        method, target = parts[0].upper(), parts[1]
        self.server.guard.record(Attempt(method, _host_of(method, target), target, time.time()))
        body = (
            f"harness offline guard: the app under test tried to reach {target}, which is not one of "
            "its mock services. Point it at a mock ([tool.harness.services.<name>] env), or set "
            "offline_guard = false in [tool.harness].\n"
        ).encode()
        reply = (
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(OSError):
            connection.sendall(reply)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, guard: OfflineGuard) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.guard = guard


class OfflineGuard:
    """A refusing HTTP proxy on 127.0.0.1 that records every host the app tried to reach."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[Attempt] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the offline guard is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="harness-offline-guard"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def is_running(self) -> bool:
        return self._server is not None

    def record(self, attempt: Attempt) -> None:
        with self._lock:
            self._attempts.append(attempt)

    @property
    def attempts(self) -> list[Attempt]:
        """Blocked attempts since the last :meth:`clear`."""
        with self._lock:
            return list(self._attempts)

    def clear(self) -> None:
        with self._lock:
            self._attempts = []

    def proxy_env(self) -> dict[str, str]:
        """The variables that send the app's non-loopback traffic here."""
        names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        return {variable: self.url for name in names for variable in (name, name.lower())}
