"""Verify what a mock service received, with failure messages that say exactly what differed.

    from harness.mocks import verify

    verify.assert_called(service, "/chat", method="POST", json_contains={"messages": [{"role": "user"}]})
    verify.assert_not_called(service, "/admin")
    verify.assert_called_in_order(service, "/login", {"path": "/items", "method": "GET"}, "/logout")

Each expected request is a :class:`Call`, whose :meth:`Call.matcher` is a pytest-httpserver
``RequestMatcher`` (:class:`CallMatcher`): the checks run its ``match`` and ``difference`` over the
service's journal (``service.requests``), and the matcher works as is with pytest-httpserver's own
``service.assert_request_made(call.matcher(), count=n)``, which counts the same requests. Beyond
pytest-httpserver: partial JSON (``json_contains``), a query mapping compared whatever the order
(repeated keys included), arrival order, and requests still being answered (see below).

Only completed requests count (requests answered by a fault included: they are calls too); a
request the service is still answering (a delay, a slow handler) is not counted, and a failure
message says how many there are. See docs/verification.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pytest_httpserver.httpserver import (
    METHOD_ALL,
    UNDEFINED,
    URI_DEFAULT,
    QueryMatcher,
    RequestMatcher,
    StringQueryMatcher,
    URIPattern,
)
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from harness.mocks.describe import VALUE_LIMIT, PathSpec, describe_path, plural, short
from harness.mocks.journal import JournalEntry
from harness.mocks.matching import (
    MAX_DIFFERENCES,
    Comparison,
    UnorderedQueryMatcher,
    compare,
    header_difference,
    json_body_differences,
    json_differences,
    parse_query,
    rank,
)
from harness.secrets import mask_headers, mask_text

__all__ = [
    "MAX_CLOSEST",
    "MAX_DIFFERENCES",
    "MAX_LISTED",
    "VALUE_LIMIT",
    "Call",
    "CallMatcher",
    "CallSpec",
    "JournaledService",
    "PathSpec",
    "QuerySpec",
    "UnorderedQueryMatcher",
    "as_request",
    "assert_called",
    "assert_called_in_order",
    "assert_not_called",
    "header_difference",
    "json_differences",
    "parse_query",
]

QuerySpec = str | bytes | Mapping[str, str | Sequence[str]]

#: How many non-matching requests a failure message details, closest first.
MAX_CLOSEST = 3
#: How many received requests it lists, one line each.
MAX_LISTED = 30


class JournaledService(Protocol):
    """What the checks read of a service: its journal (``MockService`` is one; a ``name`` attribute,
    if any, names it in messages)."""

    @property
    def requests(self) -> list[JournalEntry]: ...


# -- what is expected ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One expected request; every criterion given must hold, an unset one matches anything.

    * ``path``: the exact path (no query), or a compiled regex (``re.match``: anchored at the start
      only, end it with ``$``), or a pytest-httpserver ``URIPattern``.
    * ``method``: e.g. ``"POST"`` (case-insensitive).
    * ``query``: a mapping equal to the whole query, keys and repeated values in any order
      (``{"tag": ["a", "b"]}`` matches ``?tag=b&tag=a``); or a string compared byte for byte.
    * ``headers``: a subset of the request's headers; names case-insensitive, values exact.
    * ``json``: the body parsed as JSON equals this (``json=None`` expects a JSON ``null``).
    * ``json_contains``: the body parsed as JSON contains this (see :func:`json_differences`).
    * ``body``: the raw body, exactly (str is UTF-8 encoded).

    ``body``, ``json`` and ``json_contains`` are mutually exclusive.
    """

    path: PathSpec | None = None
    method: str | None = None
    query: QuerySpec | None = None
    headers: Mapping[str, str] | None = None
    json: Any = UNDEFINED
    json_contains: Any = UNDEFINED
    body: bytes | str | None = None

    def __post_init__(self) -> None:
        given = [name for name in ("body", "json", "json_contains") if name in self._criteria()]
        if len(given) > 1:
            raise ValueError(f"give at most one of body, json and json_contains, got {' and '.join(given)}")

    @classmethod
    def of(cls, spec: CallSpec) -> Call:
        """A Call from a path, a mapping of Call fields, or a Call."""
        if isinstance(spec, Call):
            return spec
        if isinstance(spec, Mapping):
            return cls(**spec)
        return cls(path=spec)

    def matcher(self) -> CallMatcher:
        """The pytest-httpserver ``RequestMatcher`` for this call."""
        return CallMatcher(self)

    def describe(self) -> str:
        """One line: method, path and the other criteria given."""
        return "  ".join(self.describe_lines())

    def describe_lines(self) -> list[str]:
        """Method and path, then one line per other criterion given."""
        method = self.method.upper() if self.method else "ANY"
        lines = [f"{method} {describe_path(self.path)}"]
        for name, value in self._criteria().items():
            shown = dict(mask_headers(value)) if name == "headers" else value
            lines.append(f"{name}={short(shown, 2 * VALUE_LIMIT)}")
        return lines

    def _criteria(self) -> dict[str, Any]:
        """The criteria given besides method and path (``json=None`` is given: a JSON null)."""
        criteria = {"query": self.query, "headers": self.headers, "body": self.body}
        given = {name: value for name, value in criteria.items() if value is not None}
        given |= {
            name: value
            for name, value in (("json", self.json), ("json_contains", self.json_contains))
            if value is not UNDEFINED
        }
        return given


