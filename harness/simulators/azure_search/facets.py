"""Faceted navigation: ``facets`` in a search request, ``@search.facets`` in its answer.

A facet expression is a field, then comma-separated parameters, as the service takes them:

* ``category`` or ``category,count:5,sort:value``: value facets, the field's distinct values (each
  element of a collection counts) with the number of matching documents holding each; sorted by
  ``count`` (the default: most first, then by value), ``-count``, ``value`` or ``-value``, at most
  ``count`` of them (default 10);
* ``rating,interval:1``: interval facets of a numeric field, each bucket's start as its value, in
  ascending order;
* ``price,values:10|20|50``: range facets, ``{"to": 10}``, ``{"from": 10, "to": 20}``,
  ``{"from": 20, "to": 50}``, ``{"from": 50}`` with their counts (``from`` inclusive, ``to``
  exclusive).

Counts are over every document the search matched (after filter and query, before paging). A field
that is not facetable (a vector, a field defined ``facetable: false``, or one the index does not
have) is the service's 400. Date intervals (``interval:day``) are not simulated: a 400 says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_search.store import VECTOR_TYPES, Index, invalid

DEFAULT_COUNT = 10
SORTS = ("count", "-count", "value", "-value")


@dataclass(frozen=True)
class Facet:
    field: str
    count: int = DEFAULT_COUNT
    sort: str = "count"
    interval: float | None = None
    boundaries: tuple[float, ...] = ()


def parse(expressions: Any) -> tuple[Facet, ...]:
    """The facets a request asks for (a list of expressions); the service's 400 for a bad one."""
    if expressions is None:
        return ()
    if not isinstance(expressions, list) or not all(isinstance(e, str) for e in expressions):
        raise invalid(f"'facets' must be an array of facet expressions, found {expressions!r}")
    return tuple(_facet(expression) for expression in expressions)


def _facet(expression: str) -> Facet:
    name, *parameters = (part.strip() for part in expression.split(","))
    if not name:
        raise invalid(f"Invalid facet expression {expression!r}: it must start with a field name")
    found: dict[str, Any] = {}
    for parameter in parameters:
        key, colon, value = parameter.partition(":")
        if not colon or key not in {"count", "sort", "interval", "values"}:
            raise invalid(
                f"Invalid facet expression {expression!r}: {parameter!r} is not one of count:<n>, "
                "sort:<count|-count|value|-value>, interval:<n>, values:<a|b|...>"
            )
        found[key] = value.strip()
    count = found.get("count", str(DEFAULT_COUNT))
    if not count.isdigit():
        raise invalid(f"Invalid facet expression {expression!r}: count must be a whole number")
    if "sort" in found and found["sort"] not in SORTS:
        raise invalid(f"Invalid facet expression {expression!r}: sort must be one of {', '.join(SORTS)}")
    interval = _number(found["interval"], expression) if "interval" in found else None
    if interval is not None and interval <= 0:
        raise invalid(f"Invalid facet expression {expression!r}: the interval must be greater than 0")
    written = found["values"].split("|") if "values" in found else []
    boundaries = tuple(_number(value, expression) for value in written)
    if list(boundaries) != sorted(set(boundaries)):
        raise invalid(f"Invalid facet expression {expression!r}: values must ascend")
    return Facet(name, int(count), found.get("sort", "count"), interval, boundaries)


def _number(text: str, expression: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise invalid(
            f"Invalid facet expression {expression!r}: {text!r} is not a number (date intervals and "
            "ranges are not simulated)"
        ) from None
    if not math.isfinite(value):
        raise invalid(f"Invalid facet expression {expression!r}: {text!r} is not a finite number")
    return value


def compute(facets: Iterable[Facet], documents: list[Mapping[str, Any]], index: Index) -> dict[str, Any]:
    """``@search.facets`` of ``documents`` (the matched documents)."""
    answered: dict[str, Any] = {}
    for facet in facets:
        _check_facetable(facet.field, index)
        values = [value for document in documents for value in _values(document.get(facet.field))]
        if facet.boundaries:
            answered[facet.field] = _ranges(values, facet.boundaries)
        elif facet.interval is not None:
            answered[facet.field] = _intervals(values, facet)
        else:
            answered[facet.field] = _distinct(values, facet)
    return answered


def _check_facetable(name: str, index: Index) -> None:
    definition = next((entry for entry in index.field_list() if entry.get("name") == name), None)
    if definition is None:
        raise invalid(f"Invalid facet expression: the field '{name}' does not exist in the index")
    if definition.get("facetable") is False or definition.get("type") in VECTOR_TYPES:
        raise invalid(f"Invalid facet expression: the field '{name}' is not facetable")


def _values(value: Any) -> list[Any]:
    # Each element of a collection counts, once per document.
    if isinstance(value, list):
        return list(dict.fromkeys(item for item in value if item is not None))
    return [] if value is None else [value]


def _distinct(values: list[Any], facet: Facet) -> list[dict[str, Any]]:
    counted = list(Counter(values).items())
    order = {
        "count": lambda pair: (-pair[1], _sortable(pair[0])),
        "-count": lambda pair: (pair[1], _sortable(pair[0])),
        "value": lambda pair: _sortable(pair[0]),
        "-value": lambda pair: _sortable(pair[0]),
    }[facet.sort]
    counted.sort(key=order, reverse=facet.sort == "-value")
    return [{"value": value, "count": count} for value, count in counted[: facet.count]]


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, str(value))


def _numbers(values: list[Any], what: str) -> list[float]:
    numbers = [value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)]
    if len(numbers) != len(values):
        raise invalid(f"Invalid facet expression: {what} facets need a numeric field")
    return numbers


def _intervals(values: list[Any], facet: Facet) -> list[dict[str, Any]]:
    assert facet.interval is not None
    interval = facet.interval
    starts = Counter(math.floor(value / interval) * interval for value in _numbers(values, "interval"))
    buckets = sorted(starts.items())[: facet.count]
    return [{"value": _shown(start), "count": count} for start, count in buckets]


def _ranges(values: list[Any], boundaries: tuple[float, ...]) -> list[dict[str, Any]]:
    numbers = _numbers(values, "range")
    lows: list[float | None] = [None, *boundaries]
    highs: list[float | None] = [*boundaries, None]
    result = []
    for low, high in zip(lows, highs, strict=True):
        bucket: dict[str, Any] = {}
        if low is not None:
            bucket["from"] = _shown(low)
        if high is not None:
            bucket["to"] = _shown(high)
        bucket["count"] = sum(1 for n in numbers if (low is None or n >= low) and (high is None or n < high))
        result.append(bucket)
    return result


def _shown(number: float) -> float | int:
    """A boundary as the request wrote it: ``10``, not ``10.0``."""
    return int(number) if float(number).is_integer() else number
