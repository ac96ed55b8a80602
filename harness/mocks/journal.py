"""The request journal: what each mock service received and how it answered.

pytest-httpserver's own ``log`` misses requests whose handler raised and keeps whole werkzeug
objects; the journal keeps a compact, immutable record of every request, for failure reports and
for the strict "nothing unmatched" check.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from harness.secrets import mask_text

BODY_EXCERPT = 300
#: How far past the cut a body is masked, for a secret value that starts before it.
_MASK_WINDOW = 4096


class RequestHeaders(tuple[tuple[str, str], ...]):
    """A request's headers: the ``(name, value)`` pairs in the order they came, which also answer
    ``headers["Api-Key"]``, ``.get(name)`` and ``name in headers`` by name, case-insensitively, as
    werkzeug's ``Headers`` do (the first value of a repeated header; :meth:`getlist` for all)."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for name, value in tuple.__iter__(self):
                if name.lower() == key.lower():
                    return value
            raise KeyError(key)
        return tuple.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return any(name.lower() == key.lower() for name, _ in tuple.__iter__(self))
        return tuple.__contains__(self, key)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of header ``key`` (any case), or ``default``."""
        try:
            return str(self[key])
        except KeyError:
            return default

    def getlist(self, key: str) -> list[str]:
        """Every value of header ``key`` (any case), in order."""
        return [value for name, value in tuple.__iter__(self) if name.lower() == key.lower()]

    def keys(self) -> list[str]:
        return [name for name, _ in tuple.__iter__(self)]

    def items(self) -> list[tuple[str, str]]:
        return list(tuple.__iter__(self))


@dataclass(frozen=True)
class JournalEntry:
    """One request a mock service received."""

    method: str
    path: str
    query_string: str
    #: ``(name, value)`` pairs; also ``headers["name"]`` and ``headers.get("name")``, any case.
    headers: RequestHeaders
    body: bytes
    status: int | None
    matched: bool
    expectation: str | None
    started: float
    duration: float
    error: str | None = None
    #: The fault the answer was (e.g. "connection reset"), if any.
    fault: str | None = None
    #: True while the request is still being answered (a delay, a slow handler).
    pending: bool = False
    #: For an unmatched request: the closest expectation and what differed.
    near_miss: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.headers, RequestHeaders):  # built from plain pairs
            object.__setattr__(self, "headers", RequestHeaders(self.headers))

    @property
    def target(self) -> str:
        """Path plus query string, as on the request line."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def body_excerpt(self, limit: int = BODY_EXCERPT) -> str:
        """The body as text, at most ``limit`` characters of it, secrets masked: before the cut, which
        could leave a secret value unterminated and so unrecognised."""
        text = self.body.decode("utf-8", errors="replace")
        if len(text) <= limit:
            return mask_text(text)
        return f"{mask_text(text[: limit + _MASK_WINDOW])[:limit]}... ({len(self.body)} bytes)"

    def describe(self) -> str:
        """A short multi-line description for reports, secrets masked (query, body, expectation)."""
        return mask_text(self._describe())

    def _describe(self) -> str:
        status = "no response" if self.status is None else str(self.status)
        if self.pending:
            return f"{self.method} {self.target} -> still being answered" + (
                f"\n    body: {self.body_excerpt()}" if self.body else ""
            )
        if not self.matched:
            outcome = f"{status}, matched NO expectation"
        else:
            outcome = f"{status}, answered by {self.expectation}"
        if self.fault:
            outcome += f" with fault: {self.fault}"
        lines = [f"{self.method} {self.target} -> {outcome} ({self.duration * 1000:.1f} ms)"]
        if self.body:
            lines.append(f"    body: {self.body_excerpt()}")
        if self.near_miss:
            lines += [f"    {line}" for line in self.near_miss.splitlines()]
        if self.error:
            lines.append(f"    handler raised: {self.error}")
        return "\n".join(lines)


class Journal:
    """A thread-safe, clearable list of :class:`JournalEntry`.

    A request is entered when it arrives (:meth:`open`, as pending) and completed when it has been
    answered (:meth:`close`), so a test sees a request its mock is still delaying. Completing an
    entry from before the last :meth:`clear` does nothing: it belongs to an earlier test.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[JournalEntry] = []
        self._generation = 0

    def add(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def open(self, entry: JournalEntry) -> tuple[int, int]:
        """Enter ``entry``; return the token :meth:`close` needs to complete it."""
        with self._lock:
            self._entries.append(entry)
            return self._generation, len(self._entries) - 1

    def close(self, token: tuple[int, int], entry: JournalEntry) -> bool:
        """Replace the entry opened with ``token`` by ``entry``; False if it was cleared since."""
        generation, index = token
        with self._lock:
            if generation != self._generation:
                return False
            self._entries[index] = entry
            return True

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries = []
            self._generation += 1

    def unmatched(self) -> list[JournalEntry]:
        return [entry for entry in self.entries() if not entry.matched and not entry.pending]
