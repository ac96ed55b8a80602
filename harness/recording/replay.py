"""Replay: which recorded exchange answers a request, and how close the others came.

A request matches a recorded one on its method, path, query and body (both in the form a recording
keeps them: secrets masked), less what the service's ``[replay]`` options ignore:

* ``ignore_query``: query parameters left out of the comparison (``timestamp``);
* ``ignore_json_fields``: JSON body fields left out, as dotted paths (``metadata.request_id``;
  through arrays: ``messages.name`` leaves ``name`` out of every message);
* ``match_headers``: headers compared too (none are, by default: clients add their own).

Exchanges answer in the order they were recorded: the first matching one not used yet, then (a
client that retries more often than when it was recorded) the last matching one again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.recording.cassette import Exchange, RecordedRequest

#: The most characters of a value a near-miss message shows.
_SHOWN = 60


@dataclass(frozen=True)
class ReplayOptions:
    """A service's ``[tool.harness.services.<name>.replay]`` table."""

    ignore_query: tuple[str, ...] = ()
    ignore_json_fields: tuple[str, ...] = ()
    match_headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Comparable:
    method: str
    path: str
    query: tuple[tuple[str, tuple[str, ...]], ...]
    headers: tuple[tuple[str, str], ...]
    body: Any


def _without(value: Any, dotted: Sequence[str]) -> Any:
    """``value`` (JSON) without the fields at ``dotted`` paths."""
    if isinstance(value, list):
        return [_without(item, dotted) for item in value]
    if not isinstance(value, dict):
        return value
    here = {path for path in dotted if "." not in path}
    below: dict[str, list[str]] = {}
    for path in dotted:
        head, dot, rest = path.partition(".")
        if dot:
            below.setdefault(head, []).append(rest)
    return {
        key: _without(item, below[key]) if key in below else item
        for key, item in value.items()
        if key not in here
    }


def _body(request: RecordedRequest, options: ReplayOptions) -> Any:
    body = request.body
    if not body:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return _without(value, options.ignore_json_fields) if options.ignore_json_fields else value


def comparable(request: RecordedRequest, options: ReplayOptions) -> _Comparable:
    ignored = {name.lower() for name in options.ignore_query}
    query = tuple(
        sorted((name, tuple(values)) for name, values in request.query.items() if name.lower() not in ignored)
    )
    headers = tuple((name.lower(), request.headers.get(name.lower(), "")) for name in options.match_headers)
    return _Comparable(request.method.upper(), request.path, query, headers, _body(request, options))


def _short(value: Any) -> str:
    text = (
        value.decode("utf-8", "replace")
        if isinstance(value, bytes)
        else json.dumps(value, ensure_ascii=False)
    )
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


#: The most differences a near miss names in a body.
_BODY_DIFFERENCES = 3


def _json_differences(left: Any, right: Any, where: str = "$", field: str = "") -> list[tuple[str, str]]:
    """``(dotted field, how)`` for each place two JSON values differ (the field without array
    indices, as ``ignore_json_fields`` takes it)."""
    if isinstance(left, dict) and isinstance(right, dict):
        found: list[tuple[str, str]] = []
        for key in [*left, *(key for key in right if key not in left)]:
            name = f"{field}.{key}" if field else str(key)
            if key not in right:
                found.append((name, f"{where}.{key} is not in the recording"))
            elif key not in left:
                found.append((name, f"{where}.{key} is missing (the recording has {_short(right[key])})"))
            else:
                found += _json_differences(left[key], right[key], f"{where}.{key}", name)
        return found
    if isinstance(left, list) and isinstance(right, list):
        found = []
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            found += _json_differences(a, b, f"{where}[{index}]", field)
        if len(left) != len(right):
            found.append((field, f"{where} has {len(left)} items, the recording {len(right)}"))
        return found
    if left != right:
        return [(field, f"{where} is {_short(left)}, the recording has {_short(right)}")]
    return []


