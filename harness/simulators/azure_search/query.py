"""Running a search request against one index: BM25 text scoring, cosine vector scoring,
reciprocal rank fusion for hybrid queries, then filter, order, semantic reranking
(:mod:`~harness.simulators.azure_search.semantic`), skip/top and select.

The scoring model is deliberately small (see docs/simulators/azure_search.md): words are lower-cased
runs of letters and digits, no stemming, no analyzers, no query syntax beyond words. Scores are in
the service's ranges (BM25 > 0 for text, ``1 / (2 - cosine)`` for vectors, RRF sums for hybrid) so
an app that thresholds or sorts on ``@search.score`` behaves, but they are not the service's values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_search import facets, semantic, vectorizer
from harness.simulators.azure_search.filters import FilterError, compile_filter
from harness.simulators.azure_search.store import WORD, Index, field_texts, invalid

#: BM25 parameters, the service's defaults.
K1 = 1.2
B = 0.75
#: The constant of reciprocal rank fusion, as the service uses it.
RRF_K = 60
#: Results per page when ``top`` is not given (the service pages at 50 too).
DEFAULT_TOP = 50


@dataclass(frozen=True)
class VectorQuery:
    vector: list[float]
    fields: list[str]
    k: int
    weight: float
    #: ``kind: "text"``: the text the index's vectorizer embeds (``vector`` is then empty until
    #: :func:`harness.simulators.azure_search.vectorizer.vectorized` fills it).
    text: str | None = None


@dataclass(frozen=True)
class SearchRequest:
    """A search request, from a POST body or GET query parameters, validated."""

    search: str | None = None
    search_fields: list[str] | None = None
    search_mode: str = "any"
    select: list[str] | None = None
    filter: str | None = None
    orderby: list[str] | None = None
    top: int | None = None
    skip: int = 0
    count: bool = False
    vector_queries: tuple[VectorQuery, ...] = ()
    #: ``queryType: "semantic"``: rerank, with captions and answers (None: no semantic ranking).
    semantic: semantic.SemanticRequest | None = None
    facets: tuple[facets.Facet, ...] = ()

    @classmethod
    def from_body(cls, body: Any) -> SearchRequest:
        if not isinstance(body, dict):
            raise invalid("the search request must be a JSON object")
        search = _optional(body, "search", str)
        return cls(
            search=search,
            search_fields=field_names(body.get("searchFields"), "searchFields"),
            search_mode=_mode(body.get("searchMode")),
            select=field_names(body.get("select"), "select"),
            filter=_optional(body, "filter", str),
            orderby=field_names(body.get("orderby"), "orderby"),
            top=_count(body.get("top"), "top"),
            skip=_count(body.get("skip"), "skip") or 0,
            count=_boolean(body.get("count"), "count"),
            vector_queries=_vector_queries(body.get("vectorQueries")),
            semantic=semantic.parse(body, search),
            facets=facets.parse(body.get("facets")),
        )

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> SearchRequest:
        return cls(
            search=args.get("search"),
            search_fields=field_names(args.get("searchFields"), "searchFields"),
            search_mode=_mode(args.get("searchMode")),
            select=field_names(args.get("$select"), "$select"),
            filter=args.get("$filter"),
            orderby=field_names(args.get("$orderby"), "$orderby"),
            top=_count(_integer(args.get("$top"), "$top"), "$top"),
            skip=_count(_integer(args.get("$skip"), "$skip"), "$skip") or 0,
            count=args.get("$count", "false").lower() == "true",
            semantic=semantic.parse(args, args.get("search")),
            facets=facets.parse(_repeated(args, "facet")),
        )


def filtered(index: Index, expression: str | None) -> list[dict[str, Any]]:
    """The documents of ``index`` the OData ``expression`` keeps (all of them without one)."""
    documents = list(index.documents.values())
    if not expression:
        return documents
    try:
        predicate = compile_filter(expression)
    except FilterError as error:
        raise invalid(f"Invalid expression: {error} (in $filter {expression!r})") from None
    return [document for document in documents if predicate(document)]


def run(index: Index, request: SearchRequest) -> dict[str, Any]:
    """The response body of ``request`` against ``index``."""
    documents = filtered(index, request.filter)
    text = (request.search or "").strip()
    text_query = bool(text) and text != "*"
    rankings: list[tuple[list[tuple[dict[str, Any], float]], float]] = []
    if text_query or not request.vector_queries:
        fields = request.search_fields or index.searchable_fields()
        rankings.append(
            (_text_ranking(documents, text if text_query else "", fields, request.search_mode), 1.0)
        )
    for vector_query in request.vector_queries:
        query = vectorizer.vectorized(index, vector_query) if vector_query.text is not None else vector_query
        rankings.append((_vector_ranking(index, documents, query), query.weight))
    ranked = rankings[0][0] if len(rankings) == 1 else _fuse(rankings)
    if request.orderby:
        ranked = ordered(ranked, request.orderby)
    matches = len(ranked)
    body: dict[str, Any] = {}
    if request.count:
        body["@odata.count"] = matches
    if request.facets:
        body["@search.facets"] = facets.compute(request.facets, [document for document, _ in ranked], index)
    top = DEFAULT_TOP if request.top is None else request.top
    hidden = index.hidden_fields()
    if request.semantic is None:
        page = ranked[request.skip : request.skip + top]
        body["value"] = [
            {"@search.score": score, **project(document, request.select, hidden)} for document, score in page
        ]
        return body
    reranker = semantic.Reranker(index, request.semantic)
    reranked = reranker.rerank(ranked)
    if request.semantic.answers:
        body["@search.answers"] = reranker.answers(reranked, index.key)
    results = []
    for document, score, reranker_score in reranked[request.skip : request.skip + top]:
        result: dict[str, Any] = {"@search.score": score, "@search.rerankerScore": reranker_score}
        if request.semantic.captions:
            caption = reranker.caption(document)
            result["@search.captions"] = (
                [] if caption is None else [{"text": caption.text, "highlights": caption.highlights}]
            )
        results.append({**result, **project(document, request.select, hidden)})
    body["value"] = results
    return body


def project(document: Mapping[str, Any], select: list[str] | None, hidden: set[str]) -> dict[str, Any]:
    """The fields of ``document`` a result shows: ``select`` (missing ones as null) or all
    retrievable ones."""
    if select and select != ["*"]:
        return {name: document.get(name) for name in select if name not in hidden}
    return {name: value for name, value in document.items() if name not in hidden}


# -- text ----------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def _text_ranking(
    documents: list[dict[str, Any]], text: str, fields: list[str], mode: str
) -> list[tuple[dict[str, Any], float]]:
    if not text:
        return [(document, 1.0) for document in documents]  # "*": everything, equal scores
    terms = list(dict.fromkeys(words(text)))
    if not terms:
        return []
    bags = [Counter(words(_text_of(document, fields))) for document in documents]
    average = (sum(sum(bag.values()) for bag in bags) / len(bags)) if bags else 0.0
    frequency = {term: sum(1 for bag in bags if term in bag) for term in terms}
    total = len(bags)
    ranked: list[tuple[dict[str, Any], float]] = []
    for document, bag in zip(documents, bags, strict=True):
        present = [term for term in terms if term in bag]
        if not present or (mode == "all" and len(present) < len(terms)):
            continue
        length = sum(bag.values())
        score = 0.0
        for term in present:
            idf = math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
            tf = bag[term]
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / (average or 1)))
        ranked.append((document, score))
    ranked.sort(key=lambda pair: -pair[1])  # stable: ties keep upload order
    return ranked


def _text_of(document: Mapping[str, Any], fields: list[str]) -> str:
    return " ".join(field_texts(document, fields))


# -- vectors -------------------------------------------------------------------------------------------


def _vector_ranking(
    index: Index, documents: list[dict[str, Any]], query: VectorQuery
) -> list[tuple[dict[str, Any], float]]:
    query_norm = math.sqrt(sum(x * x for x in query.vector))
    ranked: list[tuple[dict[str, Any], float]] = []
    for document in documents:
        best: float | None = None
        for name in query.fields:
            candidate = document.get(name)
            if not isinstance(candidate, list) or not candidate or not _numbers(candidate):
                continue
            if len(candidate) != len(query.vector):
                raise invalid(
                    f"The vector query's dimensions ({len(query.vector)}) do not match the dimensions "
                    f"of field '{name}' ({len(candidate)}) in document '{document.get(index.key)}'."
                )
            norm = math.sqrt(sum(x * x for x in candidate))
            if norm == 0 or query_norm == 0:
                continue
            cosine = sum(a * b for a, b in zip(query.vector, candidate, strict=True)) / (norm * query_norm)
            score = 1 / (1 + (1 - cosine))  # the service's cosine score: 1 / (1 + distance)
            best = score if best is None else max(best, score)
        if best is not None:
            ranked.append((document, best))
    ranked.sort(key=lambda pair: -pair[1])
    return ranked[: query.k]


def _numbers(values: list[Any]) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values)


def _fuse(
    rankings: list[tuple[list[tuple[dict[str, Any], float]], float]],
) -> list[tuple[dict[str, Any], float]]:
    """Reciprocal rank fusion: each list adds ``weight / (60 + rank)`` to a document's score."""
    scores: dict[int, float] = {}
    by_id: dict[int, dict[str, Any]] = {}
    for ranked, weight in rankings:
        for rank, (document, _score) in enumerate(ranked, start=1):
            scores[id(document)] = scores.get(id(document), 0.0) + weight / (RRF_K + rank)
            by_id[id(document)] = document
    fused = [(by_id[identity], score) for identity, score in scores.items()]
    fused.sort(key=lambda pair: -pair[1])
    return fused


