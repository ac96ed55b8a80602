"""A mock held to its service's OpenAPI document (``openapi = "<path>"``; docs/openapi.md).

:class:`MockContract` is what a :class:`~harness.mocks.MockService` asks, for each request:

* is the request one the real service accepts (:meth:`check_request`)? A violation is journaled
  with the request and fails the test like an unmatched request;
* could the real service send this answer (:meth:`check_response`)? Every answer is checked --
  primed by the test, simulated, replayed, or the document's example -- except faults (a wire
  fault or a malformed body is meant to break the contract) and streamed answers (the documents
  describe the non-streamed form);
* what does an operation nothing primed answer (:meth:`example`)? The document's own example, or
  one generated from the schema, with the first documented 2xx status.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from werkzeug.wrappers import Request, Response

from harness.config.model import ContractSettings
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.config import HarnessConfig
    from harness.contract import Contract, Operation

#: Where a request's environ keeps its operation (looked up once per request) ...
_OPERATION = "harness.contract.operation"
#: ... and, answered with the document's example, that example's violations (found once).
_EXAMPLE = "harness.contract.example"
_MISSING = object()
#: Documents read in this process, by path and project, with the version of every file they read.
_LOADED: dict[tuple[Path, Path], tuple[Contract, tuple[tuple[int, int], ...]]] = {}


def _versions(files: tuple[Path, ...]) -> tuple[tuple[int, int], ...]:
    """Each file's modification time and size (a file gone reads as (0, -1)): what says a document
    read earlier is still the one on disk."""
    versions = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            versions.append((0, -1))
        else:
            versions.append((info.st_mtime_ns, info.st_size))
    return tuple(versions)


def document_problems(config: HarnessConfig) -> list[str]:
    """What is wrong with the services' OpenAPI documents, each read as a run reads it (every
    ``$ref`` resolved): one message per service, empty when all can be read. Used wherever a
    document is checked before a run (pytest's collection, ``harness check``)."""
    problems = []
    for service in config.services.values():
        if service.contract is not None:
            try:
                MockContract.load(service.contract, root=config.root)
            except HarnessError as error:
                problems.append(f"service {service.name!r}: {error}")
    return problems


class MockContract:
    """One service's OpenAPI document and what it validates (see the module docstring)."""

    def __init__(self, contract: Contract, settings: ContractSettings) -> None:
        self.contract = contract
        self.settings = settings
        #: Each operation's example answer and what the document says is wrong with it: the same
        #: every time (the example is deterministic), so validated once.
        self._examples: dict[int, tuple[Response, list[str]]] = {}

    @classmethod
    def load(cls, settings: ContractSettings, *, root: Path) -> MockContract:
        """Read ``settings.document`` (:class:`~harness.contract.ContractError` if it cannot be).
        A document is read once per process while it is unchanged (pytest's collection checks it,
        the run then uses it): a :class:`~harness.contract.Contract` is safe to share."""
        from harness.contract import load_contract  # noqa: PLC0415 - heavy: only services that use it

        key = (settings.document, root)
        known = _LOADED.get(key)
        if known is not None and _versions(known[0].files) == known[1]:
            return cls(known[0], settings)
        contract = load_contract(settings.document, root=root)
        _LOADED[key] = (contract, _versions(contract.files))
        return cls(contract, settings)

    @property
    def source(self) -> str:
        return str(self.settings.document)

    def _operation(self, request: Request) -> Operation | None:
        found = request.environ.get(_OPERATION, _MISSING)
        if found is _MISSING:
            # The query too: Swagger's x-ms-paths tell operations apart by a query parameter.
            found = self.contract.operation(
                request.method, request.path, query=request.args.to_dict(flat=False)
            )
            request.environ[_OPERATION] = found
        return cast("Operation | None", found)

    def check_request(self, request: Request) -> list[str]:
        """What is wrong with ``request`` by the document (empty: nothing)."""
        if not self.settings.requests:
            return []
        operation = self._operation(request)
        if operation is None:
            return [
                f"the OpenAPI document ({self.source}) has no operation {request.method} {request.path}; "
                + self.contract.describe_operations(request.method, request.path)
            ]
        violations = operation.validate_request(
            path=request.path,
            query=request.args.to_dict(flat=False),
            headers=dict(request.headers.items()),
            body=request.get_data(),
        )
        return [
            f"the request breaks the OpenAPI contract of {operation.method} {operation.path_template}: "
            f"{violation.describe()}"
            for violation in violations
        ]

    def check_response(self, request: Request, response: Response) -> list[str]:
        """What the real service could not answer in ``response`` (empty: nothing)."""
        if not self.settings.responses or response.is_streamed or not response.is_sequence:
            return []
        operation = self._operation(request)
        if operation is None:
            return []  # the request's own violation says it; an unknown operation has no responses
        known = request.environ.get(_EXAMPLE)
        if known is not None and known[0] is response:
            return list(known[1])
        return self._answer_violations(operation, response)

    def _answer_violations(self, operation: Operation, response: Response) -> list[str]:
        violations = operation.validate_response(
            status=response.status_code,
            headers=dict(response.headers.items()),
            body=response.get_data(),
        )
        return [
            f"the real service cannot answer this: {violation.describe()} "
            f"({operation.method} {operation.path_template}, {self.source})"
            for violation in violations
        ]

    def example(self, request: Request) -> Response | None:
        """The document's answer to an unprimed request of a documented operation, or None."""
        operation = self._operation(request)
        if operation is None:
            return None
        made = self._examples.get(id(operation))
        if made is None:
            example = operation.example_response()
            if example is None:
                return None
            headers = {"Content-Type": example.content_type} if example.content_type and example.body else {}
            answer = Response(example.body, status=example.status, headers=headers)
            made = self._examples[id(operation)] = (answer, self._answer_violations(operation, answer))
        template, violations = made
        response = Response(
            template.get_data(), status=template.status_code, headers=list(template.headers.items())
        )
        request.environ[_EXAMPLE] = (response, violations)
        return response

    def describe_example(self, request: Request) -> str:
        operation = self._operation(request)
        if operation is None:
            return "the OpenAPI document"
        example = operation.example_response()
        source = example.source if example is not None else "the OpenAPI document"
        return f"{source} ({self.source})"
