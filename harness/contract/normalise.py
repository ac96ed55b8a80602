"""One model of an operation's parameters, body and responses for Swagger 2.0 and OpenAPI 3.

Where the versions differ:

* Parameters: OpenAPI 3 puts a ``schema`` (or ``content``) in each; Swagger 2.0 writes the schema
  keywords (``type``, ``format``, ``items``, ``enum``...) on the parameter itself, which is
  copied here into a schema (its objects registered at the parameter's location, so errors
  point into the document). Swagger ``formData`` and ``type: file`` parameters are not
  schema-validated.
* Arrays in a query/header/path: Swagger ``collectionFormat`` (csv by default), OpenAPI 3
  ``style``/``explode`` (form + explode by default in a query): both become one split rule.
* Bodies: Swagger's ``in: body`` parameter and ``consumes`` (the operation's, else the
  document's, else ``application/json``); OpenAPI 3's ``requestBody.content``.
* Responses: Swagger's ``schema`` and ``produces``; OpenAPI 3's ``content``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.contract.errors import ContractError
from harness.contract.media import is_json
from harness.contract.store import DocumentStore, Node, join

#: Headers an app sends for authentication; never required here (security is not checked).
AUTH_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "ocp-apim-subscription-key", "cookie"}
)

#: Header parameters OpenAPI says to ignore (the body's and the answer's media types).
_IGNORED_HEADERS = frozenset({"content-type", "accept"})

#: The schema keywords of a Swagger 2.0 non-body parameter (and of its ``items``).
_SWAGGER_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
)

_SPLIT_BY_STYLE = {"form": "csv", "simple": "csv", "spaceDelimited": "ssv", "pipeDelimited": "pipes"}


@dataclass(frozen=True)
class DocumentInfo:
    """What the whole document says for every operation."""

    version: str
    consumes: tuple[str, ...]
    produces: tuple[str, ...]
    #: Lower-case names of headers that carry credentials (never required, never validated).
    auth_headers: frozenset[str]


@dataclass(frozen=True)
class ParameterSpec:
    """A parameter of an operation."""

    name: str
    location: str  # path, query, header, cookie, body, formData
    required: bool
    node: Node  # the parameter object, its $ref followed
    schema: Node | None  # what values are validated against; None: not validated
    #: How an array value arrives: multi (repeated), csv, ssv, tsv, pipes, json (``content``
    #: parameter), or none (a style not parsed here: the value is not validated).
    split: str


@dataclass(frozen=True)
class BodySpec:
    """The documented request body, or a response's documented content."""

    required: bool
    media: dict[str, Node | None]  # documented media type -> schema (None: any body)
    where: str  # document location of the media types, for violations


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def document_info(store: DocumentStore, version: str) -> DocumentInfo:
    root = store.root()
    auth = set(AUTH_HEADERS)
    schemes = (
        root.child("securityDefinitions") if version == "2.0" else root.child("components", "securitySchemes")
    )
    for _name, listed in schemes.items():
        scheme = store.deref(listed)
        if (
            scheme.get("type") == "apiKey"
            and scheme.get("in") == "header"
            and isinstance(scheme.get("name"), str)
        ):
            auth.add(str(scheme.get("name")).lower())
    return DocumentInfo(
        version=version,
        consumes=_strings(root.get("consumes")),
        produces=_strings(root.get("produces")),
        auth_headers=frozenset(auth),
    )


def _swagger_schema(store: DocumentStore, node: Node) -> Node:
    """A schema of a Swagger parameter's (or items') schema keywords; its objects are registered at
    the parameter's location, so violations name the parameter's own keywords."""
    copy: dict[str, Any] = {}
    for key in _SWAGGER_SCHEMA_KEYS:
        if key in node.value:
            copy[key] = node.value[key]
    items = node.child("items")
    if isinstance(items.value, dict):
        copy["items"] = _swagger_schema(store, items).value
    store.locations.setdefault(id(copy), (node.uri, node.pointer))
    return Node(node.uri, node.pointer, copy)


def _split(parameter: Node, location: str, version: str) -> str:
    if version == "2.0":
        fmt = parameter.get("collectionFormat", "csv")
        return fmt if fmt in ("csv", "ssv", "tsv", "pipes", "multi") else "csv"
    content = parameter.get("content")
    if isinstance(content, dict):
        return "json" if any(is_json(str(media)) for media in list(content)[:1]) else "none"
    style = parameter.get("style", "form" if location in ("query", "cookie") else "simple")
    explode = parameter.get("explode", style == "form")
    if style in ("form", "spaceDelimited", "pipeDelimited") and explode is True:
        return "multi"
    return _SPLIT_BY_STYLE.get(style, "none")


