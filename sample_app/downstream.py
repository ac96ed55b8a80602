"""Outgoing HTTP: one log line per downstream call, and failures turned into ``errors.DownstreamError``.

Two clients exist because the spec demands both: ``requests`` for the REST services (search, content
safety) and the openai SDK, which runs on ``httpx2``; ``LoggingTransport`` gives the SDK the same log line.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx2
import requests
import urllib3.exceptions

from . import errors

log = logging.getLogger("sample_app.downstream")


def _log_call(service: str, method: str, url: str, outcome: str, started: float) -> None:
    elapsed_ms = (time.monotonic() - started) * 1000
    log.info("downstream %s %s %s -> %s (%.0f ms)", service, method, url, outcome, elapsed_ms)


def post_json(service: str, url: str, headers: dict[str, str], payload: Any, timeout: float) -> Any:
    """POST JSON and return the decoded JSON body of a 2xx answer; raise a DownstreamError otherwise."""
    started = time.monotonic()
    try:
        response = requests.post(url, json=payload, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        _log_call(service, "POST", url, f"error {type(exc).__name__}: {exc}", started)
        raise _from_requests(service, exc) from exc
    _log_call(service, "POST", url, str(response.status_code), started)

    if not 200 <= response.status_code < 300:
        raise errors.for_status(service, response.status_code, _snippet(response.text))
    try:
        return response.json()
    except ValueError as exc:  # requests.JSONDecodeError is a ValueError
        detail = f"{service} answered with a non-JSON body: {_snippet(response.text)!r}"
        raise errors.DownstreamFailure(service, response.status_code, detail) from exc


def _from_requests(service: str, exc: requests.RequestException) -> errors.DownstreamError:
    # ConnectTimeout is both a Timeout and a ConnectionError: test Timeout first. A read timeout while the
    # body is being downloaded surfaces as ConnectionError(ReadTimeoutError), which is still a timeout.
    inner = exc.args[0] if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(inner, urllib3.exceptions.ReadTimeoutError):
        return errors.DownstreamTimeout(service, f"{service} did not answer within DOWNSTREAM_TIMEOUT")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return errors.DownstreamFailure(service, None, f"{service} sent a broken response body: {exc}")
    return errors.DownstreamFailure(service, None, f"cannot reach {service}: {type(exc).__name__}: {exc}")


def _snippet(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())  # pretty-printed bodies must not break the one-line log format
    return text if len(text) <= limit else text[:limit] + "..."


class LoggingTransport(httpx2.BaseTransport):
    """Wraps the real transport to log every attempt the openai SDK makes, retries included.

    The time logged is until the response headers arrive; for streamed completions the body follows later.
    """

    def __init__(self, inner: httpx2.BaseTransport, service: str = "openai") -> None:
        self._inner = inner
        self._service = service

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.monotonic()
        url = str(request.url)
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            _log_call(self._service, request.method, url, f"error {type(exc).__name__}: {exc}", started)
            raise
        _log_call(self._service, request.method, url, str(response.status_code), started)
        return response

    def close(self) -> None:
        self._inner.close()
