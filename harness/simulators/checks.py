"""Declarative checks for simulators: their options (at config load) and their test API's arguments.

A :class:`Check` says what one value must be; a :class:`Schema` says which keys a table of options
has and what each must be (:class:`TableOf` and :class:`ArrayOf` for tables and arrays of them). A
rule is written once and serves both places:

* an option problem is one message each, ``<where>.<key>: expected <what>, found <value> (<TOML
  type>); fix: <a good value>``, and an unknown key gets ``unknown option; did you mean "<key>"?``;
* a bad argument to a test-API method raises :class:`SimulatorError` in the test that made it,
  ``<method>(<argument>): expected <what>, got <value>`` (:func:`arguments`).

:func:`deprecated_alias` keeps a renamed test-API method working for one release; its messages name
the method as the test called it.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import inspect
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from harness.errors import HarnessError
from harness.faults.base import Fault, misuse_hint
from harness.faults.sse import Marker

P = ParamSpec("P")
R = TypeVar("R")
V = TypeVar("V")

#: A fix shown after a problem: the text, or a function of the key (``deployments.<name>``).
Fix = str | Callable[[str], str] | None


class SimulatorError(HarnessError, ValueError):
    """A simulator was primed with impossible arguments (raised in the test that primed it)."""


def describe(value: object) -> str:
    """A value as option messages show it: its repr (cut short) and its TOML type."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kinds.get(type(value), type(value).__name__)})"


def unknown_keys(table: Iterable[str], known: Iterable[str], where: str) -> list[str]:
    """One message per key of ``table`` that is not ``known``, with a "did you mean" when one is close."""
    known = list(known)
    problems = []
    for key in table:
        if key in known:
            continue
        hint = difflib.get_close_matches(key, known, n=1)
        fix = f'did you mean "{hint[0]}"?' if hint else f"known options: {', '.join(known)}"
        problems.append(f"{where}.{key}: unknown option; {fix}")
    return problems


def _fix_text(fix: Fix, where: str, key: str | None) -> str:
    if fix is None:
        return ""
    text = fix(key if key is not None else where.rsplit(".", 1)[-1]) if callable(fix) else fix
    return f"; fix: {text}"


def _found(where: str, expected: str, value: object, fix: Fix, key: str | None) -> list[str]:
    """The one option problem: ``<where>: expected <expected>, found <value> (<type>); fix: <fix>``."""
    return [f"{where}: expected {expected}, found {describe(value)}{_fix_text(fix, where, key)}"]


