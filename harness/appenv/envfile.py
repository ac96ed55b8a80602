"""The app's env file, in the dialect ``env_file_format`` names (harness.files.run_files writes it
through harness.files.owned: atomically, owner-only, marked with its run on the first line).

Each dialect writes every value so that its readers read back exactly that value, or refuses it
(:func:`problems`) with a message naming the variable, the dialect and the fix -- never a file
that one of its readers would read differently:

``dotenv`` (the default)
    python-dotenv and Node's ``dotenv`` (npm) both. Values go single-quoted where both read them
    literally, else double-quoted (only ``\\n``/``\\r`` escapes, which both decode), else bare.
    Refused: a ``${NAME}`` python-dotenv would expand (Node's dotenv does not, and no quoting
    hides it from one reader only), and a value that needs quotes (``#``, a line break, spaces at
    an end, a quote first) while holding ``'`` as well as ``"`` or a backslash: Node's dotenv has
    no escapes, python-dotenv decodes ``\\\\`` and ``\\'``.
``python-dotenv``
    python-dotenv only, every value (:func:`quote`).
``shell``
    ``set -a; . FILE`` in a POSIX shell (bash, dash): ``NAME='value'``, every value. Refused:
    names bash keeps for itself (``UID``, ``RANDOM``, ...), which a sourced file cannot set.
``docker``
    ``docker run --env-file``: ``NAME=value`` taken literally (no quotes, escapes or expansion).
    Refused: a line break, a carriage return at the end (docker drops it) and lines over 65535
    bytes (docker's limit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DOTENV = "dotenv"
PYTHON_DOTENV = "python-dotenv"
SHELL = "shell"
DOCKER = "docker"

#: Each ``env_file_format``, and the readers that read its files back exactly.
FORMATS: dict[str, str] = {
    DOTENV: "python-dotenv and Node's dotenv",
    PYTHON_DOTENV: "python-dotenv",
    SHELL: "a POSIX shell: set -a; . FILE",
    DOCKER: "docker run --env-file",
}
DEFAULT_FORMAT = DOTENV

#: What python-dotenv expands, in any quotes: ``${NAME}`` and ``${NAME:-default}``.
_EXPANDED = re.compile(r"\$\{[^}:]*(?::-[^}]*)?\}")
#: Line terminators to Python or to a JavaScript regular expression (Node's dotenv parser).
_LINE_BREAKS = "\n\r\u2028\u2029"
_QUOTES = "'\"`"

#: Variables bash sets or guards itself: after ``set -a; . FILE`` they do not hold the file's value
#: (read-only, or recomputed by the shell; ``OPTIND`` also in dash).
SHELL_MANAGED = frozenset(
    {
        "BASHOPTS",
        "BASHPID",
        "BASH_ARGC",
        "BASH_ARGV",
        "BASH_ARGV0",
        "BASH_LINENO",
        "BASH_SOURCE",
        "BASH_SUBSHELL",
        "BASH_VERSINFO",
        "COMP_WORDBREAKS",
        "DIRSTACK",
        "EPOCHREALTIME",
        "EPOCHSECONDS",
        "EUID",
        "FUNCNAME",
        "GROUPS",
        "HISTCMD",
        "LINENO",
        "OPTIND",
        "PPID",
        "RANDOM",
        "SECONDS",
        "SHELLOPTS",
        "SHLVL",
        "SRANDOM",
        "UID",
        "_",
    }
)
#: The longest line ``docker run --env-file`` reads (Go's bufio.MaxScanTokenSize, less the newline).
DOCKER_MAX_LINE_BYTES = 64 * 1024 - 1


def quote(value: str) -> str:
    """Quote ``value`` so python-dotenv reads back exactly ``value`` (the ``python-dotenv`` dialect).

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


def quote_dotenv(value: str) -> str | None:
    """``value`` as python-dotenv and Node's dotenv both read it back exactly, or ``None``.

    Single quotes, where neither reader changes anything: no ``'``, no ``\\r`` (both readers turn
    line endings into ``\\n``), no ``\\\\`` and no trailing backslash (python-dotenv's escapes).
    Else double quotes, whose ``\\n``/``\\r`` escapes both readers decode: no ``"``, no backslash.
    Else bare, as both take an unquoted value: no ``#``, no line break, no space at either end,
    no quote first. A ``${NAME}`` is never possible: python-dotenv expands it, Node's dotenv not.
    """
    if _EXPANDED.search(value):
        return None
    single = "'" not in value and "\r" not in value and "\\\\" not in value and not value.endswith("\\")
    double = '"' not in value and "\\" not in value
    if single and "\n" not in value:
        return f"'{value}'"
    if double:
        return '"' + value.replace("\n", "\\n").replace("\r", "\\r") + '"'
    if single:
        return f"'{value}'"  # a line break, written as is: both readers take quoted multi-line values
    if not _needs_quotes(value):
        return value
    return None


def _is_space(char: str) -> bool:
    """Whitespace to python-dotenv (``str.isspace``) or to JavaScript's ``trim()`` (adds U+FEFF)."""
    return char.isspace() or char == "\ufeff"