#: What :func:`assert_called_in_order` takes for one step: a path, a mapping of :class:`Call` fields, a Call.
CallSpec = str | re.Pattern[str] | URIPattern | Mapping[str, Any] | Call


class CallMatcher(RequestMatcher):
    """pytest-httpserver's ``RequestMatcher`` for a :class:`Call`, plus ``json_contains``.

    ``match`` and ``difference`` behave as pytest-httpserver's (``difference`` may add a
    ``"json_contains"`` part), so the matcher also serves ``service.assert_request_made``.
    """

    def __init__(self, call: Call) -> None:
        super().__init__(
            uri=URI_DEFAULT if call.path is None else call.path,
            method=METHOD_ALL if call.method is None else call.method.upper(),
            data=call.body,
            headers=call.headers,
            query_string=_query_matcher(call.query),
            json=call.json,
        )
        self.call = call
        #: Read by :func:`harness.mocks.matching.explain` for a differing ``"json_contains"`` part.
        self.json_contains = call.json_contains

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.call.describe()}>"

    def difference(self, request: Request) -> list[tuple[str, str, str | URIPattern]]:
        found = super().difference(request)
        expected = self.call.json_contains
        if expected is not UNDEFINED and json_body_differences(expected, request, partial=True):
            found.append(("json_contains", request.get_data(as_text=True), repr(expected)))
        return found

    def explain(self, request: Request) -> list[str]:
        """What differs between the call and ``request``: one readable line per difference."""
        return list(compare(request, self, request).lines)


def _query_matcher(query: QuerySpec | None) -> QueryMatcher | None:
    if query is None:
        return None
    if isinstance(query, str):
        return StringQueryMatcher(query.removeprefix("?"))
    if isinstance(query, bytes):
        return StringQueryMatcher(query.removeprefix(b"?"))
    return UnorderedQueryMatcher(query)


# -- the checks ------------------------------------------------------------------------------------------


def assert_called(
    service: JournaledService,
    path: PathSpec | None = None,
    *,
    method: str | None = None,
    query: QuerySpec | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = UNDEFINED,
    json_contains: Any = UNDEFINED,
    body: bytes | str | None = None,
    times: int | None = None,
) -> list[JournalEntry]:
    """Assert that at least one completed request (exactly ``times``, if given) matched every
    criterion given (see :class:`Call`); return the matching journal entries, in arrival order.

    The count is the one ``service.assert_request_made(Call(...).matcher(), count=times)`` checks.
    """
    __tracebackhide__ = True
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise ValueError(f"times must be an int >= 0, got {times!r}")
    call = Call(path, method, query, headers, json, json_contains, body)
    journal = _Journal(service)
    matches = journal.matching(call.matcher())
    if (len(matches) == times) if times is not None else bool(matches):
        return [entry for _, entry, _ in matches]
    if times is None:
        wanted = "at least one request"
    else:
        wanted = "no request" if times == 0 else f"exactly {plural(times, 'request')}"
    lines = [f"{journal.label}: expected {wanted} matching", *_expectation(call)]
    if not journal.completed and not journal.pending:
        lines.append("but it received no requests at all.")
        raise AssertionError(mask_text("\n".join(lines)))
    numbers = f" ({', '.join(f'#{n}' for n, _, _ in matches)})" if matches else ""
    lines.append(f"{len(matches)} matched{numbers} among {journal.counted()}.")
    if times is None or len(matches) < times:
        lines += journal.closest(call.matcher(), exclude={n for n, _, _ in matches})
    lines += journal.listing()
    raise AssertionError(mask_text("\n".join(lines)))


