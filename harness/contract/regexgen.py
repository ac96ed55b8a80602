"""A short string matching a (simple) regular expression, for schema ``pattern``s.

Built from Python's own parse of the pattern (``re._parser``; ``sre_parse`` before 3.11): literals,
classes, categories, groups, alternatives (the first) and repeats (as few as the lengths allow).
Look-arounds and back-references produce nothing. The result is checked with ``re.search``, as the
validator does; ``None`` when no candidate fits.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

_parser: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

#: Characters tried for a negated class or ``.``.
_CANDIDATES = "a0A_-.~ zZ9"


def _name(op: Any) -> str:
    return str(getattr(op, "name", op))


def _class_char(items: Any) -> str:
    """A character of a class: a letter or digit when the class has one (readable), else the first."""
    negate = any(_name(op) == "NEGATE" for op, _value in items)
    pattern = re.compile("[" + ("^" if negate else "") + _class_body(items) + "]")
    for candidate in _CANDIDATES:
        if pattern.fullmatch(candidate):
            return candidate
    for op, value in items:
        name = _name(op)
        if name == "LITERAL" and not negate:
            return chr(value)
        if name == "RANGE" and not negate:
            return chr(value[0])
    return "a"


def _class_body(items: Any) -> str:
    body = ""
    for op, value in items:
        name = _name(op)
        if name == "LITERAL":
            body += re.escape(chr(value))
        elif name == "RANGE":
            body += re.escape(chr(value[0])) + "-" + re.escape(chr(value[1]))
        elif name == "CATEGORY":
            body += {
                "CATEGORY_DIGIT": r"\d",
                "CATEGORY_NOT_DIGIT": r"\D",
                "CATEGORY_SPACE": r"\s",
                "CATEGORY_NOT_SPACE": r"\S",
                "CATEGORY_WORD": r"\w",
                "CATEGORY_NOT_WORD": r"\W",
            }.get(_name(value), "")
    return body


def _emit(parsed: Any, repeat: int) -> str:
    text = ""
    for op, value in parsed:
        name = _name(op)
        if name == "LITERAL":
            text += chr(value)
        elif name == "NOT_LITERAL":
            text += "b" if chr(value) == "a" else "a"
        elif name == "ANY":
            text += "a"
        elif name == "IN":
            text += _class_char(value)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = value
            count = max(low, min(repeat, high))
            text += _emit(sub, repeat) * count
        elif name == "SUBPATTERN":
            text += _emit(value[-1], repeat)
        elif name == "BRANCH":
            text += _emit(value[1][0], repeat)
        elif name == "ATOMIC_GROUP":
            text += _emit(value, repeat)
        # AT (anchors), ASSERT/ASSERT_NOT, GROUPREF...: nothing
    return text


def matching_string(pattern: str, *, min_length: int = 0, max_length: int | None = None) -> str | None:
    """A string ``re.search(pattern, ...)`` accepts within the length bounds, or ``None``."""
    try:
        compiled = re.compile(pattern)
        parsed = _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    for repeat in (1, 0, 2, 3, 4, 8, 16, 32, 64):
        try:
            candidate = _emit(parsed, repeat)
        except Exception:  # a construct this small generator does not know: no example from it
            return None
        if len(candidate) < min_length or (max_length is not None and len(candidate) > max_length):
            continue
        if compiled.search(candidate):
            return candidate
    return None
