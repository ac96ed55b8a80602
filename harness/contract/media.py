"""Media types: parsing a Content-Type, matching it against documented ones, telling JSON apart."""

from __future__ import annotations

from collections.abc import Iterable


def essence(content_type: str | None) -> str | None:
    """``type/subtype`` in lower case, parameters (``charset``...) dropped; ``None`` for none."""
    if content_type is None:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def is_json(media: str | None) -> bool:
    """``application/json``, ``text/json`` and any ``+json`` type (``application/merge-patch+json``)."""
    value = essence(media)
    if value is None:
        return False
    return value in ("application/json", "text/json") or value.endswith("+json")


def _matches(documented: str, actual: str) -> bool:
    pattern = essence(documented) or ""
    if pattern in ("*/*", "*"):
        return True
    if pattern.endswith("/*"):
        return actual.split("/", 1)[0] == pattern[:-2]
    return pattern == actual


def select(documented: Iterable[str], actual: str | None) -> str | None:
    """The documented media type key serving ``actual``: an exact match first, then a wildcard."""
    value = essence(actual)
    if value is None:
        return None
    keys = list(documented)
    for key in keys:
        if essence(key) == value:
            return key
    for key in keys:
        if _matches(key, value):
            return key
    return None


def first_json(documented: Iterable[str]) -> str | None:
    """The first documented JSON type, or ``application/json`` where a wildcard admits JSON."""
    keys = list(documented)
    for key in keys:
        if is_json(key):
            return essence(key)
    for key in keys:
        if _matches(key, "application/json"):
            return "application/json"
    return None
