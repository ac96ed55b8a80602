"""``AzureSearchSimulator``: Azure AI Search's REST API over in-memory indexes.

Routes (both ``indexes('name')`` and ``indexes/name`` spellings, ``api-version`` required):

* ``GET|POST /indexes``, ``GET|PUT|DELETE /indexes('name')``, ``GET /indexes('name')/search.stats``;
* ``GET /indexes('name')/docs?search=...``, ``POST .../docs/search`` and ``.../docs/search.post.search``
  (what azure-search-documents sends), ``GET .../docs/$count``, ``GET .../docs('key')`` or
  ``.../docs/key``, ``POST .../docs/index`` and ``.../docs/search.index``.

An index that does not exist answers 404 as the service does, unless the ``auto_create`` option
creates it (empty, key field ``id``) on first use. See docs/simulators/azure_search.md.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.simulators.azure_common import (
    PrimedFailures,
    Responder,
    ServiceError,
    accepted_keys,
    error_responder,
    error_response,
)
from harness.simulators.azure_search import options as search_options
from harness.simulators.azure_search import suggestions
from harness.simulators.azure_search.query import SearchRequest, project, run
from harness.simulators.azure_search.store import Index, check_index_definition, invalid
from harness.simulators.azure_search.suggestions import TypeAhead
from harness.simulators.base import Simulator, SimulatorError, json_response
from harness.simulators.checks import (
    HTTP_ERROR,
    STRING,
    TIMES,
    Schema,
    arguments,
    deprecated_alias,
    integer,
    label,
)

#: Operation names, for ``operation=`` of :meth:`AzureSearchSimulator.fail_next` and the journal.
OPERATIONS = (
    "search",
    "lookup",
    "count",
    "index_documents",
    "get_index",
    "create_index",
    "list_indexes",
    "delete_index",
    "index_stats",
    "suggest",
    "autocomplete",
)

_INDEX_PATH = re.compile(r"^/indexes(?:\('(?P<quoted>[^']*)'\)|/(?P<plain>[^/()']+))(?P<rest>/.*)?$")
_DOCUMENT_PATH = re.compile(r"^/docs(?:\('(?P<quoted>[^']*)'\)|/(?P<plain>[^/()']+))$")


@dataclass(frozen=True)
class _Route:
    operation: str
    index: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class _Results:
    """A primed search answer."""

    hits: list[dict[str, Any]]
    count: int | None


class AzureSearchSimulator(PrimedFailures, Simulator):
    """Azure AI Search: indexes, documents, text/vector/hybrid search, ``api-key`` checks."""

    kind: ClassVar[str] = "azure_search"
    OPERATIONS: ClassVar[tuple[str, ...]] = OPERATIONS
    options_schema: ClassVar[Schema] = search_options.OPTIONS

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)
        self._lock = threading.RLock()
        self._keys = accepted_keys(self.options.get("api_key"))
        self._auto_create = bool(self.options.get("auto_create", False))
        self._indexes: dict[str, Index] = {}
        self._failures = self.next_calls()
        self._results = self.next_calls()
        for name, body in dict(self.options.get("indexes", {})).items():
            key = body.get("key", "id")
            try:
                documents = search_options.load_documents(body.get("documents", []), key, self.root)
            except search_options.DocumentsError as error:
                raise SimulatorError(f"index {name!r}: {error}") from None
            self.load_documents(name, documents, key=key)

    # -- test API: state ---------------------------------------------------------------------------

    def create_index(self, name: str, *, key: str = "id", fields: list[dict[str, Any]] | None = None) -> None:
        """Create (or replace, dropping its documents) index ``name``. Without ``fields`` the schema
        is inferred from the documents; with them (REST field definitions) it is enforced."""
        body = {"name": name, "fields": fields or [{"name": key, "type": "Edm.String", "key": True}]}
        index = _simulator_call(lambda: check_index_definition(body, None))
        if fields is None:
            index.fields = None
        with self._lock:
            self._indexes[name] = index

    def load_documents(self, index: str, documents: Iterable[Mapping[str, Any]], *, key: str = "id") -> None:
        """Upload ``documents`` to ``index`` (created with key field ``key`` if it does not exist);
        a document with the key of a stored one replaces it."""
        with self._lock:
            if index not in self._indexes:
                self.create_index(index, key=key)
            target = self._indexes[index]
            _simulator_call(lambda: target.load(list(documents)))

    def delete_index(self, name: str) -> None:
        """Delete index ``name`` (nothing happens if it does not exist)."""
        with self._lock:
            self._indexes.pop(name, None)

    def index_names(self) -> list[str]:
        """The names of the indexes, in creation order."""
        with self._lock:
            return list(self._indexes)

    def documents(self, index: str) -> list[dict[str, Any]]:
        """Copies of the documents stored in ``index``, in upload order (KeyError: no such index)."""
        with self._lock:
            return [dict(document) for document in self._indexes[index].documents.values()]

    def document(self, index: str, key: str) -> dict[str, Any] | None:
        """A copy of the document with ``key`` in ``index``, or None."""
        with self._lock:
            found = self._indexes[index].documents.get(key)
            return None if found is None else dict(found)

    # -- test API: priming -------------------------------------------------------------------------

    @arguments(index=STRING.or_none(), search=STRING.or_none(), count=integer(0).or_none(), times=TIMES)
    def answer_next(
        self,
        hits: Iterable[Mapping[str, Any]],
        *,
        index: str | None = None,
        search: str | None = None,
        count: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` searches (of ``index`` and with search text ``search``, when given)
        answer exactly ``hits``, whatever the stored documents. A hit without ``@search.score`` gets
        a descending one; ``count`` is the ``@odata.count`` (default: the number of hits)."""
        primed = []
        for position, hit in enumerate(hits):
            if not isinstance(hit, Mapping):
                raise SimulatorError(
                    f"{label('answer_next', 'hits')}: hit {position} must be a dict, got {type(hit).__name__}"
                )
            primed.append({"@search.score": round(1.0 - position * 0.01, 6), **hit})
        aimed = "".join(
            f" {what} {value!r}" for what, value in (("of", index), ("for", search)) if value is not None
        )
        self._results.add(
            _Results(primed, count),
            times=times,
            description=f"answer {len(primed)} hits{aimed}",
            index=index,
            search=search,
        )

    @arguments(status=HTTP_ERROR, code=STRING, message=STRING, times=TIMES)
    def fail_next(
        self,
        status: int = 503,
        code: str = "ServiceUnavailable",
        message: str = "Service is temporarily unavailable (primed by the test).",
        *,
        times: int = 1,
        operation: str | None = None,
    ) -> None:
        """The next ``times`` calls (of ``operation``, one of :data:`OPERATIONS`, when given) answer
        ``status`` with the service's error envelope. Checked after the api-key."""
        self._prime_failure(
            error_responder(status, code, message), f"fail {status}", times, operation, "fail_next"
        )

    # Deprecated names, kept for one release (CHANGELOG.md).
    prime_results = deprecated_alias(answer_next, "prime_results")
    prime_failure = deprecated_alias(fail_next, "prime_failure")

    # -- per-test state ----------------------------------------------------------------------------

    def save_state(self) -> dict[str, Index]:
        with self._lock:
            return {name: index.copy() for name, index in self._indexes.items()}

    def restore_state(self, saved: object) -> None:
        assert isinstance(saved, dict)
        with self._lock:
            self._indexes = saved

    # -- serving -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        route = _route(request)
        if route is None:
            return None
        denied = self._check_key(request)
        if denied is not None:
            return denied
        if not request.args.get("api-version"):
            return error_response(400, "", "Invalid or missing api-version query string parameter.")
        primed: Responder | None = self._failures.take(operation=route.operation)
        if primed is not None:
            return primed(request)
        try:
            return self._answer(route, request)
        except ServiceError as error:
            return error.response()

    def describe(self, request: Request) -> str:
        route = _route(request)
        return f"simulator {self.kind}" + (f" {route.operation}" if route else "")

    def not_found(self, request: Request) -> Response:
        return error_response(404, "", f"The resource '{request.path}' was not found in the search service.")

    def _check_key(self, request: Request) -> Response | None:
        key = request.headers.get("api-key")
        if not key:
            # A token credential (azure-identity) sends a bearer token instead; it cannot be checked.
            bearer = request.headers.get("Authorization", "")
            if bearer.lower().startswith("bearer ") and bearer[7:].strip():
                return None
            return error_response(401, "", "Authentication failed: the request has no api-key header.")
        if self._keys and key not in self._keys:
            return error_response(403, "", "Authorization failed: the api-key is not valid for this service.")
        return None

    def _answer(self, route: _Route, request: Request) -> Response:
        if route.operation == "list_indexes":
            return self._list_indexes(request)
        if route.operation == "create_index":
            return self._create_index(route, request)
        with self._lock:
            if route.operation == "search" and (primed := self._take_primed_results(route, request)):
                return json_response(primed)
            index = self._index(route)
            if route.operation == "get_index":
                return json_response(index.definition())
            if route.operation == "delete_index":
                del self._indexes[index.name]
                return Response(status=204)
            if route.operation == "index_stats":
                return json_response(
                    {"documentCount": len(index.documents), "storageSize": 0, "vectorIndexSize": 0}
                )
            if route.operation == "count":
                return Response(str(len(index.documents)), content_type="text/plain; charset=utf-8")
            if route.operation == "lookup":
                return self._lookup(index, route, request)
            if route.operation in ("suggest", "autocomplete"):
                typed = (
                    TypeAhead.from_query(request.args)
                    if request.method == "GET"
                    else TypeAhead.from_body(_json(request))
                )
                answer = suggestions.suggest if route.operation == "suggest" else suggestions.autocomplete
                return json_response(answer(index, typed))
            if route.operation == "index_documents":
                status, results = index.apply(_value(request))
                return json_response({"value": results}, status=status)
            body = run(index, _search_request(request))
            return json_response(
                {"@odata.context": f"{request.host_url}indexes('{index.name}')/$metadata#docs(*)", **body}
            )

    def _index(self, route: _Route) -> Index:
        assert route.index is not None
        index = self._indexes.get(route.index)
        if index is None:
            if self._auto_create and route.operation not in ("get_index", "delete_index"):
                index = self._indexes[route.index] = Index(route.index, "id")
                return index
            raise ServiceError(
                404, "", f"The index '{route.index}' for service '{self.service_name}' was not found."
            )
        return index

    def _list_indexes(self, request: Request) -> Response:
        with self._lock:
            definitions = [index.definition() for index in self._indexes.values()]
        if request.args.get("$select", "").strip() == "name":
            definitions = [{"name": definition["name"]} for definition in definitions]
        return json_response({"value": definitions})

    def _create_index(self, route: _Route, request: Request) -> Response:
        index = check_index_definition(_json(request), route.index)
        with self._lock:
            existing = self._indexes.get(index.name)
            if existing is not None and route.index is None:  # POST /indexes never overwrites
                raise ServiceError(
                    409,
                    "ResourceNameAlreadyInUse",
                    f"Cannot create index '{index.name}' because it already exists.",
                )
            if existing is not None:
                index.documents = existing.documents  # an update keeps the documents
            self._indexes[index.name] = index
        return json_response(index.definition(), status=201 if existing is None else 200)

    def _lookup(self, index: Index, route: _Route, request: Request) -> Response:
        assert route.key is not None
        document = index.documents.get(route.key)
        if document is None:
            raise ServiceError(
                404, "", f"Document with key '{route.key}' was not found in index '{index.name}'."
            )
        select = [name.strip() for name in request.args.get("$select", "").split(",") if name.strip()] or None
        return json_response(project(document, select, index.hidden_fields()))

    def _take_primed_results(self, route: _Route, request: Request) -> dict[str, Any] | None:
        if not self._results:  # no body is read unless an answer is primed: a 404 for the index comes first
            return None
        primed: _Results | None = self._results.take(
            index=route.index, search=_search_request(request).search
        )
        if primed is None:
            return None
        count = len(primed.hits) if primed.count is None else primed.count
        return {"@odata.count": count, "value": [dict(hit) for hit in primed.hits]}