# -- one value -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What one value must be: ``test`` decides, ``expected`` says it in messages, ``fix`` (options
    only) shows a good value, and ``explain`` may give a better message than "expected ..., got ..."
    for a particular bad value (``faults.reset`` passed uncalled, say)."""

    test: Callable[[Any], bool]
    expected: str
    fix: Fix = None
    explain: Callable[[Any], str | None] | None = None

    def __call__(self, value: object) -> bool:
        return bool(self.test(value))

    def or_none(self) -> Check:
        """The same check, but None passes too (an argument that may be left unset)."""
        return replace(
            self, test=lambda value: value is None or self.test(value), expected=self.expected + " or None"
        )

    def with_fix(self, fix: Fix) -> Check:
        return replace(self, fix=fix)

    def problems(
        self, value: object, where: str, root: Path | None = None, key: str | None = None
    ) -> list[str]:
        """The option problem with ``value`` at ``where`` ([] when it is fine); ``key`` is the last
        part of ``where`` (a name may hold dots), for a fix that names it."""
        if self.test(value):
            return []
        return _found(where, self.expected, value, self.fix, key)

    def argument(self, value: V, where: str) -> V:
        """``value``, or :class:`SimulatorError` ``<where>: expected ..., got ...`` when it is bad."""
        if self.test(value):
            return value
        explained = self.explain(value) if self.explain is not None else None
        raise SimulatorError(f"{where}: {explained or f'expected {self.expected}, got {value!r}'}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _within(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f" >= {minimum:g}"
    return f" <= {maximum:g}" if maximum is not None else ""


def integer(
    minimum: int | None = None, maximum: int | None = None, *, expected: str | None = None, fix: Fix = None
) -> Check:
    """A whole number (a boolean is not one) within the bounds."""
    return Check(
        lambda value: _whole(value) and _within(value, minimum, maximum),
        expected or "a whole number" + _bounds(minimum, maximum),
        fix,
    )


def number(
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    expected: str | None = None,
    fix: Fix = None,
) -> Check:
    """A finite integer or float (a boolean is not one) within the bounds."""
    return Check(
        lambda value: _real(value) and _within(float(value), minimum, maximum),
        expected or "a finite number" + _bounds(minimum, maximum),
        fix,
    )


def text(*, expected: str = "a non-empty string", blank: bool = False, fix: Fix = None) -> Check:
    """A string: non-empty, and (unless ``blank``) not only white space."""
    return Check(
        lambda value: isinstance(value, str) and bool(value if blank else value.strip()), expected, fix
    )


def one_of(values: Iterable[object], *, expected: str | None = None, fix: Fix = None) -> Check:
    """One of ``values``."""
    allowed = tuple(values)
    return Check(
        lambda value: any(value == choice and type(value) is type(choice) for choice in allowed),
        expected or "one of " + ", ".join(map(repr, allowed)),
        fix,
    )


def array_of(
    item: Callable[[Any], bool], *, expected: str, non_empty: bool = False, fix: Fix = None
) -> Check:
    """A list whose every item passes ``item`` (and has one at least, when ``non_empty``)."""
    return Check(
        lambda value: isinstance(value, list) and (bool(value) or not non_empty) and all(map(item, value)),
        expected,
        fix,
    )


def instance(*types: type, expected: str, explain: Callable[[Any], str | None] | None = None) -> Check:
    """An instance of one of ``types``."""
    return Check(lambda value: isinstance(value, types), expected, explain=explain)


ANY = Check(lambda value: True, "anything")
CALLABLE = Check(callable, "a callable")
STRING = instance(str, expected="a string")
BOOLEAN = instance(bool, expected="true or false")
#: ``times=`` of every ``<verb>_next`` method.
TIMES = integer(1, expected="a whole number >= 1")
#: The status of a primed failure.
HTTP_ERROR = integer(400, 599, expected="an HTTP error status 400-599")
#: Seconds to wait (latency, retry-after).
SECONDS = number(0, expected="a finite number of seconds >= 0")
#: A fault from :mod:`harness.faults` where a route needs one; an uncalled factory says "call it".
FAULT = instance(Fault, expected="a fault from harness.faults", explain=misuse_hint)
#: What breaks a stream off: a stream marker (``faults.RESET``) or a fault.
STREAM_BREAK = instance(
    Marker,
    Fault,
    expected="faults.RESET/CLOSE/STALL/BAD_CHUNK",
    explain=lambda value: misuse_hint(value, in_stream=True),
)


# -- tables of options ---------------------------------------------------------------------------------

#: A check across the keys of a table: (the table, where it is, its key, the project root) -> problems.
Extra = Callable[[Mapping[str, Any], str, str, Path | None], list[str]]


@dataclass(frozen=True)
class Schema:
    """A table with known keys, each checked by its rule; unknown keys get a "did you mean".

    A value that is not a table at all, or lacks a valid ``required`` key, is one problem:
    ``expected <expected>, found ...; fix: <fix>``. ``extra`` checks run across keys (a field that
    only some kinds allow, a file to read) once the table is a table.
    """

    fields: Mapping[str, Rule]
    expected: str = "a table"
    fix: Fix = None
    required: tuple[str, ...] = ()
    extra: tuple[Extra, ...] = ()

    def problems(
        self, value: object, where: str, root: Path | None = None, key: str | None = None
    ) -> list[str]:
        if not isinstance(value, Mapping) or not all(
            name in value and not self.fields[name].problems(value[name], where, root)
            for name in self.required
        ):
            return _found(where, self.expected, value, self.fix, key)
        problems = unknown_keys(value, self.fields, where)
        for name, item in value.items():
            rule = self.fields.get(name)
            if rule is not None:
                problems += rule.problems(item, f"{where}.{name}", root, name)
        for extra in self.extra:
            problems += extra(value, where, key if key is not None else where.rsplit(".", 1)[-1], root)
        return problems

    def argument(self, value: object, where: str) -> dict[str, Any]:
        """``value`` as a dict, or :class:`SimulatorError` naming each problem (a test-API argument)."""
        problems = self.problems(value, where)
        if problems:
            raise SimulatorError("; ".join(problems))
        assert isinstance(value, Mapping)
        return dict(value)


@dataclass(frozen=True)
class TableOf:
    """A table of names the user chooses (deployments, indexes), each value checked by ``value``;
    with ``names``, a name it refuses is ``invalid <noun> name '<name>': expected ...``."""

    value: Rule
    expected: str
    fix: Fix = None
    names: Check | None = None
    noun: str = "key"

    def problems(
        self, value: object, where: str, root: Path | None = None, key: str | None = None
    ) -> list[str]:
        if not isinstance(value, Mapping):
            return _found(where, self.expected, value, self.fix, key)
        problems = []
        for name, item in value.items():
            at = f"{where}.{name}"
            if self.names is not None and not self.names(name):
                problems.append(
                    f"{at}: invalid {self.noun} name {name!r}: expected {self.names.expected}"
                    + _fix_text(self.names.fix, at, name)
                )
                continue
            problems += self.value.problems(item, at, root, name)
        return problems


@dataclass(frozen=True)
class ArrayOf:
    """An array whose items are each checked by ``item`` (at ``<where>[<position>]``)."""

    item: Rule
    expected: str
    fix: Fix = None

    def problems(
        self, value: object, where: str, root: Path | None = None, key: str | None = None
    ) -> list[str]:
        if not isinstance(value, list):
            return _found(where, self.expected, value, self.fix, key)
        problems = []
        for position, item in enumerate(value):
            problems += self.item.problems(item, f"{where}[{position}]", root)
        return problems


#: Anything that checks a value at a place.
Rule = Check | Schema | TableOf | ArrayOf


# -- the test API's arguments --------------------------------------------------------------------------

#: (method, the name the test called it by, whether that name is the whole label) while a
#: deprecated alias runs: messages then name what the test wrote.
_CALLED_AS: contextvars.ContextVar[tuple[str, str, bool] | None] = contextvars.ContextVar(
    "harness_simulator_called_as", default=None
)


def label(method: str, argument: str | None = None) -> str:
    """How a message names ``argument`` of ``method``: ``fail_next(status)`` (or ``fail_next``);
    inside a deprecated alias, by the old name the test called."""
    called = _CALLED_AS.get()
    if called is not None and called[0] == method:
        if called[2]:
            return called[1]
        method = called[1]
    return method if argument is None else f"{method}({argument})"


def arguments(**checks: Check) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Check the named arguments of a test-API method before it runs.

    ``@arguments(status=integer(400, 599), times=TIMES)``: a bad value raises :class:`SimulatorError`
    ``fail_next(status): expected ..., got ...`` in the test. Arguments left at their default are
    not checked (a default is right by construction, and may be a marker such as "keep").
    """

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)
        unknown = set(checks) - set(signature.parameters)
        if unknown:
            raise TypeError(f"@arguments names no parameter of {method.__qualname__}: {sorted(unknown)}")

        @functools.wraps(method)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return method(*args, **kwargs)  # Python's own message for a wrong call
            for name, check in checks.items():
                if name in bound.arguments:
                    check.argument(bound.arguments[name], label(method.__name__, name))
            return method(*args, **kwargs)

        return checked

    return decorate


def deprecated_alias(method: Callable[P, R], old: str, *, whole_label: bool = False) -> Callable[P, R]:
    """``old = deprecated_alias(new, "old")`` in a class body: ``old(...)`` takes the same arguments,
    warns (DeprecationWarning, for one release) and runs ``new``. Its messages name ``old(<argument>)``,
    or ``old`` alone with ``whole_label`` (how the method's messages read before it was renamed)."""
    new = method.__name__

    @functools.wraps(method)
    def alias(*args: P.args, **kwargs: P.kwargs) -> R:
        warnings.warn(
            f"{old}() is deprecated and goes in the next release: use {new}(), which takes the same "
            "arguments (docs/simulators.md, the priming vocabulary)",
            DeprecationWarning,
            stacklevel=2,
        )
        token = _CALLED_AS.set((new, old, whole_label))
        try:
            return method(*args, **kwargs)
        finally:
            _CALLED_AS.reset(token)

    alias.__name__ = old
    alias.__qualname__ = f"{method.__qualname__.rpartition('.')[0]}.{old}".lstrip(".")
    alias.__doc__ = f"Deprecated alias of :meth:`{new}` (same arguments), removed in the next release."
    return alias
