"""The search simulator's options (``[tool.harness.services.<name>.options]``), checked at config load:

    api_key = "test-search-key"            # or a list; unset: any non-empty key
    auto_create = false                    # an unknown index: 404 (false) or created empty (true)
    indexes = { docs = { key = "id", documents = "tests/data/docs.json" } }

``documents`` is a JSON file (relative to the project root) holding an array of objects, or
``{"value": [...]}`` as the service's own upload body; it may also be an inline array of tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.simulators.azure_common import describe, key_option_problems, unknown_option_problems
from harness.simulators.azure_search.store import INDEX_NAME_PATTERN, KEY_PATTERN

OPTIONS = ("api_key", "auto_create", "indexes")
INDEX_OPTIONS = ("key", "documents")


class DocumentsError(ValueError):
    """A documents file that cannot be used (the message says why and what to do)."""


def check(options: Mapping[str, Any], where: str, root: Path) -> list[str]:
    """Every problem with the search simulator's ``options``, one message each."""
    problems = unknown_option_problems(options, OPTIONS, where)
    problems += key_option_problems(options, "api_key", where)
    auto_create = options.get("auto_create", False)
    if not isinstance(auto_create, bool):
        problems.append(f"{where}.auto_create: expected true or false, found {describe(auto_create)}")
    indexes = options.get("indexes", {})
    if not isinstance(indexes, dict):
        problems.append(
            f"{where}.indexes: expected a table of indexes, found {describe(indexes)}; "
            'fix: indexes = { docs = { key = "id", documents = "tests/data/docs.json" } }'
        )
        return problems
    for name, body in indexes.items():
        problems += _check_index(name, body, f"{where}.indexes.{name}", root)
    return problems


def _check_index(name: str, body: Any, where: str, root: Path) -> list[str]:
    if not INDEX_NAME_PATTERN.match(name):
        return [
            f"{where}: invalid index name {name!r}: expected lower-case letters, digits or dashes, "
            "starting with a letter or digit; fix: rename the index"
        ]
    if not isinstance(body, dict):
        return [f'{where}: expected a table, found {describe(body)}; fix: {name} = {{ key = "id" }}']
    problems = unknown_option_problems(body, INDEX_OPTIONS, where)
    key = body.get("key", "id")
    if not isinstance(key, str) or not key:
        problems.append(
            f'{where}.key: expected the key field\'s name (a string), found {describe(key)}; fix: key = "id"'
        )
        return problems
    if "documents" in body:
        try:
            load_documents(body["documents"], key, root)
        except DocumentsError as error:
            problems.append(f"{where}.documents: {error}")
    return problems


def load_documents(value: Any, key: str, root: Path) -> list[dict[str, Any]]:
    """The documents of an ``indexes.<name>.documents`` option: a file path or an inline array."""
    if isinstance(value, str):
        path = root / value
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DocumentsError(
                f"expected a JSON file of documents, found {value!r}, which does not exist ({path}); "
                "fix: the path is relative to the project root"
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise DocumentsError(f"cannot read {path}: {error}") from None
        except json.JSONDecodeError as error:
            raise DocumentsError(
                f"expected a JSON file of documents, found invalid JSON in {path} (line {error.lineno}, "
                f"column {error.colno}: {error.msg}); fix: make it a JSON array of objects"
            ) from None
        if isinstance(data, dict) and isinstance(data.get("value"), list):
            data = data["value"]
        where = str(path)
    elif isinstance(value, list):
        data, where = value, "the inline array"
    else:
        raise DocumentsError(
            f"expected a path to a JSON file (or an array of tables), found {describe(value)}; "
            'fix: documents = "tests/data/docs.json"'
        )
    if not isinstance(data, list) or not all(isinstance(document, dict) for document in data):
        raise DocumentsError(f"expected an array of JSON objects in {where}, found {type(data).__name__}")
    for position, document in enumerate(data):
        value_of_key = document.get(key)
        if not isinstance(value_of_key, str) or not KEY_PATTERN.match(value_of_key):
            raise DocumentsError(
                f"document {position} in {where}: expected a string key field {key!r} of letters, digits, "
                f"'_', '-' or '=', found {describe(value_of_key)}; fix: set key to the documents' key field"
            )
    return [dict(document) for document in data]
