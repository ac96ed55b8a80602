"""The request journal: what each mock service received and how it answered.

pytest-httpserver's own ``log`` misses requests whose handler raised and keeps whole werkzeug
objects; the journal keeps a compact, immutable record of every request, for failure reports and
for the strict "nothing unmatched" check. A request is journaled on arrival, as
:attr:`RequestState.PENDING`, and completed once answered, as ``MATCHED`` or ``UNMATCHED``.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.mocks.describe import TARGET_LIMIT, excerpt, request_line, target
from harness.secrets import mask_text

BODY_EXCERPT = 300


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


class RequestState(enum.Enum):
    """Where a journaled request stands."""

    #: Arrived and still being answered (a delay, a slow handler, a stall).
    PENDING = "pending"
    #: Answered by an expectation (or by the service's simulator).
    MATCHED = "matched"
    #: Answered, but no expectation matched it (a strict service fails the test).
    UNMATCHED = "unmatched"


@dataclass(frozen=True, init=False)
class JournalEntry:
    """One request a mock service received."""

    method: str
    path: str
    query_string: str
    #: ``(name, value)`` pairs; also ``headers["name"]`` and ``headers.get("name")``, any case.
    headers: RequestHeaders
    body: bytes
    status: int | None
    state: RequestState
    expectation: str | None
    started: float
    duration: float
    error: str | None
    #: The fault the answer was (e.g. "connection reset"), if any.
    fault: str | None
    #: For an unmatched request: the closest expectation and what differed.
    near_miss: str | None
    #: What the service's OpenAPI document says is wrong with the request or its answer.
    violations: tuple[str, ...]

    def __init__(  # noqa: PLR0917 - positional, as the dataclass fields were
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        status: int | None,
        matched: bool | None = None,
        expectation: str | None = None,
        started: float = 0.0,
        duration: float = 0.0,
        error: str | None = None,
        fault: str | None = None,
        pending: bool = False,
        near_miss: str | None = None,
        *,
        state: RequestState | None = None,
        violations: tuple[str, ...] = (),
    ) -> None:
        """``state`` says where the request stands; without it (the form before ``state``
        existed) ``pending``, else ``matched`` (default True) does."""
        if state is None:
            if pending:
                state = RequestState.PENDING
            else:
                state = RequestState.UNMATCHED if matched is False else RequestState.MATCHED
        if not isinstance(headers, RequestHeaders):  # built from plain pairs
            headers = RequestHeaders(headers)
        self.__dict__.update(  # frozen: not through __setattr__
            method=method,
            path=path,
            query_string=query_string,
            headers=headers,
            body=body,
            status=status,
            state=state,
            expectation=expectation,
            started=started,
            duration=duration,
            error=error,
            fault=fault,
            near_miss=near_miss,
            violations=violations,
        )

    @property
    def pending(self) -> bool:
        """True while the request is still being answered (a delay, a slow handler)."""
        return self.state is RequestState.PENDING

    @property
    def matched(self) -> bool:
        """False only for a request answered without any expectation matching it (a pending one,
        whose answer is not known yet, is not unmatched); see :attr:`state`."""
        return self.state is not RequestState.UNMATCHED

    @property
    def target(self) -> str:
        """Path plus query string, as on the request line."""
        return target(self.path, self.query_string)

    def body_excerpt(self, limit: int = BODY_EXCERPT) -> str:
        """The body as text, at most ``limit`` characters of it, secrets masked: before the cut, which
        could leave a secret value unterminated and so unrecognised."""
        return excerpt(self.body, limit)

    def describe(self) -> str:
        """A short multi-line description for reports, secrets masked (query, body, expectation)."""
        line = request_line(self.method, self.target)
        if self.state is RequestState.PENDING:
            body = f"\n    body: {self.body_excerpt()}" if self.body else ""
            return mask_text(f"{line} -> still being answered{body}")
        if self.state is RequestState.UNMATCHED:
            outcome = f"{self._status()}, matched NO expectation"
        else:
            outcome = f"{self._status()}, answered by {self.expectation}"
        if self.fault:
            outcome += f" with fault: {self.fault}"
        lines = [f"{line} -> {outcome} ({self.duration * 1000:.1f} ms)"]
        if self.body:
            lines.append(f"    body: {self.body_excerpt()}")
        if self.near_miss:
            lines += [f"    {note}" for note in self.near_miss.splitlines()]
        if self.error:
            lines.append(f"    handler raised: {self.error}")
        lines += [f"    contract: {violation}" for violation in self.violations]
        return mask_text("\n".join(lines))

    def summary(self, number: int | None = None) -> str:
        """One line, ``#2 POST /chat?x=1 -> 200`` (``number``: the request's place in the journal),
        with the fault, or that no expectation matched, or that the handler raised; masked."""
        if self.state is RequestState.PENDING:
            outcome = "still being answered"
        else:
            outcome = self._status()
            if self.fault:
                outcome += f" (fault: {self.fault})"
            elif self.state is RequestState.UNMATCHED:
                outcome += " (matched no expectation)"
            elif self.error:
                outcome += " (handler raised)"
        prefix = "" if number is None else f"#{number} "
        return mask_text(f"{prefix}{request_line(self.method, self.target, TARGET_LIMIT)} -> {outcome}")

    def _status(self) -> str:
        return "no response" if self.status is None else str(self.status)


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
        return [entry for entry in self.entries() if entry.state is RequestState.UNMATCHED]
