"""``{placeholder}`` substitution in env values and the app command.

The syntax is deliberately tiny: ``{name}`` or ``{dotted.name}`` is replaced, ``{{`` and ``}}`` are
literal braces, and nothing else (no format specs, no expressions). Placeholders are checked when
the config is loaded, so a typo fails before anything starts, not after the app misbehaves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateSyntaxError(ValueError):
    """A template is malformed or names a placeholder that does not exist."""


def placeholders(template: str) -> list[str]:
    """Return the placeholder names used in ``template``, raising on malformed braces."""
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise TemplateSyntaxError(
                f"unbalanced '{token}' in {template!r} (write '{token}{token}' for a literal)"
            )
        names.append(match.group(1).strip())
    return names


def check(template: str, allowed: Iterable[str]) -> None:
    """Raise TemplateSyntaxError if ``template`` uses a placeholder outside ``allowed``."""
    allowed_set = set(allowed)
    for name in placeholders(template):
        if name not in allowed_set:
            choices = ", ".join("{" + a + "}" for a in sorted(allowed_set))
            raise TemplateSyntaxError(f"unknown placeholder {{{name}}} in {template!r}; available: {choices}")


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute every placeholder of ``template`` from ``values``."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        if token in ("{", "}"):
            raise TemplateSyntaxError(f"unbalanced '{token}' in {template!r}")
        name = match.group(1).strip()
        try:
            return values[name]
        except KeyError:
            raise TemplateSyntaxError(f"unknown placeholder {{{name}}} in {template!r}") from None

    return _TOKEN.sub(replace, template)


def rename(template: str, names: Mapping[str, str]) -> str:
    """Return ``template`` with placeholders renamed by ``names`` (others and literals untouched).

    Used to bind a service's own ``{url}`` to ``{services.<name>.url}`` when its env values join the
    app's environment, where a bare ``{url}`` would be ambiguous.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None or name.strip() not in names:
            return match.group(0)
        return "{" + names[name.strip()] + "}"

    return _TOKEN.sub(replace, template)
