"""Validating a value against a schema of the documents, with openapi-schema-validator.

One validator class per (contract, direction), built by extending openapi-schema-validator's:

* OpenAPI 3.0: ``OAS30WriteValidator`` for requests and ``OAS30ReadValidator`` for responses.
* Swagger 2.0: the same, with Swagger's differences: ``x-nullable`` means ``nullable``,
  ``type: file`` accepts anything, ``discriminator`` is a property name (see
  :mod:`harness.contract.discriminators`), and ``allOf``/``anyOf``/``oneOf`` keep their plain
  JSON-Schema meaning.
* OpenAPI 3.1: ``OAS31Validator`` (JSON Schema 2020-12, ``type`` arrays for null).

On top of these, for every version: ``readOnly`` properties are neither sent nor required in
requests, ``writeOnly`` ones neither answered nor required in responses; an ``allOf``-inheritance
discriminator validates a payload against the subtype it names. In 2.0/3.0 ``nullable: true``
admits ``null`` whatever the schema's other keywords (``nullable`` next to ``allOf``/``$ref``, as
real documents write it). Refs are followed by ``referencing`` over a registry of every loaded
file, so nothing is inlined and recursive schemas work.

Formats: those jsonschema can check in this environment (date-time, date, time, email, uuid,
ipv4/6, hostname, json-pointer...; uri only when a URI library is installed), plus OpenAPI's
int32/int64 ranges and base64 for ``byte``. Every other format (Azure's duration, unixtime,
base64url, url, arm-id, password...) is accepted as is, and so is ``binary``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import reprlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import referencing
import referencing.exceptions
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped, unused-ignore]
from jsonschema.validators import extend  # type: ignore[import-untyped, unused-ignore]
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, OAS31Validator

from harness.contract.discriminators import Discriminators
from harness.contract.errors import ContractError
from harness.contract.store import DocumentStore, Node, escape

Mode = Literal["read", "write"]

#: At most this many problems are reported for one request or response.
MAX_FINDINGS = 3

#: Formats jsonschema checks (when its checker is available here); the rest are not asserted.
_CHECKED_FORMATS = (
    "date-time",
    "date",
    "time",
    "email",
    "idn-email",
    "uuid",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "ipv4",
    "ipv6",
    "hostname",
    "idn-hostname",
    "json-pointer",
    "relative-json-pointer",
    "uri-template",
)

Keyword = Callable[[Any, Any, Any, Any], Any]


def _int32(instance: object) -> bool:
    return not isinstance(instance, int) or isinstance(instance, bool) or -(2**31) <= instance < 2**31


def _int64(instance: object) -> bool:
    return not isinstance(instance, int) or isinstance(instance, bool) or -(2**63) <= instance < 2**63


def _byte(instance: object) -> bool:
    """Base64 (raises on anything else; ``binascii.Error`` is the format error)."""
    if isinstance(instance, str):
        base64.b64decode(instance.encode("ascii", errors="strict"), validate=True)
    return True


@functools.cache
def format_checker() -> Any:
    """The format checker every contract validator uses (see the module docstring)."""
    checker = jsonschema.FormatChecker(
        formats=[name for name in _CHECKED_FORMATS if name in jsonschema.FormatChecker.checkers]
    )

    checker.checks("int32")(_int32)
    checker.checks("int64")(_int64)
    checker.checks("byte", raises=(binascii.Error, ValueError))(_byte)
    return checker


# -- keywords -----------------------------------------------------------------------------------


def _flag(store: DocumentStore, schema: Any, owner: Any, key: str) -> bool:
    """Whether a property schema is marked ``key`` (readOnly/writeOnly), also behind one ``$ref``."""
    if not isinstance(schema, dict):
        return False
    if schema.get(key) is True:
        return True
    ref = schema.get("$ref")
    place = store.location_of(owner)
    if isinstance(ref, str) and place is not None:
        uri, pointer = store.target(place[0], ref)
        return bool(store.at(uri, pointer).get(key) is True)
    return False


def _required(store: DocumentStore, mode: Mode) -> Keyword:
    skip = "readOnly" if mode == "write" else "writeOnly"

    def required(validator: Any, names: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        # A non-list `required` (Swagger's parameter-style `required: true` inside a schema) is no rule.
        if not isinstance(names, list) or not validator.is_type(instance, "object"):
            return
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for name in names:
            if name not in instance and not _flag(store, properties.get(name), schema, skip):
                yield ValidationError(f"{name!r} is a required property")

    return required


def _read_only(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if value is True:
        yield ValidationError("the property is readOnly: only responses carry it, a request must not send it")


def _write_only(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if value is True:
        yield ValidationError("the property is writeOnly: a response must not carry it")


def _type_2_0_3_0(validator: Any, declared: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if declared == "file":  # Swagger's file upload/download: not a JSON value
        return
    if instance is None:  # nullable schemas never get here (see _nullable)
        yield ValidationError(f"None is not of type {declared!r}")
    elif not validator.is_type(instance, declared):
        yield ValidationError(f"{instance!r} is not of type {declared!r}")


def _extensible(keyword: Keyword) -> Keyword:
    """``enum``, except for Azure's extensible enums (``x-ms-enum: {modelAsString: true}``): their
    values are the known ones, and the service may send others (``Collection(Edm.String)`` for a
    Search field type, a new model name), so any value of the schema's type is valid."""

    def checked(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        marked = schema.get("x-ms-enum") if isinstance(schema, dict) else None
        if isinstance(marked, dict) and marked.get("modelAsString") is True:
            return ()
        return keyword(validator, value, instance, schema)

    return checked


def _nullable(keyword: Keyword, keys: tuple[str, ...]) -> Keyword:
    """``keyword`` that lets ``null`` through where the schema says ``nullable``/``x-nullable``."""

    def checked(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if instance is None and isinstance(schema, dict) and any(schema.get(key) is True for key in keys):
            return ()
        return keyword(validator, value, instance, schema)

    return checked


class _Dispatch:
    """The ``discriminator`` keyword: validate an object against the subtype its property names.

    A subtype's ``allOf`` leads back to the base (and so to this keyword) for the same payload: the
    (payload, subtype) pairs being validated are remembered per thread so that it is entered once.
    """

    def __init__(self, discriminators: Discriminators, store: DocumentStore) -> None:
        self._discriminators = discriminators
        self._store = store
        self._active = threading.local()

    def __call__(self, validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        polymorphism = self._discriminators.of(schema)
        if polymorphism is None or not isinstance(instance, dict):
            return
        declared = instance.get(polymorphism.property)
        subtype = polymorphism.subtypes.get(declared) if isinstance(declared, str) else None
        if subtype is None:
            return
        active: set[tuple[int, str]] = getattr(self._active, "pairs", None) or set()
        self._active.pairs = active
        key = (id(instance), subtype.pointer + subtype.uri)
        if key in active:
            return
        active.add(key)
        try:
            yield from validator.descend(
                instance, {"$ref": self._store.schema_uri(subtype)}, schema_path=declared
            )
        finally:
            active.discard(key)


class _Ref:
    """The ``$ref`` keyword, with each ref of the documents resolved once.

    ``referencing`` resolves a ref on every use (URI joins, a pointer walk); a ref written in the
    documents always leads to the same place, so the target and its resolver are kept by (file,
    ref). Refs outside the documents (the validator's own entry point) go the usual way.
    """

    def __init__(self, original: Keyword, *, store: DocumentStore, registry: Any) -> None:
        self._original = original
        self._store = store
        self._registry = registry
        self._resolved: dict[tuple[str, str], tuple[Any, Any]] = {}

    def __call__(self, validator: Any, ref: Any, instance: Any, schema: Any) -> Any:
        place = self._store.location_of(schema)
        if place is None or not isinstance(ref, str):
            return self._original(validator, ref, instance, schema)
        key = (place[0], ref)
        resolved = self._resolved.get(key)
        if resolved is None:
            uri, pointer = self._store.target(place[0], ref)
            resolved = (self._store.at(uri, pointer).value, self._registry.resolver(base_uri=uri))
            self._resolved[key] = resolved
        return validator.descend(instance, resolved[0], resolver=resolved[1])


def _validator_class(
    version: str, mode: Mode, *, store: DocumentStore, discriminators: Discriminators, registry: Any
) -> Any:
    base = (
        (OAS30WriteValidator if mode == "write" else OAS30ReadValidator)
        if version != "3.1"
        else OAS31Validator
    )
    keywords: dict[str, Keyword] = {
        "required": _required(store, mode),
        "readOnly": _read_only if mode == "write" else (lambda *_: ()),
        "writeOnly": _write_only if mode == "read" else (lambda *_: ()),
        "discriminator": _Dispatch(discriminators, store),
        "$ref": _Ref(base.VALIDATORS["$ref"], store=store, registry=registry),
        "enum": _extensible(base.VALIDATORS["enum"]),
    }
    if version != "3.1":
        keywords["type"] = _type_2_0_3_0
    if version == "2.0":
        for name in ("allOf", "anyOf", "oneOf"):
            keywords[name] = jsonschema.Draft4Validator.VALIDATORS[name]
    if version != "3.1":
        keys = ("nullable", "x-nullable") if version == "2.0" else ("nullable",)
        merged = {**base.VALIDATORS, **keywords}
        keywords = {name: _nullable(function, keys) for name, function in merged.items()}
    return extend(base, validators=keywords)


# -- findings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One schema violation: where in the documents, where in the value, and the message."""

    schema_path: str
    instance_path: str
    message: str


_SHORT = reprlib.Repr()
_SHORT.maxstring = 120
_SHORT.maxother = 120
_SHORT.maxlist = 8
_SHORT.maxtuple = 8
_SHORT.maxdict = 6
_SHORT.maxlevel = 3

#: Longest message kept whole.
_MAX_MESSAGE = 400


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to about 200 characters."""
    return _SHORT.repr(value)


def shorten_message(message: str, *values: Any) -> str:
    """``message`` with long reprs of ``values`` replaced by short ones, and cut to a bounded length."""
    for value in values:
        if isinstance(value, (str, list, dict, tuple)) and len(message) > 120:
            full = repr(value)
            if len(full) > 150:
                message = message.replace(full, short_repr(value))
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return message


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def instance_path(path: Any) -> str:
    """A JSONPath-like location: ``$``, ``$.messages[0].role``, ``$['@odata.type']``."""
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            text += f".{part}"
        else:
            text += "[" + repr(str(part)) + "]"
    return text


#: Keywords that tell the options of a union apart.
_TAGS = ("enum", "const")


def _top(error: Any) -> Any:
    while error.parent is not None:
        error = error.parent
    return error


class SchemaCheck:
    """A compiled validator for one schema; :meth:`findings` lists what a value gets wrong."""

    def __init__(self, validator: Any, *, store: DocumentStore, origin: Node) -> None:
        self._validator = validator
        self._store = store
        self._origin = origin

    def findings(self, instance: Any, *, limit: int = MAX_FINDINGS) -> list[Finding]:
        """At most ``limit`` findings: the most relevant (jsonschema's ``best_match``) first, then the
        other problems in the order the validator met them. ``[]`` when the value is valid."""
        try:
            errors = list(self._validator.iter_errors(instance))
        except Exception as problem:  # an unusable schema: unknown type, unresolvable ref, bad regex
            shown = self._store.display(self._origin.uri, self._origin.pointer)
            document = self._store.file_name(self._store.main_uri)
            raise ContractError(
                f"the schema at {shown} in {document} cannot be evaluated: "
                f"{type(problem).__name__}: {problem}. Fix: correct the schema in the document."
            ) from None
        if not errors:
            return []
        best = best_match(errors)
        chosen = [best]
        top = _top(best)
        chosen.extend(best_match([error]) for error in errors if error is not top)
        found: list[Finding] = []
        for error in chosen:
            finding = self._finding(error)
            if finding not in found:
                found.append(finding)
            if len(found) == limit:
                break
        return found

    def _finding(self, error: Any) -> Finding:
        """The finding of one error; a oneOf/anyOf that every option fails is narrowed first."""
        while error.validator in ("oneOf", "anyOf") and error.context:
            options: dict[Any, list[Any]] = {}
            for inner in error.context:
                options.setdefault(inner.relative_schema_path[0], []).append(inner)
            # A tagged union without a discriminator (AOAI's messages: one option per `role` enum):
            # the options whose tag matched hold the real problem.
            matched = [found for found in options.values() if not any(e.validator in _TAGS for e in found)]
            if matched:
                error = best_match(matched[0])
                continue
            tags = [inner for found in options.values() for inner in found if inner.validator in _TAGS]
            if len({tuple(inner.absolute_path) for inner in tags}) == 1:
                allowed: list[Any] = []
                for inner in tags:
                    values = inner.validator_value if inner.validator == "enum" else [inner.validator_value]
                    allowed.extend(value for value in values if value not in allowed)
                message = shorten_message(
                    f"{tags[0].instance!r} is not one of {allowed!r}", tags[0].instance, allowed
                )
                return Finding(self._schema_path(error), instance_path(tags[0].absolute_path), message)
            break
        message = shorten_message(str(error.message), error.instance, error.validator_value)
        return Finding(self._schema_path(error), instance_path(error.absolute_path), message)

    def _schema_path(self, error: Any) -> str:
        place = self._store.location_of(error.schema)
        if place is None:
            return self._store.display(self._origin.uri, self._origin.pointer)
        keyword = f"/{escape(str(error.validator))}" if error.validator is not None else ""
        return self._store.display(place[0], place[1] + keyword)


class SchemaFactory:
    """Builds (once) and caches the :class:`SchemaCheck` of each schema of a contract."""

    def __init__(self, store: DocumentStore, version: str) -> None:
        self._store = store
        self._version = version
        self._discriminators: Discriminators | None = None
        self._classes: dict[Mode, Any] = {}
        self._checks: dict[tuple[str, str, Mode, int], SchemaCheck] = {}
        self._registry: Any = None
        self._lock = threading.Lock()

    @property
    def discriminators(self) -> Discriminators:
        if self._discriminators is None:
            self._discriminators = Discriminators(self._store)
        return self._discriminators

    def _retrieve(self, uri: str) -> referencing.Resource[Any]:
        canonical = self._store.canonical(uri)
        if canonical in self._store.files:
            return referencing.Specification.OPAQUE.create_resource(self._store.files[canonical])
        raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg, unused-ignore]

    def _registry_of(self) -> Any:
        if self._registry is None:
            resources = [
                (uri, referencing.Specification.OPAQUE.create_resource(contents))
                for uri, contents in self._store.files.items()
            ]
            self._registry = referencing.Registry(retrieve=self._retrieve).with_resources(resources)  # type: ignore[call-arg, unused-ignore]
        return self._registry

    def check(self, schema: Node, *, mode: Mode) -> SchemaCheck:
        """The check of ``schema`` (a node of the documents, or a synthetic schema whose objects the
        store knows the location of) for a request (``write``) or response (``read``)."""
        key = (schema.uri, schema.pointer, mode, id(schema.value))
        found = self._checks.get(key)
        if found is not None:
            return found
        with self._lock:
            cls = self._classes.get(mode)
            if cls is None:
                cls = self._classes[mode] = _validator_class(
                    self._version,
                    mode,
                    store=self._store,
                    discriminators=self.discriminators,
                    registry=self._registry_of(),
                )
            from_document = self._store.at(schema.uri, schema.pointer).value is schema.value
            contents = {"$ref": self._store.schema_uri(schema)} if from_document else schema.value
            validator = cls(contents, registry=self._registry_of(), format_checker=format_checker())
            found = self._checks[key] = SchemaCheck(validator, store=self._store, origin=schema)
        return found