def ordered(
    ranked: list[tuple[dict[str, Any], float]], orderby: list[str]
) -> list[tuple[dict[str, Any], float]]:
    # Sort by the last clause first: Python's stable sort then leaves the first clause dominant.
    result = list(ranked)
    for clause in reversed(orderby):
        parts = clause.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise invalid(f"Invalid $orderby clause {clause!r}: expected '<field> [asc|desc]'")
        name, descending = parts[0], len(parts) == 2 and parts[1].lower() == "desc"
        if name == "search.score()":
            result.sort(key=lambda pair: pair[1], reverse=descending)
            continue
        present = [pair for pair in result if pair[0].get(name) is not None]
        missing = [pair for pair in result if pair[0].get(name) is None]
        try:
            present.sort(key=lambda pair: pair[0][name], reverse=descending)
        except TypeError:
            raise invalid(f"$orderby field {name!r} holds values that cannot be compared") from None
        # Nulls sort first ascending and last descending, as in the service.
        result = present + missing if descending else missing + present
    return result


# -- request parsing -----------------------------------------------------------------------------------


def _repeated(args: Mapping[str, str], name: str) -> list[str] | None:
    """Every value of a query parameter given more than once (``facet=a&facet=b``)."""
    getlist = getattr(args, "getlist", None)
    values = list(getlist(name)) if getlist is not None else ([args[name]] if name in args else [])
    return values or None


