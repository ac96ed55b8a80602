"""A loaded contract and its operations: the public objects of :mod:`harness.contract`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.contract.errors import ContractError
from harness.contract.examples import ExampleResponse, example_response
from harness.contract.loading import load_files
from harness.contract.normalise import DocumentInfo, document_info, parameters, request_body
from harness.contract.routing import Route, Router, compile_route, url_path
from harness.contract.schemas import SchemaFactory
from harness.contract.store import DocumentStore, Node, uri_to_path
from harness.contract.validation import OperationChecks, Violation

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Operation:
    """One documented operation: ``method`` (upper case), ``path_template`` (prefix included; an
    x-ms-paths key keeps its ``?discriminator``), ``operation_id`` and ``pointer`` (its JSON pointer
    in its document, e.g. ``#/paths/~1chat~1completions/post``)."""

    def __init__(self, *, checks: OperationChecks, template: str, root: Path) -> None:
        self._checks = checks
        self._root = root
        self._example: tuple[ExampleResponse | None] | None = None
        self.method = checks.method
        self.path_template = template
        operation_id = checks.node.get("operationId")
        self.operation_id: str | None = operation_id if isinstance(operation_id, str) else None
        self.pointer = checks.store.display(checks.node.uri, checks.node.pointer)

    def __repr__(self) -> str:
        return f"<Operation {self.method} {self.path_template} ({self.operation_id or self.pointer})>"

    def validate_request(
        self, *, path: str, query: Mapping[str, Sequence[str]], headers: Mapping[str, str], body: bytes
    ) -> list[Violation]:
        """What the request breaks in the document: path/query/header parameters (credential headers
        and unknown query parameters are not checked), the body's presence, content type and JSON
        schema. ``[]`` when the request is valid; at most 3 violations."""
        return self._checks.request(path=path, query=query, headers=headers, body=body)

    def validate_response(self, *, status: int, headers: Mapping[str, str], body: bytes) -> list[Violation]:
        """What an answer breaks in the document: the status (exact, ``2XX`` range, ``default``),
        the content type, the JSON body. ``[]`` when valid; at most 3 violations."""
        return self._checks.response(status=status, headers=headers, body=body)

    def example_response(self) -> ExampleResponse | None:
        """The answer for an unprimed request (first documented 2xx): the document's example when
        it has a valid one, else one generated from the schema, the same bytes every time. ``None``
        when the operation documents no 2xx status."""
        if self._example is None:
            self._example = (example_response(self._checks, root=self._root),)
        return self._example[0]


class Contract:
    """An OpenAPI/Swagger document with its refs resolved: ``source`` (the file) and ``version``
    (``"2.0"``, ``"3.0"`` or ``"3.1"``)."""

    def __init__(self, *, store: DocumentStore, version: str, source: Path, root: Path) -> None:
        self.source = source
        self.version = version
        self._store = store
        #: The document and every file its ``$ref``s reached.
        self.files: tuple[Path, ...] = tuple(uri_to_path(uri) for uri in store.files)
        self._info: DocumentInfo = document_info(store, version)
        self._factory = SchemaFactory(store, version)
        self._operations: list[Operation] = []
        entries: list[tuple[str, Route, Operation]] = []
        for method, route, operation in self._build(root):
            self._operations.append(operation)
            entries.append((method, route, operation))
        self._router: Router[Operation] = Router(entries)

    def __repr__(self) -> str:
        return f"<Contract {self.source} (OpenAPI {self.version}, {len(self._operations)} operations)>"

    def operation(
        self, method: str, path: str, *, query: Mapping[str, Sequence[str]] | None = None
    ) -> Operation | None:
        """The operation serving ``method`` (any case) at the request path ``path`` (a query string,
        if any, is ignored), or ``None``. ``query`` (optional) picks among Azure ``x-ms-paths``
        operations by their query discriminator."""
        found = self._router.find(method, path.split("?", 1)[0], query)
        return None if found is None else found[0]

    def operations(self) -> list[Operation]:
        """Every operation, in document order (``paths``, then ``x-ms-paths``)."""
        return list(self._operations)

    def describe_operations(self, method: str, path: str) -> str:
        """For an unknown operation: ``documented: POST /a, GET /b (and 3 more)``, closest first."""
        return self._router.describe(
            method, path.split("?", 1)[0], lambda verb, route: f"{verb} {_label(route)}"
        )

    # -- building -------------------------------------------------------------------------------

    def _build(self, root: Path) -> list[tuple[str, Route, Operation]]:
        store, top = self._store, self._store.root()
        built: list[tuple[str, Route, Operation]] = []
        swagger_prefix, host_parameters = self._swagger_prefix() if self.version == "2.0" else ("", [])
        for section in ("paths", "x-ms-paths"):
            holder = top.child(section)
            if holder.value is None:
                continue
            _require_mapping(store, holder, f"`{section}`")
            for key, raw_item in holder.items():
                item = store.deref(raw_item)
                _require_mapping(store, item, f"the path item {key!r}")
                path_key = key if key.startswith("/") else "/" + key
                for method in _METHODS:
                    if method not in item.value:
                        continue
                    node = item.child(method)
                    _require_mapping(store, node, f"the operation {method.upper()} {key!r}")
                    variables: dict[str, Sequence[str] | None] = {}
                    if self.version == "2.0":
                        template = swagger_prefix + path_key
                    else:
                        prefix, variables = self._server_prefix(item, node)
                        template = prefix + path_key
                    route = compile_route(template, variables=variables)
                    specs = parameters(
                        store, version=self.version, path_item=item, operation=node, extra=host_parameters
                    )
                    checks = OperationChecks(
                        method=method.upper(),
                        template=template,
                        route=route,
                        node=node,
                        parameters=specs,
                        body=request_body(store, info=self._info, operation=node, params=specs),
                        info=self._info,
                        factory=self._factory,
                        store=store,
                    )
                    built.append(
                        (method.upper(), route, Operation(checks=checks, template=template, root=root))
                    )
        return built

    def _swagger_prefix(self) -> tuple[str, list[Node]]:
        """Swagger's request path prefix (x-ms-parameterized-host path part + basePath) and the host
        template's parameters that are in that path part."""
        top = self._store.root()
        base_path = top.get("basePath")
        base = url_path(base_path) if isinstance(base_path, str) else ""
        host = top.child("x-ms-parameterized-host")
        template = host.get("hostTemplate")
        host_path = url_path(template) if isinstance(template, str) else ""
        extra: list[Node] = []
        listed = host.child("parameters")
        for index in range(len(listed.value) if isinstance(listed.value, list) else 0):
            parameter = self._store.deref(listed.child(index))
            name = parameter.get("name")
            if isinstance(name, str) and "{" + name + "}" in host_path:
                extra.append(listed.child(index))
        return host_path + base, extra

    def _server_prefix(self, item: Node, operation: Node) -> tuple[str, dict[str, Sequence[str] | None]]:
        """The path part of the first server URL (the operation's, the path item's or the
        document's) and what each of its variables may be."""
        for holder in (operation, item, self._store.root()):
            servers = holder.get("servers")
            if isinstance(servers, list) and servers and isinstance(servers[0], dict):
                url = servers[0].get("url")
                if not isinstance(url, str):
                    return "", {}
                variables: dict[str, Sequence[str] | None] = {}
                declared = servers[0].get("variables")
                for name, variable in declared.items() if isinstance(declared, dict) else []:
                    allowed: list[str] = []
                    if isinstance(variable, dict) and isinstance(variable.get("enum"), list):
                        allowed = [str(value) for value in variable["enum"]]
                        if isinstance(variable.get("default"), str) and variable["default"] not in allowed:
                            allowed.append(variable["default"])
                    variables[str(name)] = allowed or None
                return url_path(url), variables
        return "", {}


def _label(route: Route) -> str:
    query = "&".join(name if value is None else f"{name}={value}" for name, value in route.query)
    return route.template + (f"?{query}" if query else "")


_JSON_KINDS = {
    "list": "an array",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
}


def _require_mapping(store: DocumentStore, node: Node, what: str) -> None:
    if not isinstance(node.value, dict):
        kind = _JSON_KINDS.get(type(node.value).__name__, "null")
        where = store.display(node.uri, node.pointer)
        raise ContractError(
            f"{what} at {where} in {store.file_name(store.main_uri)} is {kind}, not an object. "
            "Fix: correct the document's structure there."
        )


def load_contract(path: Path, *, root: Path) -> Contract:
    """Read an OpenAPI 3.0/3.1 or Swagger 2.0 document, JSON or YAML (told apart by content), with
    every ``$ref`` checked: internal ones and other files (relative to the referring file; none may
    lie outside ``root``). ``path`` may be relative to ``root``.

    Raises :class:`ContractError` with one message naming the file, what is wrong and the fix: a
    missing file, unparsable JSON/YAML (with the line), not an OpenAPI/Swagger document or an
    unsupported version, a ``$ref`` that cannot be resolved, a ref leaving the project.
    Validators are built on first use and cached.
    """
    store, version, source = load_files(path, root=root)
    return Contract(store=store, version=version, source=source, root=Path(root))
