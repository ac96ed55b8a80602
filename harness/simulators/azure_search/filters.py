"""The subset of OData ``$filter`` expressions the search simulator evaluates.

Supported: comparisons ``field eq|ne|gt|ge|lt|le <literal>`` (strings in single quotes with ``''``
for a quote, numbers, ``true``, ``false``, ``null``), ``and``, ``or``, ``not``, parentheses,
``search.in(field, 'a,b'[, ',' ])`` and ``collection/any(x: <expression over x>)`` /
``collection/all(...)``, with sub-fields as ``a/b``. Anything else is a :class:`FilterError`, which
the simulator answers with a 400 naming what it does not support: never silently ignored, so a test
cannot pass on a filter that was not applied.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]
_Value = Callable[[Mapping[str, Any]], Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w:]))"
    r"|(?P<name>[A-Za-z_][\w.]*(?:/[A-Za-z_]\w*)*)|(?P<punct>[(),:]))"
)
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_LITERALS = {"true": True, "false": False, "null": None}


class FilterError(ValueError):
    """A filter the simulator cannot evaluate (malformed, or outside the supported subset)."""


def compile_filter(text: str) -> Predicate:
    """A predicate over documents from OData filter ``text``; FilterError if unsupported."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip() == "":
                    break
                raise FilterError(f"unsupported syntax at position {position}: {text[position:][:30]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.position = 0

    # -- tokens --------------------------------------------------------------------------------------

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.position += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] in ("name", "punct") and token[1] == value:
            self.position += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            token = self.peek()
            found = "the end" if token is None else repr(token[1])
            raise FilterError(f"expected {value!r}, found {found}")

    # -- grammar -------------------------------------------------------------------------------------

    def parse(self) -> Predicate:
        predicate = self.or_expression()
        token = self.peek()
        if token is not None:
            raise FilterError(
                f"unexpected {token[1]!r} (supported: eq ne gt ge lt le, and, or, not, search.in, any/all)"
            )
        return predicate

    def or_expression(self) -> Predicate:
        parts = [self.and_expression()]
        while self.accept("or"):
            parts.append(self.and_expression())
        return parts[0] if len(parts) == 1 else (lambda doc: any(part(doc) for part in parts))

    def and_expression(self) -> Predicate:
        parts = [self.unary()]
        while self.accept("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda doc: all(part(doc) for part in parts))

    def unary(self) -> Predicate:
        if self.accept("not"):
            inner = self.unary()
            return lambda doc: not inner(doc)
        if self.accept("("):
            inner = self.or_expression()
            self.expect(")")
            return inner
        return self.term()

    def term(self) -> Predicate:
        kind, value = self.next()
        if kind != "name":
            raise FilterError(f"expected a field name, found {value!r}")
        if value == "search.in":
            return self.search_in()
        if value in ("true", "false"):
            constant = value == "true"
            return lambda doc: constant
        segments = value.split("/")
        if segments[-1] in ("any", "all") and len(segments) > 1 and self.peek() == ("punct", "("):
            return self.lambda_expression(segments[:-1], segments[-1])
        left = self.field(segments)
        token = self.peek()
        if token is None or token[1] not in _COMPARISONS:
            # A bare boolean field ("isActive") is a valid filter on its own.
            if token is None or token[1] in ("and", "or", ")"):
                return lambda doc: left(doc) is True
            raise FilterError(f"unsupported operator {token[1]!r} (supported: {', '.join(_COMPARISONS)})")
        compare = _COMPARISONS[self.next()[1]]
        right = self.literal()
        return lambda doc: _compare(compare, left(doc), right)

    def search_in(self) -> Predicate:
        self.expect("(")
        kind, value = self.next()
        if kind != "name":
            raise FilterError(f"search.in takes a field first, found {value!r}")
        field = self.field(value.split("/"))
        self.expect(",")
        values = self.literal()
        delimiters = " ,"
        if self.accept(","):
            delimiters = self.literal()
        self.expect(")")
        if not isinstance(values, str) or not isinstance(delimiters, str) or not delimiters:
            raise FilterError(
                "search.in takes a field, a string of values and optionally a string of delimiters"
            )
        allowed = {item for item in re.split("[" + re.escape(delimiters) + "]", values) if item}
        return lambda doc: field(doc) in allowed

    def lambda_expression(self, segments: list[str], quantifier: str) -> Predicate:
        collection = self.field(segments)
        self.expect("(")
        if self.accept(")"):  # "tags/any()": the collection is not empty
            return lambda doc: bool(collection(doc))
        kind, variable = self.next()
        if kind != "name" or "/" in variable:
            raise FilterError(f"expected a lambda variable, found {variable!r}")
        self.expect(":")
        body = self.or_expression()
        self.expect(")")
        check = any if quantifier == "any" else all

        def quantified(doc: Mapping[str, Any]) -> bool:
            items = collection(doc)
            if not isinstance(items, list):
                return False
            return check(body({**doc, variable: item}) for item in items)

        return quantified

    def field(self, segments: list[str]) -> _Value:
        def value(doc: Mapping[str, Any]) -> Any:
            current: Any = doc
            for segment in segments:
                if not isinstance(current, Mapping):
                    return None
                current = current.get(segment)
            return current

        return value

    def literal(self) -> Any:
        kind, value = self.next()
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            number = float(value)
            return (
                int(number)
                if number.is_integer() and "." not in value and "e" not in value.lower()
                else number
            )
        if kind == "name" and value in _LITERALS:
            return _LITERALS[value]
        raise FilterError(f"expected a literal ('text', a number, true, false or null), found {value!r}")


def _compare(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    if compare in (operator.eq, operator.ne):
        return compare(left, right)
    if left is None or right is None:
        return False  # OData: ordering comparisons with null are false
    try:
        return compare(left, right)
    except TypeError:  # e.g. a string field compared with a number: no match, as a typed index would not
        return False