def _needs_quotes(value: str) -> list[str]:
    """Why a bare ``value`` would not read back exactly in python-dotenv or Node's dotenv."""
    reasons = []
    if "#" in value:
        reasons.append("a '#'")
    if any(char in _LINE_BREAKS for char in value):
        reasons.append("a line break")
    if value and (_is_space(value[0]) or _is_space(value[-1])):
        reasons.append("whitespace at an end")
    if value[:1] in tuple(_QUOTES):
        reasons.append("a quote first")
    return reasons


def quote_shell(value: str) -> str:
    """``value`` single-quoted for a POSIX shell: everything literal; a ``'`` becomes ``'\\''``."""
    return "'" + value.replace("'", "'\\''") + "'"


def line(name: str, value: str, fmt: str = PYTHON_DOTENV) -> str:
    """The line (or lines) of ``name`` in ``fmt``; :func:`problem` must have found nothing."""
    if fmt == DOTENV:
        quoted = quote_dotenv(value)
        if quoted is None:
            raise ValueError(problem(name, value, fmt))
        return f"{name}={quoted}\n"
    if fmt == PYTHON_DOTENV:
        return f"{name}={quote(value)}\n"
    if fmt == SHELL:
        return f"{name}={quote_shell(value)}\n"
    if fmt == DOCKER:
        return f"{name}={value}\n"
    raise ValueError(f"unknown env_file_format {fmt!r} (known: {', '.join(FORMATS)})")


def problem(name: str, value: str, fmt: str) -> str | None:
    """Why ``fmt`` cannot carry ``value`` of ``name`` exactly, with the fix; ``None`` if it can."""
    key = f'tool.harness.env_file_format = "{fmt}" ({FORMATS.get(fmt, "unknown")})'
    reason, fix = _refusal(name, value, fmt)
    if reason is None:
        return None
    return f"{key} cannot hold the value of {name}: {reason}; fix: {fix}"


def _refusal(name: str, value: str, fmt: str) -> tuple[str | None, str]:
    *rest, last = (f'"{other}"' for other in FORMATS if other != fmt)
    others = f"{', '.join(rest)} or {last}"
    if fmt == DOTENV:
        if _EXPANDED.search(value):
            return (
                "it holds a ${...} that python-dotenv expands (to another variable's value) and Node's "
                "dotenv keeps as it is, and no quoting makes the two agree",
                f'choose env_file_format = "{PYTHON_DOTENV}" if only python-dotenv reads the env file '
                "(it keeps ${ literal there), or change the value",
            )
        if quote_dotenv(value) is None:
            held = [shown for char, shown in (("'", "'"), ('"', '"'), ("\\", "a backslash")) if char in value]
            if "\r" in value:
                held.append("a carriage return")
            return (
                f"it needs quotes ({', '.join(_needs_quotes(value))}) and holds {' and '.join(held)}, which "
                "python-dotenv and Node's dotenv read differently in every quoting (Node's dotenv has no "
                "escapes, python-dotenv decodes \\\\ and \\'; both turn a raw carriage return into a "
                "line break)",
                f'choose env_file_format = "{PYTHON_DOTENV}" if only python-dotenv reads the env file '
                f'("{SHELL}" if a shell sources it), or change the value',
            )
    elif fmt == SHELL:
        if name in SHELL_MANAGED:
            return (
                f"bash keeps {name} for itself (read-only or recomputed), so set -a; . FILE cannot set it",
                f"give the variable another name, or choose env_file_format = {others} if no shell "
                "sources the env file",
            )
    elif fmt == DOCKER:
        if "\n" in value:
            return (
                "it holds a line break, and docker run --env-file reads one NAME=value per line, "
                "literally, with no quoting or escapes",
                "give the app the value another way (a path to a file holding it, or an encoding "
                f"without line breaks such as base64), or choose env_file_format = {others} if the "
                "app does not read the env file with docker",
            )
        if value.endswith("\r"):
            return (
                "it ends with a carriage return, which docker run --env-file drops (it reads "
                "\\r\\n line endings)",
                f"remove the trailing \\r, or choose env_file_format = {others} if the app does not "
                "read the env file with docker",
            )
        size = len(f"{name}={value}".encode("utf-8", "replace"))
        if size > DOCKER_MAX_LINE_BYTES:
            return (
                f"its line is {size} bytes, and docker run --env-file refuses lines over "
                f"{DOCKER_MAX_LINE_BYTES} bytes (bufio.Scanner: token too long)",
                "pass a shorter value (such as a path to a file holding it), or choose "
                f"env_file_format = {others} if the app does not read the env file with docker",
            )
    elif fmt not in FORMATS:
        return f"{fmt!r} is not a known env_file_format", f"use one of {', '.join(FORMATS)}"
    return None, ""


def problems(values: Mapping[str, str], fmt: str) -> list[str]:
    """Every value of ``values`` that ``fmt`` cannot carry exactly, each with its fix."""
    found = (problem(name, value, fmt) for name, value in values.items())
    return [text for text in found if text is not None]


def render(values: Mapping[str, str], fmt: str = PYTHON_DOTENV) -> str:
    """``values`` as lines of ``fmt``, one variable each, in order (``ValueError`` listing every value
    the format cannot carry: check with :func:`problems` first). Without ``fmt``: python-dotenv's own
    quoting, which carries every value (the configured default, ``dotenv``, is stricter)."""
    refused = problems(values, fmt)
    if refused:
        raise ValueError("\n".join(refused))
    return "".join(line(name, value, fmt) for name, value in values.items())
