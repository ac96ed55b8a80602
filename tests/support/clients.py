"""Real HTTP clients, driven the way users drive them, for the fault tests.

Each client fetches one URL and reports an :class:`Outcome`: the status and body it got, or the
exception it raised (never swallowed silently: the tests assert its exact type), plus whatever body
bytes had arrived before the error. curl runs as a subprocess (``-sS -m <timeout>``) and reports its
exit code and stderr.

Two ways of reading, because clients report some faults differently depending on it:

* default (``stream=False``): the call a user writes first -- ``requests.get(...).content``,
  ``httpx.get(...)``, urllib3 ``PoolManager(retries=False).request(...)`` (body preloaded) and
  http.client ``getresponse().read()``;
* streaming (``stream=True``): the body is read as it arrives, as with server-sent events --
  requests ``stream=True`` + ``iter_content``, ``httpx.stream`` + ``iter_bytes``, urllib3
  ``preload_content=False`` + ``stream()``, http.client ``read1()`` in a loop. curl always streams.
"""

from __future__ import annotations

import http.client
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import requests
import urllib3

from .polling import DEADLINE

CURL = "/usr/bin/curl"

#: Every client, in the order the reference table lists them.
CLIENTS = ("requests", "httpx", "urllib3", "http.client", "curl")


@dataclass(frozen=True)
class Trust:
    """How clients trust a TLS mock: the CA as a PEM file (requests, curl) and as a context."""

    ca_file: Path
    context: ssl.SSLContext


@dataclass
class Outcome:
    """What one client saw."""

    client: str
    status: int | None = None
    #: Body bytes received (before the error, if there was one).
    body: bytes = b""
    error: BaseException | None = None
    #: curl only.
    exit_code: int | None = None
    stderr: str = ""

    def describe(self) -> str:
        if self.client == "curl":
            return f"curl exit {self.exit_code}: {self.stderr!r}, stdout {self.body[:80]!r}"
        if self.error is not None:
            return " <- ".join(f"{type(e).__module__}.{type(e).__qualname__}({e})" for e in chain(self.error))
        return f"{self.status} {self.body[:80]!r}"


def chain(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps, outermost first: explicit causes, the exception being handled
    when it was raised, and the exceptions that requests/urllib3 carry in their arguments or
    ``reason``."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        following = current.__cause__ or current.__context__
        reason = getattr(current, "reason", None)
        if following is None and isinstance(reason, BaseException):
            following = reason
        if following is None:
            wrapped = [arg for arg in current.args if isinstance(arg, BaseException)]
            following = wrapped[-1] if wrapped else None
        current = following
    return found


def fetch(
    client: str, url: str, *, timeout: float = DEADLINE, trust: Trust | None = None, stream: bool = False
) -> Outcome:
    """GET ``url`` with ``client``; every error is caught and returned in the outcome."""
    outcome = Outcome(client)
    try:
        if client == "curl":
            _curl(outcome, url, timeout, trust)
        else:
            for piece in _PYTHON_CLIENTS[client](outcome, url, timeout, trust, stream):
                outcome.body += piece
    except Exception as error:
        outcome.error = error
    return outcome


def _requests(
    outcome: Outcome, url: str, timeout: float, trust: Trust | None, stream: bool
) -> Iterator[bytes]:
    verify: str | bool = str(trust.ca_file) if trust else True
    with requests.get(url, timeout=timeout, verify=verify, stream=stream) as response:
        outcome.status = response.status_code
        if stream:
            yield from response.iter_content(chunk_size=None)
        else:
            yield response.content


def _httpx(outcome: Outcome, url: str, timeout: float, trust: Trust | None, stream: bool) -> Iterator[bytes]:
    verify: ssl.SSLContext | bool = trust.context if trust else True
    if not stream:
        response = httpx.get(url, timeout=timeout, verify=verify)
        outcome.status = response.status_code
        yield response.content
        return
    with httpx.stream("GET", url, timeout=timeout, verify=verify) as response:
        outcome.status = response.status_code
        yield from response.iter_bytes()


def _urllib3(
    outcome: Outcome, url: str, timeout: float, trust: Trust | None, stream: bool
) -> Iterator[bytes]:
    pool = urllib3.PoolManager(retries=False, timeout=timeout, ssl_context=trust.context if trust else None)
    try:
        response = pool.request("GET", url, preload_content=not stream)
        outcome.status = response.status
        if stream:
            yield from response.stream(None)
        else:
            yield response.data
    finally:
        pool.clear()


def _http_client(
    outcome: Outcome, url: str, timeout: float, trust: Trust | None, stream: bool
) -> Iterator[bytes]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = trust.context if trust else None
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        outcome.status = response.status
        if stream:
            while piece := response.read1():
                yield piece
        else:
            yield response.read()
    finally:
        connection.close()


_PYTHON_CLIENTS = {
    "requests": _requests,
    "httpx": _httpx,
    "urllib3": _urllib3,
    "http.client": _http_client,
}


def _curl(outcome: Outcome, url: str, timeout: float, trust: Trust | None) -> None:
    command = [CURL, "-sS", "-m", f"{timeout:g}"]
    if trust:
        command += ["--cacert", str(trust.ca_file)]
    # The subprocess timeout is only a safety net far above curl's own -m.
    done = subprocess.run([*command, url], capture_output=True, timeout=timeout + DEADLINE, check=False)
    outcome.exit_code = done.returncode
    outcome.stderr = done.stderr.decode(errors="replace").strip()
    outcome.body = done.stdout
