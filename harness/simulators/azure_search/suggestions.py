"""Suggest and autocomplete (``docs/search.post.suggest``, ``docs/search.post.autocomplete`` and their
GET forms ``docs/search.suggest``, ``docs/search.autocomplete``), driven by the index's suggesters.

A suggester (``"suggesters": [{"name": "sg", "searchMode": "analyzingInfixMatching",
"sourceFields": ["title", "category"]}]`` in the index definition) names the fields that type-ahead
looks in. The query's words are read as the service's infix matching does: every word but the last
must be a word of the field, the last the beginning of one (``"bas pl"`` finds "The basic plan"),
case-insensitively. ``fuzzy`` is accepted and not applied (no typo tolerance).

* **Suggest** answers, per matching document (the first source field that matches, in the
  suggester's order), ``@search.text`` (the field's text, the matched words wrapped in
  ``highlightPreTag``/``highlightPostTag`` when given) and the ``select`` fields (default: the
  key), in the order the documents were added or by ``orderby``; ``top`` 1-100, default 5.
* **Autocomplete** answers completed terms of the last word, each ``{"text", "queryPlusText"}``,
  most documents first (then alphabetically): ``oneTerm`` (the default) the word itself,
  ``twoTerms`` the word and the one after it, ``oneTermWithContext`` the query's earlier words
  with the completed word (only where they come right before it).

Both take ``filter``, ``searchFields`` (a subset of the source fields) and ``minimumCoverage``
(accepted). An unknown suggester, a search text outside 1-100 characters or a bad parameter is the
service's 400.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_search.query import field_names, filtered, ordered
from harness.simulators.azure_search.store import WORD, Index, field_texts, invalid

DEFAULT_TOP = 5
MAX_TOP = 100
MAX_SEARCH = 100
MODES = ("oneTerm", "twoTerms", "oneTermWithContext")


@dataclass(frozen=True)
class TypeAhead:
    """A suggest or autocomplete request, checked."""

    search: str
    suggester: str
    top: int = DEFAULT_TOP
    filter: str | None = None
    search_fields: list[str] | None = None
    select: list[str] | None = None
    orderby: list[str] | None = None
    pre_tag: str | None = None
    post_tag: str | None = None
    mode: str = "oneTerm"

    @classmethod
    def from_body(cls, body: Any) -> TypeAhead:
        if not isinstance(body, dict):
            raise invalid("the request must be a JSON object")
        return cls._checked(body)

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> TypeAhead:
        renamed = {
            "search": args.get("search"),
            "suggesterName": args.get("suggesterName"),
            "top": _integer(args.get("$top")),
            "filter": args.get("$filter"),
            "searchFields": args.get("searchFields"),
            "select": args.get("$select"),
            "orderby": args.get("$orderby"),
            "highlightPreTag": args.get("highlightPreTag"),
            "highlightPostTag": args.get("highlightPostTag"),
            "autocompleteMode": args.get("autocompleteMode"),
        }
        return cls._checked({name: value for name, value in renamed.items() if value is not None})

    @classmethod
    def _checked(cls, body: Mapping[str, Any]) -> TypeAhead:
        search = body.get("search")
        if not isinstance(search, str) or not 1 <= len(search) <= MAX_SEARCH:
            raise invalid(f"'search' must be a string of 1 to {MAX_SEARCH} characters, found {search!r}")
        suggester = body.get("suggesterName")
        if not isinstance(suggester, str) or not suggester:
            raise invalid("'suggesterName' is required: the name of one of the index's suggesters")
        top = body.get("top", DEFAULT_TOP)
        if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
            raise invalid(f"'top' must be a whole number from 1 to {MAX_TOP}, found {top!r}")
        mode = body.get("autocompleteMode", "oneTerm")
        if mode not in MODES:
            raise invalid(f"'autocompleteMode' must be one of {', '.join(MODES)}, found {mode!r}")
        return cls(
            search=search,
            suggester=suggester,
            top=top,
            filter=_text(body, "filter"),
            search_fields=field_names(body.get("searchFields"), "searchFields"),
            select=field_names(body.get("select"), "select"),
            orderby=field_names(body.get("orderby"), "orderby"),
            pre_tag=_text(body, "highlightPreTag"),
            post_tag=_text(body, "highlightPostTag"),
            mode=mode,
        )


def suggest(index: Index, request: TypeAhead) -> dict[str, Any]:
    """The ``suggest`` answer: one suggestion per matching document."""
    fields = _source_fields(index, request)
    earlier, last = _query(request.search)
    results: list[dict[str, Any]] = []
    for document in _documents(index, request):
        matched = next((t for t in field_texts(document, fields) if _matches(_words(t), earlier, last)), None)
        if matched is None:
            continue
        suggestion: dict[str, Any] = {"@search.text": _highlighted(matched, earlier, last, request)}
        for selected in request.select or [index.key]:
            suggestion[selected] = document.get(selected)
        results.append(suggestion)
    return {"value": results[: request.top]}


def autocomplete(index: Index, request: TypeAhead) -> dict[str, Any]:
    """The ``autocomplete`` answer: completed terms, most documents first."""
    fields = _source_fields(index, request)
    earlier, last = _query(request.search)
    found: Counter[str] = Counter()
    for document in _documents(index, request):
        terms: set[str] = set()
        for text in field_texts(document, fields):
            words = _words(text)
            if not _matches(words, earlier, last):
                continue
            for position, word in enumerate(words):
                if not word.startswith(last):
                    continue
                if request.mode == "twoTerms" and position + 1 < len(words):
                    terms.add(f"{word} {words[position + 1]}")
                elif request.mode == "oneTermWithContext" and earlier:
                    if words[max(0, position - len(earlier)) : position] == earlier:
                        terms.add(" ".join([*earlier, word]))
                else:
                    terms.add(word)
        found.update(terms)
    ranked = sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))[: request.top]
    # With context, the term carries the earlier words already.
    prefix = "" if request.mode == "oneTermWithContext" else " ".join(earlier)
    return {"value": [{"text": term, "queryPlusText": f"{prefix} {term}".strip()} for term, _count in ranked]}


def _source_fields(index: Index, request: TypeAhead) -> list[str]:
    suggesters = index.extra.get("suggesters") or []
    named = [entry for entry in suggesters if isinstance(entry, Mapping)]
    chosen = next((entry for entry in named if entry.get("name") == request.suggester), None)
    if chosen is None:
        raise invalid(
            f"The specified suggester name '{request.suggester}' does not exist in this index definition."
        )
    fields = [str(name) for name in chosen.get("sourceFields") or []]
    if request.search_fields:
        outside = [name for name in request.search_fields if name not in fields]
        if outside:
            raise invalid(
                f"searchFields {outside} are not source fields of suggester '{request.suggester}' ({fields})"
            )
        fields = request.search_fields
    return fields


def _documents(index: Index, request: TypeAhead) -> list[dict[str, Any]]:
    documents = filtered(index, request.filter)
    if request.orderby:
        documents = [document for document, _ in ordered([(d, 0.0) for d in documents], request.orderby)]
    return documents


def _words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def _query(search: str) -> tuple[list[str], str]:
    words = _words(search)
    if not words:
        raise invalid(f"'search' must hold at least one letter or digit, found {search!r}")
    return words[:-1], words[-1]


def _matches(words: list[str], earlier: list[str], last: str) -> bool:
    return all(word in words for word in earlier) and any(word.startswith(last) for word in words)


def _highlighted(text: str, earlier: list[str], last: str, request: TypeAhead) -> str:
    if request.pre_tag is None or request.post_tag is None:
        return text

    def wrap(match: Any) -> str:
        word = match.group(0)
        lowered = word.lower()
        hit = lowered in earlier or lowered.startswith(last)
        return f"{request.pre_tag}{word}{request.post_tag}" if hit else word

    return WORD.sub(wrap, text)


def _text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"'{name}' must be a string, found {value!r}")
    return value


def _integer(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value  # a non-number is reported by _checked
