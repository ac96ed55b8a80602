"""For a request no expectation matched: the closest expectation, and exactly what differed.

Built on pytest-httpserver's own ``RequestMatcher.difference``; JSON bodies are compared field by
field (:func:`harness.mocks.verify.json_differences`), so the report says
``messages[1].content: expected 'x', found 'y'`` rather than two blobs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver.httpserver import METHOD_ALL, UNDEFINED, RequestHandler, RequestMatcher
from werkzeug.wrappers import Request

from harness.mocks.verify import header_difference, json_differences
from harness.secrets import mask_headers, mask_text

#: A differing path suggests another endpoint altogether, a differing method a close cousin.
_WEIGHT = {"uri": 4, "method": 2}
_LABEL = {"uri": "path", "method": "method", "query_string": "query", "data": "body"}
MAX_JSON_DIFFERENCES = 8


def _short(value: object, limit: int = 80) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = mask_text(repr(value))  # before the cut, which could leave a secret value unterminated
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(field: str, request_value: Any, matcher_value: Any, request: Request) -> list[str]:
    if field == "headers" and isinstance(request_value, dict) and isinstance(matcher_value, dict):
        return [
            header_difference(name, matcher_value[name], request_value.get(name), 80)
            for name in matcher_value
        ]
    if field == "json":
        try:
            received = json.loads(request.get_data())
        except ValueError:
            return [f"json body: expected {_short(matcher_value)}, found a body that is not JSON"]
        differences = json_differences(matcher_value, received, partial=False)
        return [f"json {line}" for line in differences[:MAX_JSON_DIFFERENCES]]
    return [f"{_LABEL.get(field, field)}: expected {_short(matcher_value)}, found {_short(request_value)}"]


def _clip(text: str, limit: int = 120) -> str:
    text = mask_text(text)  # before the cut, which could leave a secret value unterminated
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_matcher(matcher: RequestMatcher) -> str:
    """An expectation as a person writes it -- ``POST /openai/chat?api-version=1 (json {...})`` --
    not pytest-httpserver's ``RequestMatcher`` repr; secrets masked."""
    method = "any method" if matcher.method == METHOD_ALL else matcher.method
    uri = matcher.uri
    path = uri if isinstance(uri, str) else getattr(uri, "pattern", None) or type(uri).__name__
    query = matcher.query_string
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    if isinstance(query, Mapping):
        query = urlencode(query)
    target = f"{path}?{query}" if isinstance(query, str) and query else str(path)
    if query is not None and not isinstance(query, str):
        target += f" (query {type(query).__name__})"
    conditions = [f"header {name}: {value}" for name, value in mask_headers(matcher.headers)]
    if matcher.json is not UNDEFINED:
        conditions.append(f"json {_clip(json.dumps(matcher.json, default=repr))}")
    if matcher.data is not None:
        conditions.append(f"body {_clip(matcher.data.decode(matcher.data_encoding, 'replace'))}")
    if matcher.data_form is not None:
        conditions.append(f"form {_clip(urlencode(matcher.data_form))}")
    described = f"{method} {target}" + (f" ({'; '.join(conditions)})" if conditions else "")
    return mask_text(described)


def near_miss(handlers: Iterable[RequestHandler], request: Request) -> str | None:
    """The closest expectation to ``request`` and what differed, or None without expectations;
    secrets masked (it is made for reports, and only for a request nothing matched)."""
    best: tuple[int, RequestHandler, list[tuple[str, Any, Any]]] | None = None
    for handler in handlers:
        differences = handler.matcher.difference(request)
        score = sum(_WEIGHT.get(field, 1) for field, _, _ in differences)
        if best is None or score < best[0]:
            best = (score, handler, differences)
    if best is None:
        return None
    _, handler, differences = best
    lines = [line for field, got, want in differences for line in _describe(field, got, want, request)]
    described = f"closest expectation: {describe_matcher(handler.matcher)}\n" + "\n".join(
        f"  differs in {line}" for line in lines
    )
    return mask_text(described)
