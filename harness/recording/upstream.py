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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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


@dataclass
class Received:
    """An answer's body as it arrives: the chunks so far, whether it has ended, and why early.
    Read while the answer is still streaming, it holds what has arrived (a recording of a stream
    the app stopped reading keeps what came until the test ended)."""

    chunks: list[bytes] = field(default_factory=list)
    ended: bool = False
    #: Why the body ended before the upstream finished it, if it did.
    error: str | None = None

    @property
    def body(self) -> bytes:
        return b"".join(list(self.chunks))


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
        self.ca_file = ca_file
        self._context: ssl.SSLContext | None = None

    def prepare(self) -> None:
        """Make ready to forward (record mode only: replay never reaches the upstream): the
        credentials read, and the TLS context made with the system's trust store or
        ``upstream_ca``, so that a problem is told once, at start: :class:`UpstreamError` says
        which, and the fix."""
        self.credential_values()
        if self.scheme != "https" or self._context is not None:
            return
        try:
            self._context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as error:
            raise UpstreamError(
                f"recording service {self.service!r}: cannot read upstream_ca {self.ca_file}: {error}; "
                "fix: the PEM bundle of the CA that signed the upstream's certificate"
            ) from None

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

    def known_values(self) -> list[str]:
        """The credentials' values that are set in the runner's environment (none need be): masked
        in what is recorded, and in a live request compared with a recording."""
        return [os.environ[variable] for variable in self.credentials.values() if os.environ.get(variable)]

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            self.prepare()
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
        received: Received,
    ) -> UpstreamAnswer:
        """Send the app's request (``target``: path and query) on; the answer's body goes into
        ``received`` as it is read."""
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
            if isinstance(error, ssl.SSLCertVerificationError) and self.ca_file is None:
                hint = (
                    "; fix: if the upstream's certificate comes from a private CA, set upstream_ca = "
                    '"<its CA bundle>" for this service'
                )
            elif isinstance(error, ssl.SSLCertVerificationError):
                hint = f"; fix: check that upstream_ca ({self.ca_file}) is the CA that signed its certificate"
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
            response.status, response.reason, returned, _read(connection, response, received), framed
        )


def _read(
    connection: http.client.HTTPConnection, response: http.client.HTTPResponse, received: Received
) -> Iterator[bytes]:
    try:
        while True:
            try:
                chunk = response.read1(_READ_SIZE)
            except (OSError, http.client.HTTPException) as failure:
                received.error = f"the upstream's answer ended early: {type(failure).__name__}: {failure}"
                break
            if not chunk:
                break
            received.chunks.append(chunk)
            yield chunk
    finally:
        connection.close()
        received.ended = True