# -- request parsing -----------------------------------------------------------------------------------


def _route(request: Request) -> _Route | None:
    path = request.path.rstrip("/") or "/"
    method = request.method
    if path == "/indexes":
        return {"GET": _Route("list_indexes"), "POST": _Route("create_index")}.get(method)
    match = _INDEX_PATH.match(path)
    if match is None:
        return None
    index = match.group("quoted") if match.group("quoted") is not None else match.group("plain")
    rest = match.group("rest") or ""
    simple = {
        ("", "GET"): "get_index",
        ("", "PUT"): "create_index",
        ("", "DELETE"): "delete_index",
        ("/search.stats", "GET"): "index_stats",
        ("/docs", "GET"): "search",
        ("/docs/search", "POST"): "search",
        ("/docs/search.post.search", "POST"): "search",
        ("/docs/$count", "GET"): "count",
        ("/docs/index", "POST"): "index_documents",
        ("/docs/search.index", "POST"): "index_documents",
        ("/docs/search.post.suggest", "POST"): "suggest",
        ("/docs/search.suggest", "GET"): "suggest",
        ("/docs/search.post.autocomplete", "POST"): "autocomplete",
        ("/docs/search.autocomplete", "GET"): "autocomplete",
    }
    if (rest, method) in simple:
        return _Route(simple[rest, method], index)
    document = _DOCUMENT_PATH.match(rest)
    if method == "GET" and document is not None:
        key = document.group("quoted") if document.group("quoted") is not None else document.group("plain")
        if not key.startswith("search."):  # a document key, not an action (search.suggest ...)
            return _Route("lookup", index, key)
    return None


def _json(request: Request) -> Any:
    try:
        return json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid(f"the request body is not valid JSON: {error}") from None


def _value(request: Request) -> list[Any]:
    body = _json(request)
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise invalid("the body must be a JSON object with an array of actions in 'value'")
    return list(body["value"])


def _search_request(request: Request) -> SearchRequest:
    if request.method == "GET":
        return SearchRequest.from_query(request.args)
    return SearchRequest.from_body(_json(request))


def _simulator_call(call: Callable[[], Any]) -> Any:
    # The test API reports the service's validation errors as the test's mistake.
    try:
        return call()
    except ServiceError as error:
        raise SimulatorError(error.message) from None
