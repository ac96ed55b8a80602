"""What the Azure AI Search and Content Safety simulators share: the error envelope, key checks,
failures primed for the next calls, and the wording of option problems."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault, misuse_hint
from harness.simulators.base import SimulatorError, json_response

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


# -- keys ----------------------------------------------------------------------------------------------


def accepted_keys(value: object) -> frozenset[str]:
    """The keys an ``api_key``-style option accepts (empty: any non-empty key)."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


def key_option_problems(options: Mapping[str, object], name: str, where: str) -> list[str]:
    """Problems with a key option: a non-empty string or a list of them."""
    if name not in options:
        return []
    value = options[name]
    good = (isinstance(value, str) and value) or (
        isinstance(value, list) and value and all(isinstance(item, str) and item for item in value)
    )
    if good:
        return []
    return [
        f"{where}.{name}: expected a non-empty string or a list of them, found {describe(value)}; "
        f'fix: {name} = "<key>" (or leave it out to accept any non-empty key)'
    ]


# -- option wording ------------------------------------------------------------------------------------


def describe(value: object) -> str:
    """A value as option messages show it: its repr (cut short) and its TOML type."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kinds.get(type(value), type(value).__name__)})"


def unknown_option_problems(options: Iterable[str], known: Iterable[str], where: str) -> list[str]:
    """One message per unknown key, with a "did you mean" when one is close."""
    known = list(known)
    problems = []
    for key in options:
        if key in known:
            continue
        hint = difflib.get_close_matches(key, known, n=1)
        fix = f'did you mean "{hint[0]}"?' if hint else f"known options: {', '.join(known)}"
        problems.append(f"{where}.{key}: unknown option; {fix}")
    return problems


# -- failures primed for the next calls ----------------------------------------------------------------


@dataclass
class _Primed:
    responder: Responder
    remaining: int
    operation: str | None


class PrimedCalls:
    """Responses (failures or :mod:`harness.faults` faults) that answer the next ``times`` calls,
    optionally of one operation only. Thread-safe; primes are consumed in the order they were made."""

    def __init__(self, operations: Iterable[str]) -> None:
        self.operations = tuple(operations)
        self._lock = threading.Lock()
        self._primed: list[_Primed] = []

    def failure(self, status: int, code: str, message: str, *, times: int, operation: str | None) -> None:
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise SimulatorError(
                f"prime_failure: status must be an HTTP error status 400-599, got {status!r}"
            )
        response = error_response(status, code, message)
        self._add(lambda request: _copy(response), times, operation)

    def fault(self, fault: Fault, *, times: int, operation: str | None) -> None:
        if not isinstance(fault, Fault):
            hint = misuse_hint(fault)  # faults.reset for faults.reset(), or faults.RESET
            raise SimulatorError(
                f"prime_fault: {hint}"
                if hint
                else f"prime_fault takes a fault from harness.faults, got {type(fault).__name__}; "
                "use prime_failure for an error response"
            )
        self._add(fault, times, operation)

    def _add(self, responder: Responder, times: int, operation: str | None) -> None:
        check_times(times)
        if operation is not None and operation not in self.operations:
            known = ", ".join(self.operations)
            raise SimulatorError(f"unknown operation {operation!r}; known operations: {known} (or None: any)")
        with self._lock:
            self._primed.append(_Primed(responder, times, operation))

    def take(self, operation: str) -> Responder | None:
        """The responder for this call of ``operation`` (one use consumed), or None."""
        with self._lock:
            for primed in self._primed:
                if primed.operation in (None, operation):
                    primed.remaining -= 1
                    if primed.remaining == 0:
                        self._primed.remove(primed)
                    return primed.responder
        return None

    def clear(self) -> None:
        with self._lock:
            self._primed.clear()


def check_times(times: object) -> None:
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise SimulatorError(f"times must be a whole number >= 1, got {times!r}")


def _copy(response: Response) -> Response:
    # werkzeug Responses are mutable and consumed once: every call gets its own.
    return Response(response.get_data(), status=response.status_code, headers=list(response.headers.items()))
