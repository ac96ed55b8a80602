"""The app's env file in dotenv format (harness.files.owned writes it: atomically, owner-only, marked)."""

from __future__ import annotations

from collections.abc import Mapping


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


def render(values: Mapping[str, str]) -> str:
    """``values`` as dotenv lines, one ``NAME='value'`` each, in order."""
    return "".join(f"{name}={quote(value)}\n" for name, value in values.items())
