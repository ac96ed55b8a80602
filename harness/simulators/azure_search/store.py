"""The search simulator's indexes: definitions, documents and the per-test snapshot.

Documents are never changed in place (a merge builds a new dict), so a snapshot is a shallow copy
of each index's key -> document map: cheap enough to take at every test's start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.simulators.azure_common import ServiceError
from harness.simulators.azure_search import defaults

#: What the service allows in a document key (letters, digits, '_', '-', '=').
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-=]+$")
#: Index names: lower-case letters, digits and dashes, starting with a letter or digit (<= 128).
INDEX_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
VECTOR_TYPES = defaults.VECTOR_TYPES
_TEXT_TYPES = ("Edm.String", "Collection(Edm.String)")


#: A word, for text scoring, reranking and highlights: a run of letters and digits (no "_").
WORD = re.compile(r"[^\W_]+")


def field_texts(document: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """The strings in fields ``names`` of ``document`` (string fields and string collections)."""
    found: list[str] = []
    for name in names:
        value = document.get(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found += [item for item in value if isinstance(item, str)]
    return found


def invalid(message: str) -> ServiceError:
    """The service's 400 for a request it cannot accept."""
    return ServiceError(400, "InvalidRequestParameter", f"The request is invalid. Details: {message}")


@dataclass
class Index:
    """One index: its key field, its fields (``None``: inferred from the documents) and documents."""

    name: str
    key: str
    fields: list[dict[str, Any]] | None = None
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The definition as created (vectorSearch, semantic, ...), echoed back on get.
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Index:
        return Index(self.name, self.key, self.fields, dict(self.documents), self.extra)

    # -- schema --------------------------------------------------------------------------------------

    def field_list(self) -> list[dict[str, Any]]:
        """The fields as the service lists them, inferred from the documents if none were defined."""
        if self.fields is not None:
            return self.fields
        inferred: dict[str, dict[str, Any]] = {self.key: _field(self.key, "Edm.String", key=True)}
        for document in self.documents.values():
            for name, value in document.items():
                if name not in inferred and (kind := _infer_type(value)) is not None:
                    inferred[name] = _field(name, kind, value=value)
        return list(inferred.values())

    def definition(self) -> dict[str, Any]:
        return {
            **self.extra,
            "name": self.name,
            "fields": self.field_list(),
            "@odata.etag": '"0x1"',
        }

    def searchable_fields(self) -> list[str]:
        return [
            entry["name"]
            for entry in self.field_list()
            if entry.get("type") in _TEXT_TYPES and entry.get("searchable", True)
        ]

    def hidden_fields(self) -> set[str]:
        """Fields a search or lookup never returns (``retrievable: false``, the SDK's ``hidden``)."""
        return {entry["name"] for entry in self.field_list() if entry.get("retrievable", True) is False}

    def known_fields(self) -> set[str] | None:
        """Field names a document may have (None: any, the index has no explicit schema)."""
        return None if self.fields is None else {entry["name"] for entry in self.fields}

    # -- documents -----------------------------------------------------------------------------------

    def apply(self, actions: list[Any]) -> tuple[int, list[dict[str, Any]]]:
        """Run ``docs/index`` actions; the overall status (200, or 207 if some failed) and per-key
        results as the service reports them."""
        batch = [self._check_action(position, action) for position, action in enumerate(actions)]
        results = [self._run(kind, key, document) for kind, key, document in batch]
        status = 200 if all(result["status"] for result in results) else 207
        return status, results

    def _check_action(self, position: int, action: Any) -> tuple[str, str, dict[str, Any]]:
        # Shape problems fail the whole batch (400), as the service does, before anything is written.
        if not isinstance(action, dict):
            raise invalid(f"value : {position}: an action must be a JSON object")
        document = {name: value for name, value in action.items() if name != "@search.action"}
        kind = action.get("@search.action", "upload")
        if kind not in ("upload", "merge", "mergeOrUpload", "delete"):
            raise invalid(f"value : {position}: unknown @search.action {kind!r}")
        key = document.get(self.key)
        if not isinstance(key, str) or not key:
            raise invalid(f"value : {position}: Document key cannot be missing or empty.")
        known = self.known_fields()
        if known is not None:
            for name in document:
                if name not in known:
                    raise invalid(
                        f"The property '{name}' does not exist on type 'search.documentFields'. "
                        "Make sure to only use property names that are defined by the type."
                    )
        return kind, key, document

    def _run(self, kind: str, key: str, document: dict[str, Any]) -> dict[str, Any]:
        if not KEY_PATTERN.match(key):
            message = (
                f"Invalid document key: '{key}'. Keys can only contain letters, digits, underscore (_), "
                "dash (-), or equal sign (=)."
            )
            return _result(key, False, 400, message)
        existing = self.documents.get(key)
        if kind == "delete":
            self.documents.pop(key, None)
            return _result(key, True, 200)
        if kind == "merge" and existing is None:
            return _result(key, False, 404, "Document not found.")
        if kind in ("merge", "mergeOrUpload") and existing is not None:
            self.documents[key] = {**existing, **document}
            return _result(key, True, 200)
        self.documents[key] = dict(document)
        return _result(key, True, 201 if existing is None else 200)

    def load(self, documents: Iterable[Mapping[str, Any]]) -> None:
        """Upload ``documents`` (the test API / config path: any problem raises ServiceError)."""
        status, results = self.apply([dict(document) for document in documents])
        if status != 200:
            failed = "; ".join(
                f"{result['key']}: {result['errorMessage']}" for result in results if not result["status"]
            )
            raise invalid(failed)


