"""The Azure services' published OpenAPI documents (copies under tests/data/openapi/azure, their
sources in SOURCES.md there), and a watch over every answer the built-in simulators give in this
test process, so that the simulator tests also prove the simulators answer as the documents say.

:func:`watch_simulators` wraps ``MockService.respond_nohandler`` (where a simulator answers what no
expectation matched) for the whole session; each answer of an Azure simulator is validated
against its service's document, and what breaks it is kept as a :class:`Finding` for the current
test. :data:`DEVIATIONS` lists where the simulators follow the real service rather than its
document, each with the reason (docs/simulators.md shows the same list); any other finding fails
the test that produced it.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from werkzeug.wrappers import Request, Response

from harness.contract import Contract, Operation, Violation, load_contract
from harness.mocks import MockService
from harness.mocks.expectation import EXPECTATION_KEY

ROOT = Path(__file__).resolve().parents[2]
AZURE = ROOT / "tests" / "data" / "openapi" / "azure"

#: Each Azure simulator's published documents: an operation is looked up in each, in order.
DOCUMENTS = {
    "azure_openai": (
        AZURE / "cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json",
    ),
    "azure_search": (
        AZURE / "search/data-plane/Azure.Search/stable/2024-07-01/searchindex.json",
        AZURE / "search/data-plane/Azure.Search/stable/2024-07-01/searchservice.json",
    ),
    "azure_content_safety": (
        AZURE / "cognitiveservices/data-plane/ContentSafety/stable/2023-10-01/contentsafety.json",
        AZURE / "cognitiveservices/data-plane/ContentSafety/stable/2024-09-01/contentsafety.json",
    ),
}


@functools.cache
def vendored(path: Path) -> Contract:
    """A published document, read once."""
    return load_contract(path, root=AZURE)


_SEARCH_INDEX = re.compile(r"^/indexes/(?P<name>[^/('\"]+)(?P<rest>/.*)?$")
_SEARCH_DOCS = {
    ("POST", "/docs/search"): "/docs/search.post.search",
    ("POST", "/docs/index"): "/docs/search.index",
    ("POST", "/docs/suggest"): "/docs/search.post.suggest",
    ("GET", "/docs/suggest"): "/docs/search.suggest",
    ("POST", "/docs/autocomplete"): "/docs/search.post.autocomplete",
    ("GET", "/docs/autocomplete"): "/docs/search.autocomplete",
}


def documented_path(kind: str, method: str, path: str) -> str:
    """``path`` as the service's document spells it. Azure AI Search's REST reference (and the
    service) also take ``/indexes/<name>/docs/search``, ``.../docs/index``, ``.../docs/<key>``;
    its Swagger document spells the same operations ``/indexes('<name>')/docs/search.post.search``,
    ``.../docs/search.index``, ``.../docs('<key>')``."""
    found = _SEARCH_INDEX.match(path) if kind == "azure_search" else None
    if found is None:
        return path
    rest = found["rest"] or ""
    if rest.startswith("/docs/") and not rest.startswith(("/docs/search.", "/docs/$count")):
        rest = _SEARCH_DOCS.get((method, rest)) or f"/docs('{rest.removeprefix('/docs/')}')"
    return f"/indexes('{found['name']}'){rest}"


def operation_of(kind: str, request: Request) -> Operation | None:
    """The documented operation ``request`` is, in the first of the kind's documents that has it."""
    path = documented_path(kind, request.method, request.path)
    query = request.args.to_dict(flat=False)
    for document in DOCUMENTS[kind]:
        operation = vendored(document).operation(request.method, path, query=query)
        if operation is not None:
            return operation
    return None


@dataclass(frozen=True)
class Finding:
    """One way a simulator's answer breaks its service's document."""

    kind: str
    method: str
    operation: str
    status: int
    violation: Violation

    def describe(self) -> str:
        return f"{self.kind}: {self.method} {self.operation} -> {self.status}: {self.violation.describe()}"


@dataclass(frozen=True)
class Deviation:
    """Where a simulator follows the real service rather than its document, and why."""

    kind: str
    #: Matched against the operation's path template, the status and the violation's description.
    operation: str
    status: str
    violation: str
    reason: str

    def covers(self, finding: Finding) -> bool:
        return (
            finding.kind == self.kind
            and re.search(self.operation, f"{finding.method} {finding.operation}") is not None
            and re.fullmatch(self.status, str(finding.status)) is not None
            and re.search(self.violation, finding.violation.describe()) is not None
        )


