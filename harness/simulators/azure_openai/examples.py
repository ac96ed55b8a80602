"""A small JSON value that fits a JSON schema: the default answer to structured outputs
(``response_format`` / ``text.format`` ``json_schema``) and the default arguments of a forced tool call.

It covers what the openai SDK sends for Pydantic models (``client.chat.completions.parse``,
``client.responses.parse``): ``$defs`` and ``$ref`` for nested models, ``anyOf`` for unions and
``Optional``, ``enum`` and ``const`` for enums and literals, ``items`` with ``minItems``,
``minimum``/``minLength``, string ``format``\\ s, and ``default``. Required properties (all of them,
when the schema does not say) are filled; the value is the same on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: How deep $ref may recurse before a self-referencing schema (a tree node) is cut with null/{}.
MAX_DEPTH = 8

#: Placeholders for string formats a validator checks.
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "duration": "P1D",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
}


def example(schema: object) -> object:
    """A value valid against ``schema`` (a JSON schema as a dict); {} for a missing schema."""
    if not isinstance(schema, Mapping):
        return {}
    return _value(schema, schema, 0)


def _resolve(reference: object, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema a local ``$ref`` (``#/$defs/Name``, ``#/definitions/Name``) points at."""
    if not isinstance(reference, str) or not reference.startswith("#"):
        return {}
    target: object = root
    for escaped in filter(None, reference[1:].split("/")):
        part = escaped.replace("~1", "/").replace("~0", "~")  # JSON pointer escapes
        target = target.get(part) if isinstance(target, Mapping) else None
    return target if isinstance(target, Mapping) else {}


def _value(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> object:
    if "$ref" in schema:
        if depth >= MAX_DEPTH:
            return None
        return _value(_resolve(schema["$ref"], root), root, depth + 1)
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for union in ("anyOf", "oneOf"):
        options = [o for o in schema.get(union) or () if isinstance(o, Mapping)]
        if options:
            # The first option that is not null: a real value tells a test more than null does.
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return _value(chosen, root, depth)
    parts = [p for p in schema.get("allOf") or () if isinstance(p, Mapping)]
    if parts:
        merged: dict[str, Any] = {}
        for part in parts:
            value = _value(part, root, depth)
            if not isinstance(value, dict):
                return value
            merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema, root, depth)
    if kind == "array":
        items = schema.get("items")
        count = schema.get("minItems", 0)
        element = _value(items, root, depth) if isinstance(items, Mapping) else "example"
        return [element] * count if isinstance(count, int) else []
    if kind == "string":
        text = _FORMATS.get(str(schema.get("format")), "example")
        minimum = schema.get("minLength")
        return text.ljust(minimum, "x") if isinstance(minimum, int) else text
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    names = required if isinstance(required, list) else list(properties)
    value: dict[str, Any] = {}
    for name in names:
        if isinstance(name, str):
            spec = properties.get(name)
            value[name] = _value(spec, root, depth) if isinstance(spec, Mapping) else None
    return value


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    """0, or the nearest value the bounds allow (a step of 1, or 0.5 for numbers, past an
    exclusive bound)."""
    step = 1 if integer else 0.5
    value: float = 0
    bounds = [
        (name, schema.get(name)) for name in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
    ]
    for name, limit in bounds:
        if not isinstance(limit, (int, float)) or isinstance(limit, bool):
            continue
        if name == "minimum" and value < limit:
            value = limit
        elif name == "exclusiveMinimum" and value <= limit:
            value = limit + step
        elif name == "maximum" and value > limit:
            value = limit
        elif name == "exclusiveMaximum" and value >= limit:
            value = limit - step
    return int(value) if integer else value
