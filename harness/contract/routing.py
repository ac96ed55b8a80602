"""Which documented operation serves a request: path templates, prefixes and their precedence.

A template's parameters match one path segment each (``{id}`` never matches ``/``), also inside
literal text (``/docs('{key}')``). Templates with more literal characters are tried first, so
``/docs/search.index`` wins over ``/docs/{id}``. The prefix a request path carries comes from the
document: Swagger ``basePath`` and the path part of Azure's ``x-ms-parameterized-host``
template, or the path part of the OpenAPI 3 server URL (operation, then path item, then document
``servers``), whose variables match their ``enum``/``default`` values, or any segment when they
have no ``enum``. Azure ``x-ms-paths`` keys carry a query discriminator after ``?`` (``/docs?op=x``
or ``/docs?search``): such an operation serves a request whose query has it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

_PARAMETER = re.compile(r"\{([^{}/]+)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

Target = TypeVar("Target")


def url_path(url: str) -> str:
    """The path part of a server URL or host template, without a trailing ``/``:
    ``https://{endpoint}/openai`` -> ``/openai``, ``{endpoint}`` -> ``""``, ``/v1/`` -> ``/v1``."""
    rest = _SCHEME.sub("", url.strip(), count=1)
    if not rest.startswith("/"):
        slash = rest.find("/")
        rest = rest[slash:] if slash >= 0 else ""
    rest = rest.split("?", 1)[0].split("#", 1)[0]
    return rest.rstrip("/")


@dataclass(frozen=True)
class Route:
    """A compiled path template (prefix included)."""

    template: str
    regex: re.Pattern[str]
    names: tuple[str, ...]  # the parameter of each regex group, in order
    literal: int  # literal characters: the more, the earlier the route is tried
    #: The x-ms-paths query discriminator: (name, value or None for "present") pairs.
    query: tuple[tuple[str, str | None], ...] = ()

    def match(self, path: str) -> dict[str, str] | None:
        """The template's parameter values in ``path``, or ``None`` when it does not match."""
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        values: dict[str, str] = {}
        for name, value in zip(self.names, found.groups(), strict=True):
            values.setdefault(name, value)
        return values

    def accepts(self, query: Mapping[str, Sequence[str]] | None) -> bool:
        """Whether a request with ``query`` satisfies the x-ms-paths discriminator (``None``: unknown)."""
        if not self.query or query is None:
            return True
        for name, value in self.query:
            given = query.get(name)
            if given is None:
                return False
            if value is not None and value not in ([given] if isinstance(given, str) else list(given)):
                return False
        return True


def compile_route(template: str, *, variables: Mapping[str, Sequence[str] | None] | None = None) -> Route:
    """The route of ``template`` (a path key, prefix included, possibly with ``?discriminator``).

    ``variables`` are server variables: a name mapped to its allowed values matches only those.
    """
    path, _, discriminator = template.partition("?")
    pattern, names, literal, position = "", [], 0, 0
    for found in _PARAMETER.finditer(path):
        text = path[position : found.start()]
        pattern += re.escape(text)
        literal += len(text)
        name = found.group(1)
        allowed = (variables or {}).get(name)
        if allowed:
            pattern += "(" + "|".join(re.escape(value) for value in allowed) + ")"
        else:
            pattern += "([^/]+)"
        names.append(name)
        position = found.end()
    pattern += re.escape(path[position:])
    literal += len(path) - position
    query: list[tuple[str, str | None]] = []
    for part in discriminator.split("&"):
        if part:
            name, equals, value = part.partition("=")
            query.append((unquote(name), unquote(value) if equals else None))
    return Route(path, re.compile(pattern), tuple(names), literal, tuple(query))


def _similarity(path: str, template: str) -> float:
    """How alike a request path and a template are, segment by segment (0..1): a segment the
    template's parameters match counts fully, others by their text's likeness."""
    given, documented = path.strip("/").split("/"), template.strip("/").split("/")
    score = 0.0
    for actual, expected in zip(given, documented, strict=False):
        if compile_route(expected).regex.fullmatch(actual):
            score += 1.0
        else:
            score += difflib.SequenceMatcher(None, actual, expected).ratio()
    return score / max(len(given), len(documented))


class Router(Generic[Target]):
    """Finds the target (an operation) of a method and path; targets grouped by method, each group
    ordered most-literal first."""

    def __init__(self, entries: Sequence[tuple[str, Route, Target]]) -> None:
        self._entries = list(entries)
        grouped: dict[str, list[tuple[tuple[int, int, int], Route, Target]]] = {}
        for order, (method, route, target) in enumerate(entries):
            grouped.setdefault(method, []).append(((-route.literal, len(route.names), order), route, target))
        # Per method: (routes with an x-ms-paths query discriminator, the others), most literal first.
        self._by_method: dict[str, tuple[list[tuple[Route, Target]], list[tuple[Route, Target]]]] = {}
        for method, group in grouped.items():
            ordered = [(route, target) for _rank, route, target in sorted(group, key=lambda item: item[0])]
            self._by_method[method] = (
                [entry for entry in ordered if entry[0].query],
                [entry for entry in ordered if not entry[0].query],
            )

    def find(
        self, method: str, path: str, query: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[Target, dict[str, str]] | None:
        """The target serving ``method path`` and the path parameters, or ``None``.

        With ``query`` given, an x-ms-paths operation whose discriminator the query satisfies wins
        over the plain path; without it, plain paths come first. A path with percent-escapes that
        matches nothing as given is tried decoded too.
        """
        discriminated, plain = self._by_method.get(method.upper(), ([], []))
        candidates = discriminated + plain if query is not None else plain + discriminated
        spellings = [path, unquote(path)] if "%" in path else [path]
        for spelling in spellings:
            for route, target in candidates:
                values = route.match(spelling)
                if values is not None and route.accepts(query):
                    return target, values
        return None

    def describe(self, method: str, path: str, label: Callable[[str, Route], str], limit: int = 5) -> str:
        """``documented: POST /a, GET /b`` with the operations closest to ``method path`` first."""
        if not self._entries:
            return "the document has no operations"

        def distance(entry: tuple[str, Route, Target]) -> tuple[int, float]:
            entry_method, route, _target = entry
            return (0 if entry_method == method.upper() else 1, -_similarity(path, route.template))

        ranked = sorted(self._entries, key=distance)
        shown = [label(entry_method, route) for entry_method, route, _target in ranked[:limit]]
        more = len(ranked) - len(shown)
        return "documented: " + ", ".join(shown) + (f" (and {more} more)" if more > 0 else "")
