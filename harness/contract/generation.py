"""Values generated from a schema, deterministically, for example answers.

* ``const``, then ``enum`` (its first value), then a valid ``default``, then a valid schema
  ``example`` (left out in a second attempt: see :mod:`harness.contract.examples`);
* strings from their ``format`` (date-time ``2024-01-01T00:00:00Z``, uuid, uri, email...) or a
  simple ``pattern``, within ``minLength``/``maxLength``; numbers within the bounds and
  ``multipleOf``; arrays of ``minItems`` items (at least one unless ``maxItems`` is 0), distinct
  when ``uniqueItems``;
* objects with every required property, and the optional ones down to :data:`OPTIONAL_DEPTH`
  levels (``writeOnly`` ones left out: these are answers); ``allOf`` merged, ``oneOf``/``anyOf``
  the first option that validates, a discriminated base as its first subtype with the
  discriminator set;
* a ``$ref`` met again inside itself stops the recursion (an optional property is left out, an
  array left empty, a required value is ``null`` when nullable, else empty).

"Valid" is judged by the response validator of the contract (:class:`SchemaFactory`).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from harness.contract.discriminators import Polymorphism
from harness.contract.errors import ContractError
from harness.contract.regexgen import matching_string
from harness.contract.schemas import SchemaFactory
from harness.contract.store import DocumentStore, Node

#: Optional properties are generated in objects up to this depth (the top-level body is depth 0).
OPTIONAL_DEPTH = 3

_FORMATS: dict[str, Any] = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "AAAA",
    "base64url": "AAAA",
    "duration": "PT1S",
    "date-time-rfc1123": "Mon, 01 Jan 2024 00:00:00 GMT",
    "json-pointer": "/a",
    "relative-json-pointer": "0",
    "password": "password",
    "arm-id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/example",
}

#: The integer of ``format: unixtime``: 2024-01-01T00:00:00Z.
_UNIXTIME = 1704067200


class _Skip:
    """Nothing generated: the schema recursed into itself."""


_SKIP = _Skip()


def _nullable(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    declared = schema.get("type")
    return (
        schema.get("nullable") is True
        or schema.get("x-nullable") is True
        or (isinstance(declared, list) and "null" in declared)
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _View:
    """A schema with its ``allOf`` members merged. ``parts`` is in pre-order (own keywords first, so
    they win); properties come in inheritance order (a base's before its extension's), each with
    the schema of the part closest to the viewed one."""

    def __init__(self, parts: list[Node], inheritance: list[Node]) -> None:
        self.parts = parts
        self.properties: dict[str, Node] = {}
        self.required: list[str] = []
        for part in inheritance:
            for name, _node in part.child("properties").items():
                if name not in self.properties:
                    self.properties[name] = next(
                        owner.child("properties", name)
                        for owner in parts
                        if isinstance(owner.get("properties"), dict) and name in owner.value["properties"]
                    )
            required = part.get("required")
            for name in required if isinstance(required, list) else []:
                if isinstance(name, str) and name not in self.required:
                    self.required.append(name)

    def keyword(self, name: str) -> Any:
        for part in self.parts:
            if name in part.value:
                return part.value[name]
        return None

    def node(self, name: str) -> Node | None:
        for part in self.parts:
            if isinstance(part.value.get(name), dict):
                return part.child(name)
        return None


class ValueGenerator:
    """Generates a value for a schema node (see the module docstring)."""

    def __init__(self, *, store: DocumentStore, factory: SchemaFactory, use_examples: bool) -> None:
        self._store = store
        self._factory = factory
        self._use_examples = use_examples
        self._stack: list[tuple[str, str]] = []
        self._suppressed: set[int] = set()

    # -- entry ----------------------------------------------------------------------------------

    def generate(self, schema: Node) -> Any:
        value = self.value(schema, depth=0, variant=0)
        return self._terminal(schema) if value is _SKIP else value

    def _valid(self, node: Node, value: Any) -> bool:
        try:
            return not self._factory.check(node, mode="read").findings(value, limit=1)
        except ContractError:
            return False

    # -- schemas --------------------------------------------------------------------------------

    def value(self, node: Node, *, depth: int, variant: int) -> Any:
        schema = node.value
        if schema is True or schema == {}:
            return {}
        if not isinstance(schema, dict):
            return None
        if isinstance(schema.get("$ref"), str):
            target = self._store.deref(node)
            key = (target.uri, target.pointer)
            if key in self._stack:
                return _SKIP
            self._stack.append(key)
            try:
                return self.value(target, depth=depth, variant=variant)
            finally:
                self._stack.pop()
        fixed = self._fixed(node, variant)
        if fixed is not _SKIP:
            return fixed
        polymorphism = self._factory.discriminators.of(schema)
        if polymorphism is not None and id(schema) not in self._suppressed:
            return self._subtype(node, polymorphism, depth=depth)
        for keyword in ("oneOf", "anyOf"):
            if isinstance(schema.get(keyword), list) and schema[keyword] and "allOf" not in schema:
                return self._choice(node, keyword, depth=depth, variant=variant)
        return self._from_view(node, self._view(node), depth=depth, variant=variant)

    def _fixed(self, node: Node, variant: int) -> Any:
        """A value the schema states: const, enum, a valid default, a valid example."""
        schema = node.value
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return copy.deepcopy(enum[variant % len(enum)])
        candidates: list[Any] = []
        if "default" in schema:
            candidates.append(schema["default"])
        if self._use_examples and variant == 0:
            if "example" in schema:
                candidates.append(schema["example"])
            if isinstance(schema.get("examples"), list) and schema["examples"]:
                candidates.append(schema["examples"][0])
        for candidate in candidates:
            if candidate is not None and self._valid(node, candidate):
                return copy.deepcopy(candidate)
        return _SKIP

    def _view(self, node: Node) -> _View:
        parts: list[Node] = []
        inheritance: list[Node] = []
        seen: set[tuple[str, str]] = set()

        def add(part: Node) -> None:
            part = self._store.deref(part)
            if not isinstance(part.value, dict) or (part.uri, part.pointer) in seen:
                return
            seen.add((part.uri, part.pointer))
            parts.append(part)
            members = part.value.get("allOf")
            for index in range(len(members) if isinstance(members, list) else 0):
                add(part.child("allOf", index))
            for key in ("oneOf", "anyOf"):
                if part is not node and isinstance(part.value.get(key), list) and part.value[key]:
                    add(part.child(key, 0))
            inheritance.append(part)

        add(node)
        return _View(parts, inheritance)

    def _subtype(self, node: Node, polymorphism: Polymorphism, *, depth: int) -> Any:
        """A discriminated base as its first subtype, the discriminator naming it."""
        self._suppressed.add(id(node.value))
        try:
            for declared, subtype in polymorphism.subtypes.items():
                key = (subtype.uri, subtype.pointer)
                if key in self._stack:
                    continue
                self._stack.append(key)
                try:
                    value = self._from_view(subtype, self._view(subtype), depth=depth, variant=0)
                finally:
                    self._stack.pop()
                if isinstance(value, dict):
                    value[polymorphism.property] = declared
                    return value
        finally:
            self._suppressed.discard(id(node.value))
        return self._from_view(node, self._view(node), depth=depth, variant=0)

    def _choice(self, node: Node, key: str, *, depth: int, variant: int) -> Any:
        """The first option of a oneOf/anyOf whose value validates against the whole schema."""
        declared = node.get("discriminator")
        tried: list[tuple[Node, Any]] = []
        for index in range(len(node.value[key])):
            option = node.child(key, index)
            value = self.value(option, depth=depth, variant=variant)
            if value is _SKIP:
                continue
            if (
                isinstance(declared, dict)
                and isinstance(value, dict)
                and isinstance(declared.get("propertyName"), str)
            ):
                value[declared["propertyName"]] = self._mapping_value(node, option)
            if self._valid(node, value):
                return value
            tried.append((option, value))
        if key == "oneOf":
            for option, value in tried:
                separated = self._separate(
                    node, option, value, [other for other, _value in tried if other is not option]
                )
                if separated is not _SKIP:
                    return separated
        return tried[0][1] if tried else _SKIP

    def _separate(self, node: Node, option: Node, value: Any, others: list[Node]) -> Any:
        """``value`` (valid for ``option``) made invalid for the other options it also satisfies, by a
        property ``option`` does not declare but another does, of a type that one refuses.

        Needed where a document's ``oneOf`` options overlap: AOAI's audio answer is
        ``oneOf [audioResponse, audioVerboseResponse]``, and the second extends the first.
        """
        if not isinstance(value, dict):
            return _SKIP
        own = self._view(option).properties
        for other in others:
            for name, prop in self._view(other).properties.items():
                if name in own or name in value:
                    continue
                kind = self._kind(self._view(prop))
                wrong: Any = 0 if kind == "string" else "string" if kind is not None else _SKIP
                if wrong is _SKIP:
                    continue
                trial = {**value, name: wrong}
                if self._valid(node, trial):
                    return trial
        return _SKIP

    def _mapping_value(self, node: Node, option: Node) -> str:
        target = self._store.deref(option)
        mapping = node.value["discriminator"].get("mapping")
        if isinstance(mapping, dict):
            for value, ref in mapping.items():
                if isinstance(ref, str) and self._store.target(node.uri, ref) == (target.uri, target.pointer):
                    return str(value)
        return target.pointer.rsplit("/", 1)[-1]

    def _kind(self, view: _View) -> str | None:
        declared = view.keyword("type")
        if isinstance(declared, list):
            declared = next((item for item in declared if item != "null"), "null" if declared else None)
        if isinstance(declared, str):
            return declared
        present = {key for part in view.parts for key in part.value}
        if present & {"properties", "additionalProperties", "required", "minProperties", "maxProperties"}:
            return "object"
        if present & {"items", "minItems", "maxItems", "uniqueItems"}:
            return "array"
        if present & {"minLength", "maxLength", "pattern", "format"}:
            return "string"
        if present & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
            return "number"
        return None

    def _from_view(self, node: Node, view: _View, *, depth: int, variant: int) -> Any:
        if view.keyword("const") is not None:
            return copy.deepcopy(view.keyword("const"))
        enum = view.keyword("enum")
        if isinstance(enum, list) and enum:
            return copy.deepcopy(enum[variant % len(enum)])
        kind = self._kind(view)
        if kind == "object":
            return self._object(view, depth=depth)
        if kind == "array":
            return self._array(view, depth=depth)
        if kind == "string":
            return self._string(view, variant)
        if kind in ("integer", "number"):
            return self._numeric(view, integer=kind == "integer", variant=variant)
        if kind == "boolean":
            return variant % 2 == 1
        if kind == "null":
            return None
        return {}

    def _object(self, view: _View, *, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, prop in view.properties.items():
            required = name in view.required
            if not required and (depth >= OPTIONAL_DEPTH or self._write_only(prop)):
                continue
            value = self.value(prop, depth=depth + 1, variant=0)
            if value is _SKIP:
                if not required:
                    continue
                value = self._terminal(prop)
            result[name] = value
        extra = view.node("additionalProperties")
        for name in view.required:
            if name not in result:
                result[name] = self.generate(extra) if extra is not None else "string"
        minimum = view.keyword("minProperties")
        counter = 1
        while _number(minimum) and len(result) < minimum:
            result.setdefault(f"property{counter}", self.generate(extra) if extra is not None else "string")
            counter += 1
        return result

    def _write_only(self, prop: Node) -> bool:
        return bool(prop.get("writeOnly") is True or self._store.deref(prop).get("writeOnly") is True)

    def _array(self, view: _View, *, depth: int) -> list[Any]:
        items = view.node("items")
        low = view.keyword("minItems")
        high = view.keyword("maxItems")
        low = int(low) if _number(low) else 0
        count = max(low, 1)
        if _number(high):
            count = min(count, int(high))
        if items is None:
            return ["string"] * count
        unique = view.keyword("uniqueItems") is True
        values: list[Any] = []
        for index in range(count):
            value = self.value(items, depth=depth, variant=index if unique else 0)
            if value is _SKIP:
                if low == 0:
                    return []
                value = self._terminal(items)
            values.append(value)
        return values

    def _string(self, view: _View, variant: int) -> str:
        low = view.keyword("minLength")
        high = view.keyword("maxLength")
        low = int(low) if _number(low) else 0
        high = int(high) if _number(high) else None
        declared = view.keyword("format")
        pattern = view.keyword("pattern")
        if isinstance(declared, str) and declared in _FORMATS:
            text = str(_FORMATS[declared])
            if variant and declared == "uuid":
                text = text[:-12] + f"{variant:012d}"
            if len(text) >= low and (high is None or len(text) <= high):
                return text
        if isinstance(pattern, str):
            found = matching_string(pattern, min_length=low, max_length=high)
            if found is not None:
                return found
        text = "string" + (str(variant) if variant else "")
        if len(text) < low:
            text += "a" * (low - len(text))
        return text[:high] if high is not None else text

    def _numeric(self, view: _View, *, integer: bool, variant: int) -> int | float:
        minimum, maximum = view.keyword("minimum"), view.keyword("maximum")
        exclusive_min, exclusive_max = view.keyword("exclusiveMinimum"), view.keyword("exclusiveMaximum")
        step = view.keyword("multipleOf")
        step = step if _number(step) and step > 0 else None
        low = exclusive_min if _number(exclusive_min) else minimum if _number(minimum) else None
        low_open = _number(exclusive_min) or (exclusive_min is True and low is not None)
        high = exclusive_max if _number(exclusive_max) else maximum if _number(maximum) else None
        high_open = _number(exclusive_max) or (exclusive_max is True and high is not None)

        def fits(value: float) -> bool:
            if low is not None and (value < low or (low_open and value <= low)):
                return False
            if high is not None and (value > high or (high_open and value >= high)):
                return False
            if integer and value != int(value):
                return False
            return step is None or math.isclose(value / step, round(value / step), abs_tol=1e-9)

        base = _UNIXTIME if view.keyword("format") == "unixtime" else 0
        candidates: list[float] = [base + variant, base]
        unit = step or 1
        for edge in (low, high):
            if edge is not None:
                candidates += [
                    edge,
                    edge + unit,
                    edge - unit,
                    math.ceil(edge / unit) * unit,
                    math.floor(edge / unit) * unit,
                ]
        if low is not None and high is not None:
            candidates.append((low + high) / 2)
        for candidate in candidates:
            if fits(candidate):
                return int(candidate) if integer or float(candidate).is_integer() else candidate
        return base

    def _terminal(self, node: Node) -> Any:
        """The smallest stand-in for a value that cannot be generated (recursion)."""
        target = self._store.deref(node)
        if _nullable(node.value) or _nullable(target.value):
            return None
        kind = self._kind(self._view(target)) if isinstance(target.value, dict) else None
        return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(kind or "", {})
