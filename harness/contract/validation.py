"""Checking a request against its operation, and a response against the operation's answers.

Requests: path, query and header parameters (values parsed from their text by the declared type:
``"7"`` is an integer where one is declared, arrays split by their collection format/style),
required ones present (except credential headers: security is not checked), unknown extra query
parameters allowed; the body's presence, content type (parameters like ``charset`` ignored; a
body without a Content-Type that parses as JSON counts as JSON when JSON is documented) and JSON
body. Responses: the documented status (exact, then ``2XX``-style range, then ``default``), the
content type (wildcards match), the JSON body. Bodies of other media types (event streams, text,
octets, multipart forms) are not schema-validated.

At most :data:`~harness.contract.schemas.MAX_FINDINGS` violations are reported per request or
response, parameters first, then the body's (the most relevant body problem first).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.contract.media import essence, is_json, select
from harness.contract.normalise import (
    BodySpec,
    DocumentInfo,
    ParameterSpec,
    is_ignored_header,
    response_content,
)
from harness.contract.routing import Route
from harness.contract.schemas import MAX_FINDINGS, Finding, SchemaFactory, short_repr, shorten_message
from harness.contract.store import DocumentStore, Node

_INTEGER = re.compile(r"^[+-]?\d+$")
_SEPARATORS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}
_LOCATION_NAMES = {"path": "path parameter", "query": "query parameter", "header": "header"}


@dataclass(frozen=True)
class Violation:
    """One way a request or response departs from the document.

    ``where``: ``request body``, ``query parameter 'api-version'``, ``path parameter 'id'``,
    ``header 'x-ms-foo'``, ``request content type``, ``response status``, ``response content
    type``, ``response body (status 200)``. ``schema_path``: the document location of the rule
    that failed (``#/components/schemas/X/properties/y/enum``, prefixed with the file's relative
    path when it lives in another file). ``instance_path``: where in the value (``$`` = all of it).
    """

    where: str
    message: str
    schema_path: str
    instance_path: str = "$"

    def describe(self) -> str:
        """One line: ``request body at $.messages[0].role: 'robot' is not one of [...] (schema: #/...)``."""
        at = f" at {self.instance_path}" if self.instance_path not in ("", "$") else ""
        schema = f" (schema: {self.schema_path})" if self.schema_path else ""
        return f"{self.where}{at}: {self.message}{schema}"


def _violation(where: str, finding: Finding) -> Violation:
    return Violation(where, finding.message, finding.schema_path, finding.instance_path)


def _types(store: DocumentStore, schema: Node | None) -> list[str]:
    """The JSON types a parameter schema declares (following ``$ref`` and a first ``allOf``)."""
    if schema is None:
        return []
    node = store.deref(schema)
    declared = node.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [item for item in declared if isinstance(item, str)]
    members = node.get("allOf")
    if isinstance(members, list) and members:
        return _types(store, node.child("allOf", 0))
    return []


def _scalar(raw: str, types: list[str]) -> Any:
    """A parameter's text as the value its schema types describe; left a string when it is not one
    (so that the schema reports the wrong type)."""
    if not types or "string" in types:
        return raw
    for kind in types:
        if kind == "integer" and _INTEGER.match(raw.strip()):
            return int(raw)
        if kind == "number":
            try:
                number = float(raw)
            except ValueError:
                continue
            if math.isfinite(number):
                return int(raw) if _INTEGER.match(raw.strip()) else number
        if kind == "boolean" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if kind == "null" and raw in ("", "null"):
            return None
    return raw


class OperationChecks:
    """The request and response checks of one operation (validators built on first use)."""

    def __init__(
        self,
        *,
        method: str,
        template: str,
        route: Route,
        node: Node,
        parameters: list[ParameterSpec],
        body: BodySpec | None,
        info: DocumentInfo,
        factory: SchemaFactory,
        store: DocumentStore,
    ) -> None:
        self.method = method
        self.label = f"{method} {template}"
        self.route = route
        self.node = node
        self.parameters = parameters
        self.body = body
        self.info = info
        self.factory = factory
        self.store = store
        responses = node.child("responses")
        self.responses: dict[str, Node] = dict(responses.items())
        self._responses_where = store.display(responses.uri, responses.pointer)
        self._response_content: dict[str, BodySpec] = {}

    # -- requests -------------------------------------------------------------------------------

    def request(
        self, *, path: str, query: Mapping[str, Sequence[str]], headers: Mapping[str, str], body: bytes
    ) -> list[Violation]:
        found: list[Violation] = []
        path_values = self.route.match(path) or {}
        lowered = {str(name).lower(): value for name, value in headers.items()}
        for spec in self.parameters:
            if len(found) >= MAX_FINDINGS:
                return found[:MAX_FINDINGS]
            if spec.location == "path":
                raw = path_values.get(spec.name)
                if raw is not None:
                    found.extend(self._parameter(spec, [raw]))
            elif spec.location == "query":
                found.extend(self._present(spec, query.get(spec.name)))
            elif spec.location == "header" and not is_ignored_header(spec.name, self.info):
                value = lowered.get(spec.name.lower())
                found.extend(self._present(spec, None if value is None else [value]))
        if len(found) < MAX_FINDINGS:
            found.extend(self._request_body(lowered.get("content-type"), body))
        return found[:MAX_FINDINGS]

    def _present(self, spec: ParameterSpec, values: Sequence[str] | str | None) -> list[Violation]:
        if isinstance(values, str):
            values = [values]
        if not values:
            if spec.required:
                where = f"{_LOCATION_NAMES[spec.location]} {spec.name!r}"
                schema_path = self.store.display(spec.node.uri, spec.node.pointer + "/required")
                return [Violation(where, "required, but the request does not have it", schema_path)]
            return []
        return self._parameter(spec, list(values))

    def _parameter(self, spec: ParameterSpec, values: list[str]) -> list[Violation]:
        if spec.schema is None or spec.split == "none":
            return []
        where = f"{_LOCATION_NAMES[spec.location]} {spec.name!r}"
        types = _types(self.store, spec.schema)
        value: Any
        if spec.split == "json":
            try:
                value = json.loads(values[0])
            except ValueError as error:
                shown = self.store.display(spec.node.uri, spec.node.pointer + "/content")
                return [Violation(where, f"the value is not valid JSON: {error}", shown)]
        elif "array" in types:
            node = self.store.deref(spec.schema)
            item_types = (
                _types(self.store, node.child("items")) if isinstance(node.get("items"), dict) else []
            )
            if spec.split == "multi":
                parts = values
            else:
                parts = values[0].split(_SEPARATORS.get(spec.split, ",")) if values[0] != "" else []
            value = [_scalar(part, item_types) for part in parts]
        else:
            value = _scalar(values[0], types)
        check = self.factory.check(spec.schema, mode="write")
        return [_violation(where, finding) for finding in check.findings(value)]

    def _request_body(self, content_type: str | None, body: bytes) -> list[Violation]:
        spec = self.body
        if spec is None:
            if body:
                where = self.store.display(self.node.uri, self.node.pointer)
                return [
                    Violation(
                        "request body",
                        f"{self.label} documents no request body, but the request has one "
                        f"({len(body)} bytes)",
                        where,
                    )
                ]
            return []
        if not body:
            if spec.required:
                return [
                    Violation(
                        "request body",
                        f"{self.label} requires a request body; the request has none",
                        spec.where,
                    )
                ]
            return []
        key, violation = self._media(
            spec, content_type, body, where="request content type", direction="request"
        )
        if violation is not None:
            return [violation]
        schema = spec.media.get(key) if key is not None else None
        if key is None or schema is None or not is_json(content_type or key):
            return []
        return self._json(body, schema, where="request body", mode="write")

    # -- responses ------------------------------------------------------------------------------

    def response_key(self, status: int) -> str | None:
        """The documented response serving ``status``: exact, then ``2XX`` range, then ``default``."""
        exact = str(status)
        if exact in self.responses:
            return exact
        family = f"{status // 100}XX"
        for key in self.responses:
            if key.upper() == family:
                return key
        return "default" if "default" in self.responses else None

    def response_spec(self, key: str) -> BodySpec:
        spec = self._response_content.get(key)
        if spec is None:
            response = self.store.deref(self.responses[key])
            spec = self._response_content[key] = response_content(
                self.store, info=self.info, operation=self.node, response=response
            )
        return spec

    def documented_statuses(self) -> str:
        return ", ".join(self.responses) or "none"

    def response(self, *, status: int, headers: Mapping[str, str], body: bytes) -> list[Violation]:
        key = self.response_key(status)
        if key is None:
            documented = self.documented_statuses()
            message = f"status {status} is not documented for {self.label} (documented: {documented})"
            return [Violation("response status", message, self._responses_where)]
        spec = self.response_spec(key)
        where = f"response body (status {status})"
        if not body:
            json_schemas = [
                schema for media, schema in spec.media.items() if schema is not None and is_json(media)
            ]
            if json_schemas and status != 204 and self.method != "HEAD":
                message = f"the response has no body, but the document gives status {status} a JSON schema"
                return [Violation(where, message, spec.where)]
            return []
        if not spec.media:
            return []  # nothing documented: any body
        lowered = {str(name).lower(): value for name, value in headers.items()}
        content_type = lowered.get("content-type")
        media, violation = self._media(
            spec, content_type, body, where="response content type", direction="response"
        )
        if violation is not None:
            return [violation]
        schema = spec.media.get(media) if media is not None else None
        if media is None or schema is None or not is_json(content_type or media):
            return []
        return self._json(body, schema, where=where, mode="read")

    # -- shared ---------------------------------------------------------------------------------

    def _media(
        self, spec: BodySpec, content_type: str | None, body: bytes, *, where: str, direction: str
    ) -> tuple[str | None, Violation | None]:
        """The documented media type key the body is sent as, or the violation of its content type."""
        documented = ", ".join(spec.media) or "none"
        if content_type is None or essence(content_type) is None:
            json_key = next((key for key in spec.media if is_json(key)), None)
            if direction == "request" and json_key is not None and _parses(body):
                return json_key, None
            message = f"the {direction} has a body but no Content-Type header (documented: {documented})"
            return None, Violation(where, message, spec.where)
        key = select(spec.media, content_type)
        if key is None:
            message = (
                f"{essence(content_type)!r} is not a documented {direction} content type for {self.label} "
                f"(documented: {documented})"
            )
            return None, Violation(where, message, spec.where)
        return key, None

    def _json(self, body: bytes, schema: Node, *, where: str, mode: str) -> list[Violation]:
        try:
            value = json.loads(body)
        except ValueError as error:
            preview = short_repr(body[:200].decode("utf-8", errors="replace"))
            message = shorten_message(f"the body is not valid JSON ({error}): {preview}")
            return [Violation(where, message, self.store.display(schema.uri, schema.pointer))]
        check = self.factory.check(schema, mode="read" if mode == "read" else "write")
        return [_violation(where, finding) for finding in check.findings(value)]


def _parses(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