def check_index_definition(body: Any, name: str | None) -> Index:
    """An :class:`Index` from a create/update request body; ServiceError (400) if it is malformed."""
    if not isinstance(body, dict):
        raise invalid("the index definition must be a JSON object")
    index_name = body.get("name", name)
    if name is not None and index_name != name:
        raise invalid(f"The index name '{index_name}' in the body does not match '{name}' in the URL.")
    if not isinstance(index_name, str) or not INDEX_NAME_PATTERN.match(index_name):
        raise invalid(
            f"index : Invalid index name {index_name!r}: lower-case letters, digits or dashes, "
            "starting with a letter or digit, at most 128 characters."
        )
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        raise invalid("index : An index must have at least one field.")
    for entry in fields:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "type" not in entry:
            raise invalid(f"fields : every field needs a name and a type, found {entry!r}")
    keys = [entry for entry in fields if entry.get("key") is True]
    if len(keys) != 1:
        raise invalid(f"index : An index must have exactly one key field, found {len(keys)}.")
    if keys[0].get("type") != "Edm.String":
        raise invalid(f"fields : The key field '{keys[0]['name']}' must be of type Edm.String.")
    extra = {k: v for k, v in body.items() if k not in ("name", "fields", "@odata.etag", "@odata.context")}
    # Stored as the service stores it: with the attributes and parts it fills in.
    filled = [defaults.field(entry) for entry in fields]
    return Index(index_name, keys[0]["name"], fields=filled, extra=defaults.index(extra))


def _result(key: str, ok: bool, status: int, message: str | None = None) -> dict[str, Any]:
    return {"key": key, "status": ok, "errorMessage": message, "statusCode": status}


def _infer_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "Edm.Boolean"
    if isinstance(value, int):
        return "Edm.Int64"
    if isinstance(value, float):
        return "Edm.Double"
    if isinstance(value, str):
        return "Edm.String"
    if isinstance(value, list) and value:
        if all(isinstance(item, str) for item in value):
            return "Collection(Edm.String)"
        if all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
            return "Collection(Edm.Single)"
    return None


def _field(name: str, kind: str, *, key: bool = False, value: Any = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "type": kind,
        "key": key,
        "searchable": kind in _TEXT_TYPES or kind in VECTOR_TYPES,
        "filterable": kind not in VECTOR_TYPES,
        "retrievable": True,
    }
    if kind in VECTOR_TYPES:
        entry["dimensions"] = len(value)
    return entry
