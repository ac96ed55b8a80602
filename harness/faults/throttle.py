"""Throttling as Azure OpenAI does it: 429 with Retry-After and retry-after-ms."""

from __future__ import annotations

import json
import math

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault, non_negative_seconds


class _Throttle(Fault):
    def __init__(self, retry_after: float, body: dict[str, object]) -> None:
        self.retry_after = retry_after
        self.body = json.dumps(body).encode()
        self.description = f"throttled (429, retry after {retry_after:g} s)"

    def __call__(self, request: Request) -> Response:
        return Response(
            self.body,
            status=429,
            content_type="application/json",
            headers={
                # Retry-After is whole seconds by the HTTP spec; SDKs that know it (openai) prefer
                # the exact retry-after-ms.
                "Retry-After": str(math.ceil(self.retry_after)),
                "retry-after-ms": str(round(self.retry_after * 1000)),
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-remaining-tokens": "0",
            },
        )


def throttle(retry_after: float = 1.0, *, body: dict[str, object] | None = None) -> Fault:
    """Answer 429 Too Many Requests like Azure OpenAI: JSON error envelope, ``Retry-After`` (whole
    seconds, rounded up) and ``retry-after-ms``."""
    seconds = non_negative_seconds("retry_after", retry_after)
    default: dict[str, object] = {
        "error": {
            "code": "429",
            "message": (
                "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded "
                f"the rate limit of your current tier. Please retry after {math.ceil(seconds)} seconds."
            ),
        }
    }
    return _Throttle(seconds, body if body is not None else default)
