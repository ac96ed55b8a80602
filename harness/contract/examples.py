"""The answer for a request nothing primed: the document's example, or one made from the schema.

The status is the first documented 2xx (numeric order; a ``2XX`` range counts as 200). The body is
the document's own example when it has one that validates (OpenAPI 3 media ``example``, the first
of its ``examples``, the schema's ``example``; Swagger's response ``examples`` for a JSON type,
then the schema's ``example``; then an Azure ``x-ms-examples`` file present in the project that
answers this status), else one generated from the schema (:mod:`harness.contract.generation`),
first with the schemas' own property examples, then, if the whole does not validate, without.

Every candidate is checked with the operation's response validation, so an example that comes
back validates (unless the schema admits no value at all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.contract.errors import ContractError
from harness.contract.generation import ValueGenerator
from harness.contract.loading import read_document, shown_path
from harness.contract.media import first_json, is_json, select
from harness.contract.store import Node, uri_to_path
from harness.contract.validation import OperationChecks


@dataclass(frozen=True)
class ExampleResponse:
    """An answer for an unprimed request: status, media type (``None`` for an empty body), body bytes
    and where it came from (for messages)."""

    status: int
    content_type: str | None
    body: bytes
    source: str


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _first_success(checks: OperationChecks) -> tuple[int, str] | None:
    exact = sorted(int(key) for key in checks.responses if key.isdigit() and 200 <= int(key) < 300)
    if exact:
        return exact[0], str(exact[0])
    for key in checks.responses:
        if key.upper() == "2XX":
            return 200, key
    return None


def _document_examples(
    checks: OperationChecks, *, response: Node, media_key: str, schema: Node, status: int, root: Path
) -> list[tuple[Any, str]]:
    """The document's own examples for this answer, in order of preference (with their location)."""
    store = checks.store
    found: list[tuple[Any, str]] = []
    if checks.info.version != "2.0":
        media = response.child("content", media_key)
        if "example" in media.value:
            found.append((media.value["example"], store.display(media.uri, media.pointer + "/example")))
        for _name, listed in media.child("examples").items():
            example = store.deref(listed)
            if isinstance(example.value, dict) and "value" in example.value:
                found.append((example.value["value"], store.display(example.uri, example.pointer + "/value")))
            break
    else:
        for mime, example in response.child("examples").items():
            if is_json(mime):
                found.append((example.value, store.display(example.uri, example.pointer)))
                break
    target = store.deref(schema)
    if isinstance(target.value, dict):
        if "example" in target.value:
            found.append((target.value["example"], store.display(target.uri, target.pointer + "/example")))
        elif isinstance(target.value.get("examples"), list) and target.value["examples"]:
            found.append(
                (target.value["examples"][0], store.display(target.uri, target.pointer + "/examples/0"))
            )
    found.extend(_azure_examples(checks, status=status, root=root))
    return found


def _azure_examples(checks: OperationChecks, *, status: int, root: Path) -> list[tuple[Any, str]]:
    """Bodies for ``status`` from the operation's ``x-ms-examples`` files that exist in the project."""
    store, node = checks.store, checks.node
    found: list[tuple[Any, str]] = []
    for name, entry in node.child("x-ms-examples").items():
        ref = entry.get("$ref")
        if not isinstance(ref, str):
            continue
        uri, _pointer = store.target(node.uri, ref)
        path = uri_to_path(uri).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            continue
        try:
            document = read_document(path, shown=shown_path(path, root))
        except ContractError:
            continue
        answer = document.get("responses", {}).get(str(status)) if isinstance(document, dict) else None
        if isinstance(answer, dict) and "body" in answer:
            found.append(
                (answer["body"], f"{store.file_name(uri)} (x-ms-examples {name!r}, responses/{status}/body)")
            )
    return found


def example_response(checks: OperationChecks, *, root: Path) -> ExampleResponse | None:
    """The answer for an unprimed request to the operation (see the module docstring)."""
    success = _first_success(checks)
    if success is None:
        return None
    status, key = success
    store = checks.store
    response = store.deref(checks.responses[key])
    spec = checks.response_spec(key)
    where = store.display(response.uri, response.pointer)
    if status == 204 or not spec.media:
        return ExampleResponse(status, None, b"", f"an empty answer (no body documented at {where})")
    content_type = first_json(spec.media)
    media_key = select(spec.media, content_type)
    schema = spec.media.get(media_key) if media_key is not None else None
    if media_key is None or content_type is None or schema is None:
        why = f"an empty answer (no JSON schema documented at {where})"
        return ExampleResponse(status, None, b"", why)
    headers = {"Content-Type": content_type}
    rejected: list[str] = []
    for value, source in _document_examples(
        checks, response=response, media_key=media_key, schema=schema, status=status, root=root
    ):
        body = _dumps(value)
        if not checks.response(status=status, headers=headers, body=body):
            return ExampleResponse(status, content_type, body, f"the document's example at {source}")
        rejected.append(source)
    target = store.deref(schema)
    shown = store.display(target.uri, target.pointer)
    body = b""
    for use_examples in (True, False):
        generator = ValueGenerator(store=store, factory=checks.factory, use_examples=use_examples)
        body = _dumps(generator.generate(schema))
        if not checks.response(status=status, headers=headers, body=body):
            break
    note = f" (the document's example at {rejected[0]} does not validate)" if rejected else ""
    return ExampleResponse(status, content_type, body, f"generated from the schema at {shown}{note}")
