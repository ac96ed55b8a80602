"""How far a request is from an expectation: the one match-ranking engine.

Both reports that name a "closest" match rank with it -- the near miss of a request no
expectation matched (:mod:`harness.mocks.nearmiss`: the closest *expectation*) and a failed
verification (:mod:`harness.mocks.verify`: the closest *requests*):

* :func:`compare` runs a pytest-httpserver ``RequestMatcher``'s own ``difference`` on a werkzeug
  ``Request`` and explains each differing part in a line a person reads (``path: expected '/a',
  found '/b'``, ``json messages[1].content: expected 'hi', found 'hello'``, ``header api-key: ...``);
* :func:`rank` orders comparisons closest first: by :data:`WEIGHTS` (a differing path suggests
  another endpoint altogether, a differing method a close cousin, any other part one step), then by
  how many lines the differences take, then by the order the candidates came in.

A matcher with a ``json_contains`` attribute (``verify.CallMatcher``) may report a differing part
``"json_contains"``: a partial JSON match (see :func:`json_differences`).
"""

from __future__ import annotations

import json as jsonlib
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pytest_httpserver.httpserver import UNDEFINED, QueryMatcher, RequestMatcher
from werkzeug.wrappers import Request

from harness.mocks.describe import VALUE_LIMIT, describe_path, short
from harness.secrets import MASK, is_secret_header, is_secret_name, mask_header

#: What a differing part of a request weighs in the ranking (any other part: 1).
WEIGHTS = {"uri": 4, "method": 2}
#: How many differences a report lists for one candidate (then "... and N more differences").
MAX_DIFFERENCES = 6
#: The words for pytest-httpserver's names of the parts of a request.
_LABEL = {"uri": "path", "method": "method", "query_string": "query", "data": "body", "data_form": "form"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

T = TypeVar("T")


@dataclass(frozen=True)
class Comparison(Generic[T]):
    """How ``subject`` (an expectation, or a journaled request) differs from its counterpart."""

    subject: T
    #: pytest-httpserver's names of the differing parts (``"uri"``, ``"method"``, ``"json"``, ...).
    parts: tuple[str, ...]
    #: One readable line per difference.
    lines: tuple[str, ...]

    @property
    def score(self) -> int:
        return sum(WEIGHTS.get(part, 1) for part in self.parts)

    def shown(self) -> list[str]:
        """The lines a report shows: at most :data:`MAX_DIFFERENCES`, then how many more."""
        if len(self.lines) <= MAX_DIFFERENCES:
            return list(self.lines)
        more = len(self.lines) - MAX_DIFFERENCES
        return [*self.lines[:MAX_DIFFERENCES], f"... and {more} more differences"]


def compare(subject: T, matcher: RequestMatcher, request: Request) -> Comparison[T]:
    """How ``request`` differs from what ``matcher`` expects, filed under ``subject``."""
    differences = matcher.difference(request)
    lines: list[str] = []
    for part, got, want in differences:
        lines += explain(matcher, request, part, got, want)
    return Comparison(subject, tuple(part for part, _, _ in differences), tuple(lines))


def rank(comparisons: Iterable[Comparison[T]]) -> list[Comparison[T]]:
    """Closest first: the lowest weighted score, then the fewest lines, then the earliest given."""
    return sorted(comparisons, key=lambda comparison: (comparison.score, len(comparison.lines)))


def explain(matcher: RequestMatcher, request: Request, part: str, got: Any, want: Any) -> list[str]:
    """One differing ``part`` of ``request`` (as ``matcher.difference`` reported it, with the
    request's value ``got`` and the matcher's ``want``) in lines a person reads."""
    if part == "uri":
        expected = short(want) if isinstance(want, str) else describe_path(want)
        return [f"path: expected {expected}, found {short(request.path)}"]
    if part == "query_string":
        return query_differences(matcher.query_matcher, request.query_string)
    if part == "headers" and isinstance(got, Mapping) and isinstance(want, Mapping):
        return [header_difference(name, value, got.get(name)) for name, value in want.items()]
    if part == "data":
        return [f"body: expected {short(matcher.data)}, found {short(request.get_data())}"]
    if part == "json":
        return json_body_differences(matcher.json, request, partial=False)
    if part == "json_contains":
        contained: Any = matcher.__dict__.get("json_contains", UNDEFINED)
        if contained is not UNDEFINED:
            return json_body_differences(contained, request, partial=True)
    return [f"{_LABEL.get(part, part)}: expected {short(want)}, found {short(got)}"]


# -- query -----------------------------------------------------------------------------------------------


class UnorderedQueryMatcher(QueryMatcher):
    """A pytest-httpserver query matcher: the whole query equals ``expected``, keys and the values
    of a repeated key in any order."""

    def __init__(self, expected: Mapping[str, str | Sequence[str]]) -> None:
        self.expected = {
            key: [value] if isinstance(value, str) else [str(item) for item in value]
            for key, value in expected.items()
        }

    def get_comparing_values(self, request_query_string: bytes) -> tuple[Any, Any]:
        received = parse_query(request_query_string)
        return _sorted_values(received), _sorted_values(self.expected)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expected!r})"


