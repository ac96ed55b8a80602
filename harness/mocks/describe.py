"""How the mocks put requests and expectations into words: the one formatter behind the journal's
report lines, the verification messages and the near-miss reports.

Everything shown passes through :func:`harness.secrets.mask_text` *before* it is cut short: a cut
could leave a secret value unterminated, and so unrecognised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlencode

from pytest_httpserver.httpserver import METHOD_ALL, UNDEFINED, RequestMatcher, URIPattern

from harness.secrets import mask_headers, mask_text

#: The longest value (an expected or found path, header, JSON field, ...) a message shows whole.
VALUE_LIMIT = 80
#: The longest request target a one-line summary shows whole.
TARGET_LIMIT = 2 * VALUE_LIMIT
#: The longest JSON, body or form condition an expectation's description shows whole.
CONDITION_LIMIT = 120

PathSpec = str | re.Pattern[str] | URIPattern


def clip(text: str, limit: int) -> str:
    """``text`` masked, then cut to ``limit`` characters (ending ``...`` if cut)."""
    text = mask_text(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short(value: object, limit: int = VALUE_LIMIT) -> str:
    """``repr(value)`` (bytes decoded as UTF-8 first), masked and cut to ``limit`` characters."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return clip(repr(value), limit)


#: How far past the cut a body is masked, for a secret value that starts before it.
_MASK_WINDOW = 4096


def excerpt(body: bytes, limit: int) -> str:
    """A body as text, at most ``limit`` characters of it (then its size), secrets masked."""
    text = body.decode("utf-8", errors="replace")
    if len(text) <= limit:
        return mask_text(text)
    return f"{mask_text(text[: limit + _MASK_WINDOW])[:limit]}... ({len(body)} bytes)"


def target(path: str, query: str) -> str:
    """Path plus query string, as on the request line: ``/chat?api-version=1``."""
    return f"{path}?{query}" if query else path


def request_line(method: str, shown_target: str, limit: int | None = None) -> str:
    """``POST /chat?x=1``: a method and a target (masked; cut to ``limit`` characters if given)."""
    if limit is None:
        return f"{method} {mask_text(shown_target)}"
    return f"{method} {clip(shown_target, limit)}"


def describe_path(path: PathSpec | None) -> str:
    """An expected path as written: ``/chat``, ``re'/items/\\d+'``, a ``URIPattern``'s repr."""
    if path is None:
        return "(any path)"
    if isinstance(path, re.Pattern):
        return f"re{path.pattern!r}"
    if isinstance(path, str):
        return path
    return repr(path)


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
    shown = target(str(path), query) if isinstance(query, str) else str(path)
    if query is not None and not isinstance(query, str):
        shown += f" (query {type(query).__name__})"
    conditions = [f"header {name}: {value}" for name, value in mask_headers(matcher.headers)]
    if matcher.json is not UNDEFINED:
        conditions.append(f"json {clip(json.dumps(matcher.json, default=repr), CONDITION_LIMIT)}")
    if matcher.data is not None:
        body = matcher.data.decode(matcher.data_encoding, "replace")
        conditions.append(f"body {clip(body, CONDITION_LIMIT)}")
    if matcher.data_form is not None:
        conditions.append(f"form {clip(urlencode(matcher.data_form), CONDITION_LIMIT)}")
    described = request_line(method, shown) + (f" ({'; '.join(conditions)})" if conditions else "")
    return mask_text(described)


def plural(count: int, noun: str) -> str:
    """``1 request``, ``3 requests``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
