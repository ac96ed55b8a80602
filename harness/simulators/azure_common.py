"""What the Azure AI Search and Content Safety simulators share: the error envelope, key checks
and failures primed for the next calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault
from harness.simulators.base import NextCalls, json_response
from harness.simulators.checks import FAULT, TIMES, Check, arguments, deprecated_alias, label, one_of

Responder = Callable[[Request], Response]


class ServiceError(Exception):
    """Raised inside a simulator to answer with the service's error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message)


def error_response(status: int, code: str, message: str) -> Response:
    """``{"error": {"code": ..., "message": ...}}``, the envelope both services answer errors with."""
    return json_response({"error": {"code": code, "message": message}}, status=status)


def error_responder(status: int, code: str, message: str) -> Responder:
    """A responder answering that error, a fresh Response each call (a ``fail_next`` prime)."""
    return lambda request: error_response(status, code, message)


# -- keys ----------------------------------------------------------------------------------------------


def accepted_keys(value: object) -> frozenset[str]:
    """The keys an ``api_key``-style option accepts (empty: any non-empty key)."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


#: An ``api_key``-style option: a non-empty string or a list of them.
KEYS = Check(
    lambda value: (
        (isinstance(value, str) and bool(value))
        or (isinstance(value, list) and bool(value) and all(isinstance(item, str) and item for item in value))
    ),
    "a non-empty string or a list of them",
    fix=lambda key: f'{key} = "<key>" (or leave it out to accept any non-empty key)',
)


# -- failures primed for the next calls ----------------------------------------------------------------


class PrimedFailures:
    """``fault_next`` (and what each simulator's ``fail_next`` uses) for a simulator whose calls are of
    the ``OPERATIONS`` it names: failures and faults for the next calls, of one operation when given.
    The simulator makes ``self._failures = self.next_calls()`` and asks it in ``handle``."""

    #: The operations ``operation=`` may name.
    OPERATIONS: ClassVar[tuple[str, ...]] = ()
    _failures: NextCalls[Any]

    @arguments(fault=FAULT, times=TIMES)
    def fault_next(self, fault: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """The next ``times`` calls (of ``operation``, when given) are answered by ``fault`` from
        :mod:`harness.faults` (a reset, a delay, a truncated body...)."""
        self._prime_failure(fault, f"fault {fault.description}", times, operation, "fault_next")

    def _prime_failure(
        self, responder: Responder, description: str, times: int, operation: str | None, method: str
    ) -> None:
        one_of(self.OPERATIONS).or_none().argument(operation, label(method, "operation"))
        aimed = f"{description} for {operation}" if operation else description
        self._failures.add(responder, times=times, description=aimed, operation=operation)

    # A deprecated name, kept for one release (CHANGELOG.md); its messages read as they did.
    prime_fault = deprecated_alias(fault_next, "prime_fault", whole_label=True)