def parse_query(query_string: bytes | str) -> dict[str, list[str]]:
    """A query string as ``{key: [values in the order received]}`` (blank values kept)."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("utf-8", "replace")
    parsed: dict[str, list[str]] = {}
    for key, value in urllib.parse.parse_qsl(query_string, keep_blank_values=True):
        parsed.setdefault(key, []).append(value)
    return parsed


def _sorted_values(query: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {key: sorted(values) for key, values in query.items()}


def query_differences(matcher: QueryMatcher, query_string: bytes) -> list[str]:
    """How a query differs from what ``matcher`` expects: key by key for an
    :class:`UnorderedQueryMatcher`, else the whole query."""
    if not isinstance(matcher, UnorderedQueryMatcher):
        received, expected = matcher.get_comparing_values(query_string)
        return [f"query: expected {short(expected)}, found {short(received)}"]
    received_query = parse_query(query_string)
    lines = []
    for key in [*matcher.expected, *(key for key in received_query if key not in matcher.expected)]:
        want, got = matcher.expected.get(key), received_query.get(key)
        if want is None:
            lines.append(f"query {key}: not expected, found {_show_values(got)}")
        elif got is None:
            lines.append(f"query {key}: expected {_show_values(want)}, missing")
        elif sorted(want) != sorted(got):
            lines.append(f"query {key}: expected {_show_values(want)}, found {_show_values(got)}")
    return lines


def _show_values(values: list[str] | None) -> str:
    if values is not None and len(values) == 1:
        return short(values[0])
    return short(values)


# -- headers ---------------------------------------------------------------------------------------------


def _masked_apart(want: str, got: str) -> str:
    """Two different secrets look alike once masked: say that they differ, and their lengths."""
    return f" (masked; they differ: {len(want)} and {len(got)} characters)"


def header_difference(name: str, want: object, got: str | None, limit: int = VALUE_LIMIT) -> str:
    """``header <name>: expected 'x', found 'y'`` (or ``missing``); the values of a secret header
    (``Authorization``, ``api-key``, ...) masked, an auth scheme kept (``'Bearer ********'``)."""
    if not is_secret_header(name):
        found = "missing" if got is None else f"found {short(got, limit)}"
        return f"header {name}: expected {short(want, limit)}, {found}"
    shown_want = mask_header(name, str(want))
    line = f"header {name}: expected {short(shown_want, limit)}, "
    if got is None:
        return line + "missing"
    shown_got = mask_header(name, got)
    apart = _masked_apart(str(want), got) if shown_got == shown_want else ""
    return f"{line}found {short(shown_got, limit)}{apart}"


# -- JSON ------------------------------------------------------------------------------------------------


def json_differences(
    expected: Any, actual: Any, *, partial: bool, where: str = "", secret: bool = False
) -> list[str]:
    """Differences between two JSON values, one line each, located by a path like
    ``messages[1].content``.

    Exact (``partial=False``): equal values. Partial (``partial=True``, for ``json_contains``): an
    expected object matches an object having at least its keys, each value matching partially
    (extra keys are ignored, at any depth); an expected array matches an array of the same length
    whose items match the expected ones position by position, each partially; any other value
    must be equal (``==``, so ``1`` equals ``1.0``).

    Values under a secret-named key (``password``, ``apiKey``, ...; ``secret=True`` for the whole
    value) are shown masked (see :mod:`harness.secrets`).
    """
    label = where or "(body)"
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines: list[str] = []
        for key, want in expected.items():
            path = _join(where, key)
            hidden = secret or is_secret_name(str(key))
            if key in actual:
                lines += json_differences(want, actual[key], partial=partial, where=path, secret=hidden)
            else:
                lines.append(f"{path}: expected {_shown(want, hidden)}, missing")
        if not partial:
            lines += [
                f"{_join(where, key)}: not expected, found {_shown(got, secret or is_secret_name(str(key)))}"
                for key, got in actual.items()
                if key not in expected
            ]
        return lines
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            found = f"found {len(actual)}: {_shown(actual, secret)}"
            return [f"{label}: expected {len(expected)} items, {found}"]
        lines = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            lines += json_differences(want, got, partial=partial, where=f"{where}[{index}]", secret=secret)
        return lines
    if expected != actual:
        line = f"{label}: expected {_shown(expected, secret)}, found {_shown(actual, secret)}"
        return [line + (_masked_apart(str(expected), str(actual)) if secret else "")]
    return []


def _shown(value: object, secret: bool) -> str:
    return repr(MASK) if secret else short(value)


def _join(where: str, key: object) -> str:
    name = str(key)
    if _IDENTIFIER.match(name):
        return f"{where}.{name}" if where else name
    return f"{where}[{jsonlib.dumps(name)}]"


def json_body_differences(expected: Any, request: Request, *, partial: bool) -> list[str]:
    """How ``request``'s body differs from the JSON ``expected`` (exactly, or ``partial``), as
    ``json <path>: ...`` lines; or that it is empty, or not JSON."""
    data = request.get_data()
    if not data:
        return [f"json: expected {short(expected)}, found an empty body"]
    try:
        received = jsonlib.loads(data)
    except ValueError:
        return [f"json: expected {short(expected)}, found a body that is not JSON: {short(data)}"]
    return [f"json {line}" for line in json_differences(expected, received, partial=partial)]