def assert_not_called(
    service: JournaledService,
    path: PathSpec | None = None,
    *,
    method: str | None = None,
    query: QuerySpec | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = UNDEFINED,
    json_contains: Any = UNDEFINED,
    body: bytes | str | None = None,
) -> None:
    """Assert that no completed request matched every criterion given (see :class:`Call`);
    ``assert_not_called(service)`` asserts the service received nothing at all."""
    __tracebackhide__ = True
    call = Call(path, method, query, headers, json, json_contains, body)
    journal = _Journal(service)
    matches = journal.matching(call.matcher())
    if not matches:
        return
    lines = [
        f"{journal.label}: expected no request matching",
        *_expectation(call),
        f"but {len(matches)} of {journal.counted()} matched:",
    ]
    for number, entry, _ in matches[:MAX_CLOSEST]:
        lines.append(f"  {entry.summary(number)}")
        if entry.body:
            lines.append(f"      body: {entry.body_excerpt(2 * VALUE_LIMIT)}")
    if len(matches) > MAX_CLOSEST:
        lines.append(f"  ... and {len(matches) - MAX_CLOSEST} more")
    lines += journal.listing()
    raise AssertionError(mask_text("\n".join(lines)))


def assert_called_in_order(
    service: JournaledService, *calls: CallSpec, strict: bool = False
) -> list[JournalEntry]:
    """Assert that requests matching ``calls`` arrived in that order; return them, one per call.

    Each call is a path (string, regex or ``URIPattern``), a mapping of :class:`Call` fields
    (``{"path": "/items", "method": "GET"}``) or a :class:`Call`. Other requests may arrive before,
    between and after them; with ``strict=True`` the matching requests must be consecutive (nothing
    in between, though anything before or after). Order is arrival order; only completed requests
    count.
    """
    __tracebackhide__ = True
    if not calls:
        raise ValueError("assert_called_in_order needs at least one call")
    steps = [Call.of(spec) for spec in calls]
    matchers = [step.matcher() for step in steps]
    journal = _Journal(service)
    found = journal.in_order_strict(matchers) if strict else journal.in_order(matchers)
    if len(found) == len(steps):
        return [journal.completed[index][1] for index in found]
    failed = len(found)
    between = "strict: nothing in between" if strict else "other requests may come in between"
    lines = [f"{journal.label}: expected requests in this order ({between}):"]
    width = min(max(len(step.describe()) for step in steps), 2 * VALUE_LIMIT)
    for index, step in enumerate(steps):
        if index < failed:
            outcome = f"-> #{journal.completed[found[index]][0]}"
        elif index == failed:
            outcome = "-> NOT FOUND"
        else:
            outcome = ""
        lines.append(f"  {index + 1}. {step.describe()[:width].ljust(width)}  {outcome}".rstrip())
    if not journal.completed:
        lines.append(f"but it received {'no requests at all' if not journal.pending else journal.counted()}.")
        raise AssertionError(mask_text("\n".join(lines)))
    lines += _order_failure(journal, matchers, found, strict)
    lines += journal.listing()
    raise AssertionError(mask_text("\n".join(lines)))


def _order_failure(
    journal: _Journal, matchers: list[CallMatcher], found: list[int], strict: bool
) -> list[str]:
    """Why step ``len(found)`` failed: after which request, and which requests came closest."""
    step = len(found)
    label = f"step {step + 1}"
    everywhere = {n for n, _, _ in journal.matching(matchers[step])}
    if not found:
        return [f"no request matched {label}, among {journal.counted()}.", *journal.closest(matchers[step])]
    after = journal.completed[found[-1]][0]
    if strict:
        following = found[-1] + 1
        if following >= len(journal.completed):
            return [f"{label} expected right after #{after}, but no request came after it."]
        number, entry, request = journal.completed[following]
        lines = [
            f"{label} expected right after #{after}, but #{number} differs:",
            f"  {entry.summary(number)}",
        ]
        lines += [f"      {line}" for line in compare(number, matchers[step], request).shown()]
        if everywhere:
            lines.append(f"({label} matched {_numbers(sorted(everywhere))}, not right after #{after})")
        return lines
    earlier = sorted(n for n in everywhere if n < after)
    lines = [
        f"no request after #{after} matched {label}"
        + (f"; it matched only before: {_numbers(earlier)}." if earlier else ".")
    ]
    lines += journal.closest(matchers[step], exclude={n for n, _, _ in journal.completed if n <= after})
    return lines


