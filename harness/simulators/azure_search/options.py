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

from harness.simulators.azure_common import KEYS
from harness.simulators.azure_search.store import INDEX_NAME_PATTERN, KEY_PATTERN
from harness.simulators.checks import ANY, BOOLEAN, Check, Schema, TableOf, describe


class DocumentsError(ValueError):
    """A documents file that cannot be used (the message says why and what to do)."""


_KEY = Check(
    lambda value: isinstance(value, str) and bool(value), "the key field's name (a string)", fix='key = "id"'
)


def _documents_problems(index: Mapping[str, Any], where: str, name: str, root: Path | None) -> list[str]:
    # The documents are read now, so that a missing or broken file is a problem at config load.
    key = index.get("key", "id")
    if "documents" not in index or not _KEY(key):
        return []
    try:
        load_documents(index["documents"], key, root or Path.cwd())
    except DocumentsError as error:
        return [f"{where}.documents: {error}"]
    return []


#: The search simulator's options.
OPTIONS = Schema(
    {
        "api_key": KEYS,
        "auto_create": BOOLEAN,
        "indexes": TableOf(
            Schema(
                {"key": _KEY, "documents": ANY},
                fix=lambda name: f'{name} = {{ key = "id" }}',
                extra=(_documents_problems,),
            ),
            expected="a table of indexes",
            fix='indexes = { docs = { key = "id", documents = "tests/data/docs.json" } }',
            names=Check(
                lambda name: bool(INDEX_NAME_PATTERN.match(name)),
                "lower-case letters, digits or dashes, starting with a letter or digit",
                fix="rename the index",
            ),
            noun="index",
        ),
    }
)


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