def _optional(body: Mapping[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise invalid(f"'{name}' must be a {kind.__name__}, found {value!r}")
    return value


def field_names(value: Any, name: str) -> list[str] | None:
    # The REST API takes comma-separated strings; accept JSON arrays of strings as well.
    if value is None:
        return None
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise invalid(f"'{name}' must be a comma-separated string of field names, found {value!r}")
    return [item for item in items if item] or None


def _mode(value: Any) -> str:
    if value in (None, "any", "all"):
        return value or "any"
    raise invalid(f"'searchMode' must be 'any' or 'all', found {value!r}")


def _integer(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise invalid(f"'{name}' must be a whole number, found {value!r}") from None


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(f"'{name}' must be a whole number >= 0, found {value!r}")
    return value


def _boolean(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"'{name}' must be true or false, found {value!r}")
    return value


def _vector_queries(value: Any) -> tuple[VectorQuery, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise invalid(f"'vectorQueries' must be an array, found {value!r}")
    queries = []
    for position, entry in enumerate(value):
        where = f"vectorQueries[{position}]"
        if not isinstance(entry, dict):
            raise invalid(f"{where} must be an object")
        kind = entry.get("kind", "vector")
        if kind not in ("vector", "text"):
            raise invalid(
                f"{where}.kind {kind!r} is not simulated: send kind 'vector' with the embedding in "
                "'vector', or kind 'text' with the text in 'text' for the index's vectorizer"
            )
        text = entry.get("text") if kind == "text" else None
        vector: Any = [] if kind == "text" else entry.get("vector")
        if kind == "text" and (not isinstance(text, str) or not text.strip()):
            raise invalid(f"{where}.text must be a non-empty string")
        if kind == "vector" and (not isinstance(vector, list) or not vector or not _numbers(vector)):
            raise invalid(f"{where}.vector must be a non-empty array of numbers")
        fields = field_names(entry.get("fields"), f"{where}.fields")
        if not fields:
            raise invalid(f"{where}.fields must name the vector field(s) to search")
        k = _count(entry.get("k"), f"{where}.k")
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise invalid(f"{where}.weight must be a number >= 0")
        queries.append(
            VectorQuery(
                [float(x) for x in vector], fields, DEFAULT_TOP if k is None else k, float(weight), text
            )
        )
    return tuple(queries)
