"""Forwarding a request to the real service (record mode), its answer streamed back as it comes.

The upstream is reached directly (no proxy: the runner's proxy variables are the app's business),
over TLS verified against the system's trust store, or against ``upstream_ca`` when the service
uses a private CA. Its credentials are headers whose values come from the runner's environment
(``upstream_headers = {"api-key" = "AZURE_OPENAI_API_KEY"}``): they replace whatever the app sent
under those names, and never reach a file.
"""

from __future__ import annotations

import http.client
import os
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from harness.errors import HarnessError

#: Headers about one connection or one transfer (RFC 9110 7.6.1, plus framing), not the exchange.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "transfer-encoding",
        "content-length",
    }
)
#: Never forwarded: they describe the app's connection to the mock (the upstream gets its own).
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "accept-encoding", "expect"}
#: Never sent back to the app: werkzeug frames and dates the answer itself.
_NOT_RETURNED = _HOP_BY_HOP | {"date", "server"}
#: The most bytes one read hands on, so a stream reaches the app as it arrives.
_READ_SIZE = 64 * 1024


class UpstreamError(HarnessError):
    """The real service could not be reached, or did not answer."""


@dataclass(frozen=True)
class UpstreamAnswer:
    """The upstream's answer: its status, the headers to return, and its body as it arrives.
    ``body`` must be iterated to its end (or closed): that ends the connection."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: Iterator[bytes]
    #: Whether the answer has a known length (else it is streamed: chunked or until close).
    framed: bool


class Upstream:
    """The real service behind a mock in record mode."""

    def __init__(
        self,
        url: str,
        *,
        ca_file: Path | None = None,
        credentials: Mapping[str, str] | None = None,
        timeout: float = 120.0,
        service: str = "",
    ) -> None:
        parts = urlsplit(url)
        self.url = url.rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.service = service
        #: Header name -> the runner's environment variable holding its value.
        self.credentials = dict(credentials or {})
        self._context: ssl.SSLContext | None = None
        if self.scheme == "https":
            self._context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def credential_values(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The credential headers' values, read from the runner's environment now. A variable not
        set is an :class:`UpstreamError` naming it."""
        environ = os.environ if environ is None else environ
        missing = [variable for variable in self.credentials.values() if not environ.get(variable)]
        if missing:
            raise UpstreamError(
                f"recording service {self.service!r}: the environment variable(s) "
                f"{', '.join(missing)} named in upstream_headers are not set; fix: export them in the "
                "shell that runs the tests (the real service's credentials never go in a file)"
            )
        return {header: environ[variable] for header, variable in self.credentials.items()}

    def _connection(self) -> http.client.HTTPConnection:
        if self._context is not None:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self._context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def forward(
        self,
        *,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        on_done: Callable[[bytes, str | None], None],
    ) -> UpstreamAnswer:
        """Send the app's request (``target``: path and query) on; ``on_done(body, error)`` is
        called once the answer's body has been read (``error``: why it ended early, or None)."""
        credentials = self.credential_values()
        replaced = {name.lower() for name in credentials}
        sent = [
            (name, value)
            for name, value in headers
            if name.lower() not in _NOT_FORWARDED and name.lower() not in replaced
        ]
        sent += list(credentials.items())
        connection = self._connection()
        try:
            connection.putrequest(method, self.prefix + target, skip_accept_encoding=True)
            connection.putheader("Accept-Encoding", "identity")  # bodies are recorded decoded
            for name, value in sent:
                connection.putheader(name, value)
            if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            hint = ""
            if isinstance(error, ssl.SSLCertVerificationError):
                hint = (
                    "; fix: if the upstream's certificate comes from a private CA, set upstream_ca = "
                    '"<its CA bundle>" for this service'
                )
            raise UpstreamError(
                f"recording service {self.service!r}: could not reach its upstream {self.url}: "
                f"{type(error).__name__}: {error}{hint}"
            ) from None
        returned = [
            (name, value) for name, value in response.getheaders() if name.lower() not in _NOT_RETURNED
        ]
        framed = (
            response.getheader("Content-Length") is not None
            or response.status in (204, 304)
            or method == "HEAD"
        )
        return UpstreamAnswer(
            response.status, response.reason, returned, _read(connection, response, on_done), framed
        )


def _read(
    connection: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    on_done: Callable[[bytes, str | None], None],
) -> Iterator[bytes]:
    received: list[bytes] = []
    error: str | None = None
    try:
        while True:
            try:
                chunk = response.read1(_READ_SIZE)
            except (OSError, http.client.HTTPException) as failure:
                error = f"the upstream's answer ended early: {type(failure).__name__}: {failure}"
                break
            if not chunk:
                break
            received.append(chunk)
            yield chunk
    finally:
        connection.close()
        on_done(b"".join(received), error)