def _parameter(store: DocumentStore, raw: Node, version: str) -> ParameterSpec:
    node = store.deref(raw)
    name, location = node.get("name"), node.get("in")
    if not isinstance(name, str) or not isinstance(location, str):
        raise ContractError(
            f"the parameter at {store.display(node.uri, node.pointer)} has no `name` or no `in`. "
            "Fix: give every parameter both."
        )
    required = node.get("required") is True or location == "path"
    schema: Node | None = None
    if location == "body":
        schema = node.child("schema") if isinstance(node.get("schema"), dict) else None
    elif version == "2.0":
        if location != "formData" and node.get("type") != "file":
            schema = _swagger_schema(store, node)
    elif isinstance(node.get("schema"), dict):
        schema = node.child("schema")
    elif isinstance(node.get("content"), dict):
        for _media, media in node.child("content").items():
            if isinstance(media.get("schema"), dict):
                schema = media.child("schema")
            break
    return ParameterSpec(name, location, required, node, schema, _split(node, location, version))


def parameters(
    store: DocumentStore, *, version: str, path_item: Node, operation: Node, extra: list[Node]
) -> list[ParameterSpec]:
    """The operation's parameters: the path item's, overridden by the operation's (same name and
    location), then ``extra`` ones (the host template's) not declared already."""
    merged: dict[tuple[str, str], ParameterSpec] = {}
    for holder in (path_item.child("parameters"), operation.child("parameters")):
        if holder.value is None:
            continue
        if not isinstance(holder.value, list):
            raise ContractError(
                f"`parameters` at {store.display(holder.uri, holder.pointer)} is not a list. "
                "Fix: write the parameters as a list of parameter objects."
            )
        for index in range(len(holder.value)):
            spec = _parameter(store, holder.child(index), version)
            merged[(spec.name, spec.location)] = spec
    for raw in extra:
        spec = _parameter(store, raw, version)
        merged.setdefault((spec.name, spec.location), spec)
    return list(merged.values())


def request_body(
    store: DocumentStore, *, info: DocumentInfo, operation: Node, params: list[ParameterSpec]
) -> BodySpec | None:
    """The documented request body of an operation (``None``: the operation documents none)."""
    if info.version != "2.0":
        if operation.get("requestBody") is None:
            return None
        body = store.deref(operation.child("requestBody"))
        content = body.child("content")
        media = {
            key: (node.child("schema") if isinstance(node.get("schema"), dict) else None)
            for key, node in content.items()
        }
        return BodySpec(body.get("required") is True, media, store.display(content.uri, content.pointer))
    declared = "consumes" in operation.value
    consumes = _strings(operation.get("consumes")) if declared else info.consumes
    where = (
        store.display(operation.uri, join(operation.pointer, "consumes"))
        if declared
        else ("#/consumes" if info.consumes else store.display(operation.uri, operation.pointer))
    )
    body_params = [spec for spec in params if spec.location == "body"]
    if body_params:
        spec = body_params[0]
        types = consumes or ("application/json",)
        return BodySpec(spec.required, {key: spec.schema for key in types}, where)
    form = [spec for spec in params if spec.location == "formData"]
    if form:
        types = consumes or ("application/x-www-form-urlencoded", "multipart/form-data")
        return BodySpec(any(spec.required for spec in form), dict.fromkeys(types), where)
    return None


def response_content(
    store: DocumentStore, *, info: DocumentInfo, operation: Node, response: Node
) -> BodySpec:
    """A response's documented content (``required`` is unused for responses)."""
    if info.version != "2.0":
        content = response.child("content")
        media = {
            key: (node.child("schema") if isinstance(node.get("schema"), dict) else None)
            for key, node in content.items()
        }
        return BodySpec(False, media, store.display(content.uri, content.pointer))
    if not isinstance(response.get("schema"), dict):
        return BodySpec(False, {}, store.display(response.uri, response.pointer))
    declared = "produces" in operation.value
    produces = _strings(operation.get("produces")) if declared else info.produces
    where = (
        store.display(operation.uri, join(operation.pointer, "produces"))
        if declared
        else ("#/produces" if info.produces else store.display(response.uri, response.pointer))
    )
    schema = response.child("schema")
    return BodySpec(False, {key: schema for key in produces or ("application/json",)}, where)


def is_ignored_header(name: str, info: DocumentInfo) -> bool:
    """Headers not checked as parameters: credentials and the media-type headers."""
    lowered = name.lower()
    return lowered in info.auth_headers or lowered in _IGNORED_HEADERS