#: docs/simulators.md, "Where the simulators depart from the published documents", lists the same.
DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "azure_openai",
        r"POST /openai/deployments/\{deployment-id\}/embeddings$",
        r"200",
        r"\$\.data\[\d+\]\.embedding: '[A-Za-z0-9+/=.]+' is not of type 'array'",
        'encoding_format "base64" (what the openai SDK asks for by default) gets the vector as a base64 '
        "string of little-endian float32s, as the service sends it; the document types it as an array",
    ),
    Deviation(
        "azure_openai",
        r"POST /openai/deployments/\{deployment-id\}/embeddings$",
        r"[45]\d\d",
        r"response status: status \d+ is not documented",
        "the document lists only 200 for embeddings; the service answers 400, 401, 404, 429 and 5xx there "
        "with the same error envelope as chat completions",
    ),
    Deviation(
        "azure_search",
        r"POST /indexes\('\{indexName\}'\)/docs/search\.index$",
        r"20[07]",
        r"\.errorMessage: None is not of type 'string'",
        'the service sends "errorMessage": null for each document that was indexed; the document types it '
        "as a string without x-nullable",
    ),
    Deviation(
        "azure_search",
        r" /indexes(\('\{indexName\}'\))?$",
        r"20[01]",
        r"\.defaultScoringProfile: None is not of type 'string'",
        'the service sends "defaultScoringProfile": null in an index without one; the document types it '
        "as a string without x-nullable",
    ),
    Deviation(
        "azure_search",
        r"GET /indexes$",
        r"200",
        r"at \$\.value\[\d+\]: '\w+' is a required property",
        "GET /indexes?$select=name answers only the selected properties, as the service does; the "
        "document requires every index to have its fields",
    ),
    Deviation(
        "azure_search",
        r"GET /indexes\('\{indexName\}'\)/docs/\$count$",
        r"200",
        r"'text/plain' is not a documented response content type",
        "the service answers $count as a plain-text number (text/plain); the document says application/json",
    ),
)


def uncovered(findings: list[Finding]) -> list[Finding]:
    """The findings no deviation explains."""
    return [finding for finding in findings if not any(deviation.covers(finding) for deviation in DEVIATIONS)]


def check_answer(kind: str, request: Request, response: Response) -> list[Finding]:
    """What in a simulator's answer breaks the document of ``kind`` (streamed answers are not
    validated: the documents describe the non-streamed form)."""
    if response.is_streamed or not response.is_sequence:
        return []
    operation = operation_of(kind, request)
    if operation is None:
        return []  # a path the service does not have: the simulator answers the service's 404
    violations = operation.validate_response(
        status=response.status_code, headers=dict(response.headers.items()), body=response.get_data()
    )
    return [
        Finding(kind, operation.method, operation.path_template, response.status_code, violation)
        for violation in violations
    ]


class Watch:
    """The findings of the current test, from every simulator answer in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._findings: list[Finding] = []

    def add(self, findings: list[Finding]) -> None:
        with self._lock:
            self._findings += findings

    def take(self) -> list[Finding]:
        with self._lock:
            taken, self._findings = self._findings, []
        return taken


def watch_simulators() -> Iterator[Watch]:
    """Validate every Azure simulator answer of the session (see the module docstring)."""
    watch = Watch()
    original = MockService.respond_nohandler

    def respond_nohandler(self: MockService, request: Request, extra_message: str = "") -> Response:
        response = original(self, request, extra_message)
        kind = self.simulator.kind if self.simulator is not None else None
        # The simulator's own answers (a recording's or an OpenAPI example come from elsewhere).
        answered_by = str(request.environ.get(EXPECTATION_KEY, ""))
        if kind in DOCUMENTS and answered_by.startswith("simulator "):
            watch.add(check_answer(kind, request, response))
        return response

    MockService.respond_nohandler = respond_nohandler  # type: ignore[method-assign]
    try:
        yield watch
    finally:
        MockService.respond_nohandler = original  # type: ignore[method-assign]