@dataclass(frozen=True)
class Differences:
    """How a request differs from a recorded one: each difference in words, and the ``[replay]``
    options that would leave out the query parameters and JSON fields that differ."""

    found: tuple[str, ...]
    ignore_query: tuple[str, ...] = ()
    ignore_json_fields: tuple[str, ...] = ()

    def fix(self) -> str:
        """The fix, naming the ignore options that would make the request match, if any would."""
        options = []
        if self.ignore_query:
            options.append(
                "ignore_query = [" + ", ".join(json.dumps(name) for name in self.ignore_query) + "]"
            )
        if self.ignore_json_fields:
            names = ", ".join(json.dumps(name) for name in self.ignore_json_fields)
            options.append(f"ignore_json_fields = [{names}]")
        if not options:
            return "record the test again with --harness-record"
        return (
            "record the test again with --harness-record; or, if that changes between runs, set "
            f"{' and '.join(options)} in the service's [replay] table"
        )


def differences(request: _Comparable, recorded: _Comparable) -> Differences:
    """What differs between a request and a recorded one, most telling first."""
    found = []
    if request.method != recorded.method:
        found.append(f"method {request.method} (recorded {recorded.method})")
    if request.path != recorded.path:
        found.append(f"path {request.path} (recorded {recorded.path})")
    names: list[str] = []
    if request.query != recorded.query:
        live, kept = dict(request.query), dict(recorded.query)
        names = [name for name in dict.fromkeys([*live, *kept]) if live.get(name) != kept.get(name)]
        for name in names:
            found.append(
                f"query parameter {name}: {_listed(live.get(name))} (recorded {_listed(kept.get(name))})"
            )
    if request.headers != recorded.headers:
        found.append(f"headers {dict(request.headers)} (recorded {dict(recorded.headers)})")
    fields: list[str] = []
    if request.body != recorded.body:
        if isinstance(request.body, (dict, list)) and isinstance(recorded.body, (dict, list)):
            body = _json_differences(request.body, recorded.body)
            fields = [field for field in dict.fromkeys(field for field, _ in body) if field]
            shown = [how for _, how in body[:_BODY_DIFFERENCES]]
            more = f" (and {len(body) - _BODY_DIFFERENCES} more)" if len(body) > _BODY_DIFFERENCES else ""
            found.append("body: " + "; ".join(shown) + more)
        else:
            found.append(f"body {_short(request.body)} (recorded {_short(recorded.body)})")
    structural = request.method != recorded.method or request.path != recorded.path
    return Differences(
        tuple(found),
        () if structural else tuple(names),
        () if structural else tuple(fields),
    )


def _listed(values: Sequence[str] | None) -> str:
    if values is None:
        return "absent"
    return ", ".join(repr(value) for value in values) if values else "''"


@dataclass
class Replayer:
    """One test's recorded exchanges of one service, answered in order (thread-safe)."""

    exchanges: Sequence[Exchange]
    options: ReplayOptions = field(default_factory=ReplayOptions)
    source: str = ""

    def __post_init__(self) -> None:
        self._keys = [comparable(exchange.request, self.options) for exchange in self.exchanges]
        self._used = [False] * len(self.exchanges)
        self._lock = threading.Lock()

    def answer(self, request: RecordedRequest) -> Exchange | None:
        """The exchange that answers ``request`` (in its recorded form), or None."""
        key = comparable(request, self.options)
        with self._lock:
            last = None
            for index, recorded in enumerate(self._keys):
                if recorded != key:
                    continue
                if not self._used[index]:
                    self._used[index] = True
                    return self.exchanges[index]
                last = index
            return None if last is None else self.exchanges[last]

    def near_miss(self, request: RecordedRequest) -> str:
        """The closest recorded request and how it differs (for an unmatched request's report)."""
        if not self.exchanges:
            return f"the recording {self.source} has no exchange for this service"
        key = comparable(request, self.options)
        ranked = sorted(
            ((differences(key, recorded), index) for index, recorded in enumerate(self._keys)),
            key=lambda pair: (len(pair[0].found), pair[1]),
        )
        found, index = ranked[0]
        closest = self.exchanges[index].request
        return (
            f"closest recorded request ({self.source}, exchange {index + 1} of {len(self.exchanges)}): "
            f"{closest.method} {closest.path}; differs in {'; '.join(found.found)}\n  fix: {found.fix()}"
        )


def request_query(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Query pairs as a recording keeps them: each name with its values in order."""
    query: dict[str, list[str]] = {}
    for name, value in pairs:
        query.setdefault(name, []).append(value)
    return query


def lowered(headers: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {name.lower(): value for name, value in pairs}
