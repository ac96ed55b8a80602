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


def _first_difference(left: Any, right: Any, where: str = "$") -> str | None:
    """Where two JSON values first differ, and how (None: equal)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in [*left, *(key for key in right if key not in left)]:
            if key not in right:
                return f"{where}.{key} is not in the recording"
            if key not in left:
                return f"{where}.{key} is missing (the recording has {_short(right[key])})"
            found = _first_difference(left[key], right[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            found = _first_difference(a, b, f"{where}[{index}]")
            if found:
                return found
        if len(left) != len(right):
            return f"{where} has {len(left)} items, the recording {len(right)}"
        return None
    if left != right:
        return f"{where} is {_short(left)}, the recording has {_short(right)}"
    return None


def differences(request: _Comparable, recorded: _Comparable) -> list[str]:
    """What differs between a request and a recorded one, most telling first."""
    found = []
    if request.method != recorded.method:
        found.append(f"method {request.method} (recorded {recorded.method})")
    if request.path != recorded.path:
        found.append(f"path {request.path} (recorded {recorded.path})")
    if request.query != recorded.query:
        found.append(f"query {dict(request.query)} (recorded {dict(recorded.query)})")
    if request.headers != recorded.headers:
        found.append(f"headers {dict(request.headers)} (recorded {dict(recorded.headers)})")
    if request.body != recorded.body:
        if isinstance(request.body, (dict, list)) and isinstance(recorded.body, (dict, list)):
            found.append(f"body: {_first_difference(request.body, recorded.body)}")
        else:
            found.append(f"body {_short(request.body)} (recorded {_short(recorded.body)})")
    return found


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
            key=lambda pair: (len(pair[0]), pair[1]),
        )
        found, index = ranked[0]
        closest = self.exchanges[index].request
        return (
            f"closest recorded request ({self.source}, exchange {index + 1} of {len(self.exchanges)}): "
            f"{closest.method} {closest.path}; differs in {'; '.join(found)}"
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