# -- the journal, as pytest-httpserver requests ----------------------------------------------------------


class _Journal:
    """A snapshot of a service's journal: completed requests numbered as received (#1 first),
    each with a werkzeug ``Request`` rebuilt for pytest-httpserver's matchers."""

    def __init__(self, service: JournaledService) -> None:
        self.label = f"service {getattr(service, 'name', '?')!r}"
        self.entries = list(service.requests)
        self.completed = [
            (number, entry, as_request(entry))
            for number, entry in enumerate(self.entries, start=1)
            if not entry.pending
        ]
        self.pending = [entry for entry in self.entries if entry.pending]

    def matching(self, matcher: CallMatcher) -> list[tuple[int, JournalEntry, Request]]:
        return [item for item in self.completed if matcher.match(item[2])]

    def counted(self) -> str:
        """E.g. "3 completed requests (1 request still being answered)"."""
        text = plural(len(self.completed), "completed request")
        if self.pending:
            text += f" ({plural(len(self.pending), 'request')} still being answered)"
        return text

    def closest(self, matcher: CallMatcher, exclude: set[int] | frozenset[int] = frozenset()) -> list[str]:
        """The requests that came closest to ``matcher``, with what differed."""
        ranked: list[Comparison[tuple[int, JournalEntry]]] = rank(
            compare((number, entry), matcher, request)
            for number, entry, request in self.completed
            if number not in exclude
        )
        if not ranked:
            return []
        lines = ["closest requests:" if len(ranked) > 1 else "closest request:"]
        for comparison in ranked[:MAX_CLOSEST]:
            number, entry = comparison.subject
            lines.append(f"  {entry.summary(number)}")
            lines += [f"      {line}" for line in comparison.shown()]
        return lines

    def listing(self) -> list[str]:
        """One line per request received, pending ones included."""
        lines = [f"received ({len(self.entries)}):"]
        lines += [f"  {entry.summary(number)}" for number, entry in enumerate(self.entries[:MAX_LISTED], 1)]
        if len(self.entries) > MAX_LISTED:
            lines.append(f"  ... and {len(self.entries) - MAX_LISTED} more")
        return lines

    def in_order(self, matchers: list[CallMatcher]) -> list[int]:
        """Indexes into ``completed`` of the earliest in-order match of each matcher, as far as found."""
        found: list[int] = []
        start = 0
        for matcher in matchers:
            hit = next(
                (i for i in range(start, len(self.completed)) if matcher.match(self.completed[i][2])), None
            )
            if hit is None:
                break
            found.append(hit)
            start = hit + 1
        return found

    def in_order_strict(self, matchers: list[CallMatcher]) -> list[int]:
        """The longest run of consecutive requests matching the matchers from the first (earliest wins)."""
        best: list[int] = []
        for start in range(len(self.completed)):
            run: list[int] = []
            for offset, matcher in enumerate(matchers):
                index = start + offset
                if index >= len(self.completed) or not matcher.match(self.completed[index][2]):
                    break
                run.append(index)
            if len(run) > len(best):
                best = run
            if len(best) == len(matchers):
                break
        return best


def as_request(entry: JournalEntry) -> Request:
    """A werkzeug ``Request`` equivalent to a journaled request, for pytest-httpserver's matchers."""
    headers = Headers(
        [(k, v) for k, v in entry.headers if k.lower() not in ("content-length", "transfer-encoding")]
    )
    environ = EnvironBuilder(
        method=entry.method, query_string=entry.query_string, headers=headers, data=entry.body
    ).get_environ()
    environ["PATH_INFO"] = entry.path.encode("utf-8").decode("latin-1")  # WSGI's "bytes as latin-1"
    return Request(environ)


# -- formatting ------------------------------------------------------------------------------------------


def _expectation(call: Call) -> list[str]:
    first, *criteria = call.describe_lines()
    return [f"  {first}", *(f"    {line}" for line in criteria)]


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)
