"""For a request no expectation matched: the closest expectation, and exactly what differed.

Ranked and explained by :mod:`harness.mocks.matching` (the engine verification failures use too),
on pytest-httpserver's own ``RequestMatcher.difference``; JSON bodies are compared field by field,
so the report says ``messages[1].content: expected 'x', found 'y'`` rather than two blobs.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_httpserver.httpserver import RequestHandler
from werkzeug.wrappers import Request

from harness.mocks.describe import describe_matcher
from harness.mocks.matching import compare, rank
from harness.secrets import mask_text

__all__ = ["describe_matcher", "near_miss"]


def near_miss(handlers: Iterable[RequestHandler], request: Request) -> str | None:
    """The closest expectation to ``request`` and what differed, or None without expectations;
    secrets masked (it is made for reports, and only for a request nothing matched)."""
    ranked = rank(compare(handler, handler.matcher, request) for handler in handlers)
    if not ranked:
        return None
    closest = ranked[0]
    described = f"closest expectation: {describe_matcher(closest.subject.matcher)}\n" + "\n".join(
        f"  differs in {line}" for line in closest.shown()
    )
    return mask_text(described)
