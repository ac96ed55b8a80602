"""Errors the API reports, and the mapping of downstream failures onto HTTP statuses.

Clients (and test authors) must always get a JSON body that says which downstream failed and how, so
each failure class maps onto exactly one status: timeout -> 504, throttled -> 503, anything else -> 502.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai


class ApiError(Exception):
    """An error with a fixed HTTP status and a JSON body ``{"error": {...}}``."""

    http_status = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def payload(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    def body(self) -> dict[str, Any]:
        return {"error": self.payload()}


class BadRequest(ApiError):
    http_status = 400
    code = "bad_request"


class ContentFiltered(ApiError):
    http_status = 400
    code = "content_filtered"

    def __init__(self, message: str, category: str) -> None:
        super().__init__(message)
        self.category = category

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "category": self.category}


class DownstreamError(ApiError):
    """Base for failures of a downstream service ("openai", "search" or "contentsafety")."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service

    def payload(self) -> dict[str, Any]:
        return {"code": self.code, "service": self.service, "message": self.message}


class DownstreamTimeout(DownstreamError):
    http_status = 504
    code = "downstream_timeout"


class DownstreamThrottled(DownstreamError):
    http_status = 503
    code = "downstream_throttled"


class DownstreamFailure(DownstreamError):
    """Connection problems, malformed bodies, unexpected statuses; ``status`` is None without a response."""

    http_status = 502
    code = "downstream_error"

    def __init__(self, service: str, status: int | None, message: str) -> None:
        super().__init__(service, message)
        self.status = status

    def payload(self) -> dict[str, Any]:
        return {"code": self.code, "service": self.service, "status": self.status, "message": self.message}


def for_status(service: str, status: int, detail: str) -> DownstreamError:
    """The error for a downstream that answered with a non-2xx status."""
    if status == 429:
        return DownstreamThrottled(service, f"{service} is throttling requests (HTTP 429): {detail}")
    return DownstreamFailure(service, status, f"{service} answered HTTP {status}: {detail}")


def from_openai(exc: BaseException) -> ApiError:
    """Map anything the openai SDK (or the httpx2 stream underneath it) raised.

    Order matters: APITimeoutError is a subclass of APIConnectionError, and RateLimitError of APIStatusError.
    """
    service = "openai"
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return DownstreamTimeout(service, "Azure OpenAI did not answer within DOWNSTREAM_TIMEOUT")
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        # The SDK wraps every transport problem alike; the cause tells a refused connection from
        # one that broke midway or carried a malformed answer.
        cause = _transport_cause(exc)
        if isinstance(cause, httpx2.RemoteProtocolError):
            what = "Azure OpenAI sent a broken response"
        elif isinstance(cause, httpx2.ConnectError):
            what = "cannot reach Azure OpenAI"
        else:
            what = "the connection to Azure OpenAI broke"
        return DownstreamFailure(service, None, f"{what}: {_describe(exc)}")
    if isinstance(exc, openai.APIStatusError):
        return for_status(service, exc.status_code, _status_detail(exc))
    if isinstance(exc, openai.APIResponseValidationError):
        return DownstreamFailure(service, exc.status_code, f"invalid answer from Azure OpenAI: {exc.message}")
    if isinstance(exc, openai.OpenAIError | httpx2.HTTPError):
        # e.g. an error object sent in the middle of a stream: there is no HTTP status to report.
        return DownstreamFailure(service, None, f"Azure OpenAI failed: {_describe(exc)}")
    if isinstance(exc, ValueError | AttributeError | TypeError | KeyError | IndexError):
        # Non-JSON bodies, malformed chunks, and JSON of the wrong shape all end up here.
        return DownstreamFailure(service, None, f"malformed response from Azure OpenAI: {_describe(exc)}")
    return DownstreamFailure(service, None, f"unexpected error talking to Azure OpenAI: {_describe(exc)}")


def _transport_cause(exc: BaseException) -> BaseException:
    """The httpx2 error underneath an SDK connection error (or ``exc`` itself)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx2.TransportError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def _status_detail(exc: openai.APIStatusError) -> str:
    # Azure puts a readable reason in {"error": {"message": ...}}; the SDK's own message repeats the body.
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return exc.message


def _describe(exc: BaseException) -> str:
    # The SDK's messages are generic ("Connection error."); the chained cause usually says what happened.
    cause = exc.__cause__
    text = f"{type(exc).__name__}: {exc}"
    if cause is not None:
        text += f" (caused by {type(cause).__name__}: {cause})"
    return text
