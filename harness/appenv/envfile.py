"""Write the app's env file: dotenv format, atomically, readable by its owner only."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def quote(value: str) -> str:
    """Quote ``value`` so python-dotenv reads back exactly ``value``.

    Single quotes keep ``#``, spaces and backslash sequences literal, escaping only backslash and
    quote. A value with a line break needs double quotes, where ``\\n``/``\\r`` escapes exist
    (dotenv reads the file with universal newlines, so a raw ``\\r`` would become ``\\n``).
    python-dotenv expands ``${NAME}`` even inside quotes and has no escape for it, so a literal
    ``${`` is written as ``${:-$}{``: an empty, never-set variable whose default is ``$``.
    """
    if "\n" in value or "\r" in value:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return '"' + escaped.replace("${", "${:-$}{") + '"'
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "${:-$}{")
    return f"'{escaped}'"


def render(values: Mapping[str, str], header: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [f"{name}={quote(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def write_env_file(path: Path, values: Mapping[str, str], header: str = "") -> Path:
    """Write ``values`` to ``path`` atomically with mode 0600 and return the path.

    The file is written beside its destination and renamed over it, so an app (or a person) reading
    it never sees half a file; 0600 because env files usually carry keys.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(render(values, header))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
