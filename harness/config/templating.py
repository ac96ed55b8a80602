"""``{placeholder}`` substitution in env values and the app command.

The syntax is deliberately tiny:

* ``{name}`` is a placeholder when ``name`` is made only of letters, digits, ``_``, ``.`` and ``-``
  (``{port}``, ``{services.api-v2.url}``; spaces around the name are allowed: ``{ url }``). It is
  replaced, and a name that does not exist is an error, checked when the config is loaded, so a typo
  fails before anything starts, not after the app misbehaves.
* Any other brace group is literal text, braces included: ``{"accountName": "x"}``, ``{}``,
  ``{a b}``. Placeholders inside it are still replaced, so JSON is written as it is:
  ``{"endpoint": "{services.api.url}"}``. A ``}`` that closes such a literal ``{`` is literal too,
  which keeps nested JSON (``{"a": {"b": 1}}``) intact.
* ``{{`` and ``}}`` are a literal ``{`` and ``}`` (``{{port}}`` is the text ``{port}``). Doubling
  every literal brace always works.
* Braces must balance: a literal ``{`` never closed, or a ``}`` that closes nothing, is an error.

No format specs, no expressions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: What a placeholder name may hold. Anything else inside braces makes the group literal text.
NAME_CHARACTERS = "letters, digits, '_', '.', '-'"
_PLACEHOLDER = re.compile(r"\{[ \t]*([A-Za-z0-9_.-]+)[ \t]*\}")
_PLAIN = re.compile(r"[^{}]+")


class TemplateSyntaxError(ValueError):
    """A template is malformed or names a placeholder that does not exist."""


@dataclass(frozen=True)
class _Token:
    """A piece of a template: ``raw`` as written; ``name`` for a placeholder, else ``text`` (the
    literal it stands for, ``{`` for ``{{``)."""

    raw: str
    text: str = ""
    name: str | None = None


def _tokens(template: str) -> list[_Token]:
    """Split ``template`` into literal text and placeholders, raising on unbalanced braces."""
    tokens: list[_Token] = []
    #: Open literal braces: ``"{"`` (a literal group, which a single ``}`` closes) or ``"{{"``.
    opened: list[str] = []
    position = 0
    while position < len(template):
        plain = _PLAIN.match(template, position)
        if plain is not None:
            tokens.append(_Token(plain.group(0), plain.group(0)))
            position = plain.end()
            continue
        if template.startswith("{{", position):
            opened.append("{{")
            tokens.append(_Token("{{", "{"))
            position += 2
            continue
        if template[position] == "{":
            placeholder = _PLACEHOLDER.match(template, position)
            if placeholder is not None:
                tokens.append(_Token(placeholder.group(0), name=placeholder.group(1)))
                position = placeholder.end()
                continue
            opened.append("{")
            tokens.append(_Token("{", "{"))
            position += 1
            continue
        # A "}": it closes a literal "{" if one is open; else "}}" is an escaped brace.
        if opened and opened[-1] == "{":
            opened.pop()
            tokens.append(_Token("}", "}"))
            position += 1
        elif template.startswith("}}", position):
            if opened:
                opened.pop()
            tokens.append(_Token("}}", "}"))
            position += 2
        else:
            raise TemplateSyntaxError(f"unbalanced '}}' in {template!r} (write '}}}}' for a literal)")
    if "{" in opened:
        raise TemplateSyntaxError(f"unbalanced '{{' in {template!r} (write '{{{{' for a literal)")
    return tokens


def placeholders(template: str) -> list[str]:
    """Return the placeholder names used in ``template``, raising on malformed braces."""
    return [token.name for token in _tokens(template) if token.name is not None]


def suggestions(name: str, allowed: Iterable[str]) -> list[str]:
    """Known names ``name`` may have meant: those it ends (``url`` -> ``app.url``), else close ones."""
    known = sorted(set(allowed))
    ending = [candidate for candidate in known if candidate.endswith("." + name)]
    return ending[:3] or difflib.get_close_matches(name, known, n=1)


def check(template: str, allowed: Iterable[str]) -> None:
    """Raise TemplateSyntaxError if ``template`` uses a placeholder outside ``allowed``.

    The message says what the name may have meant, lists the available placeholders and shows the
    template with that group's braces doubled, which makes it literal text."""
    allowed_set = set(allowed)
    tokens = _tokens(template)
    for token in tokens:
        if token.name is None or token.name in allowed_set:
            continue
        hint = " or ".join("{" + known + "}" for known in suggestions(token.name, allowed_set))
        meant = f"did you mean {hint}? " if hint else ""
        choices = ", ".join("{" + a + "}" for a in sorted(allowed_set)) or "none here"
        literal = "".join("{" + t.raw + "}" if t.name == token.name else t.raw for t in tokens)
        raise TemplateSyntaxError(
            f"unknown placeholder {{{token.name}}} in {template!r}; {meant}available: {choices}. "
            f"fix: correct the name, or for literal braces double them: {literal!r}"
        )


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute every placeholder of ``template`` from ``values``."""
    parts: list[str] = []
    for token in _tokens(template):
        if token.name is None:
            parts.append(token.text)
            continue
        try:
            parts.append(values[token.name])
        except KeyError:
            raise TemplateSyntaxError(f"unknown placeholder {{{token.name}}} in {template!r}") from None
    return "".join(parts)


def rename(template: str, names: Mapping[str, str]) -> str:
    """Return ``template`` with placeholders renamed by ``names`` (others and literals untouched).

    Used to bind a service's own ``{url}`` to ``{services.<name>.url}`` when its env values join the
    app's environment, where a bare ``{url}`` would be ambiguous.
    """
    parts: list[str] = []
    for token in _tokens(template):
        renamed = names.get(token.name) if token.name is not None else None
        parts.append(token.raw if renamed is None else "{" + renamed + "}")
    return "".join(parts)
