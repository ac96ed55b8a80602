"""Reading an OpenAPI document and every file its ``$ref``s reach, with one clear error per problem.

A document is JSON or YAML, told apart by its content (a JSON file named ``.yaml`` loads, and so
does YAML named ``.json`` as long as it is not JSON-looking). YAML is read with the safe loader
minus its timestamp rule (``2024-01-01`` stays a string, as in JSON) and mapping keys become
strings (``200:`` is the status ``"200"``).

Every ``$ref`` is checked once, at load: the file it names exists, lies inside the project root,
parses, and holds the pointed-to location. Values that are data rather than document structure
are not searched for refs: ``example``, ``enum``, ``const``, ``default``, Swagger response
``examples``, OAS 3.1 schema ``examples`` lists and Azure's ``x-ms-examples`` (whose targets are
sample files that need not be vendored).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import yaml  # type: ignore[import-untyped, unused-ignore]

from harness.contract.errors import ContractError
from harness.contract.store import DocumentStore, canonical_uri, escape, split_pointer, uri_to_path

#: Keys whose values are maps from names to objects (the names are not keywords).
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "dependentSchemas",
        "schemas",
        "parameters",
        "responses",
        "requestBodies",
        "headers",
        "securitySchemes",
        "securityDefinitions",
        "examples",
        "links",
        "callbacks",
        "paths",
        "x-ms-paths",
        "content",
        "variables",
        "mapping",
        "encoding",
        "pathItems",
        "scopes",
    }
)

#: Keywords whose values are data, never searched for ``$ref``.
_LITERAL_KEYS = frozenset({"example", "enum", "const", "default", "x-ms-examples"})

_SUPPORTED = "Swagger 2.0, OpenAPI 3.0.x or OpenAPI 3.1.x"


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to the project root when inside it (as users wrote it), else absolute."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# -- parsing ------------------------------------------------------------------------------------


def _yaml_loader() -> Any:
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[misc, valid-type]
        """The safe loader without the timestamp rule: dates stay strings, as JSON would have them."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return _Loader


@functools.cache
def _loader() -> Any:
    return _yaml_loader()


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    return str(key)


def _json_shaped(value: Any, shown: str) -> Any:
    """A YAML value with string keys everywhere (``200:`` -> ``"200"``), aliases copied as shared
    objects; a recursive alias has no JSON form and is refused."""
    memo: dict[int, Any] = {}
    in_progress: set[int] = set()

    def convert(item: Any) -> Any:
        if not isinstance(item, (dict, list)):
            return item
        if id(item) in memo:
            return memo[id(item)]
        if id(item) in in_progress:
            raise ContractError(
                f"{shown} uses a YAML alias that contains itself, which has no JSON form. "
                "Fix: replace the recursive alias with a $ref."
            )
        in_progress.add(id(item))
        converted: Any
        if isinstance(item, dict):
            converted = {_key(key): convert(child) for key, child in item.items()}
        else:
            converted = [convert(child) for child in item]
        in_progress.discard(id(item))
        memo[id(item)] = converted
        return converted

    return convert(value)


def _parse(text: str, *, shown: str, suffix: str) -> Any:
    """JSON or YAML by content; the error names the line."""
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped.startswith(("{", "[")) or suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            if suffix not in (".yaml", ".yml"):
                raise ContractError(
                    f"{shown} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}. "
                    "Fix: correct the JSON at that line (or write the document as YAML, in a .yaml file)."
                ) from None
    try:
        loaded = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ContractError(
            f"{shown} is not valid YAML (nor JSON): {where}{problem}. Fix: correct the syntax at that line."
        ) from None
    return _json_shaped(loaded, shown)


def read_document(path: Path, *, shown: str, referrer: str | None = None) -> Any:
    """The parsed content of one file, or a :class:`ContractError` saying what is wrong with it."""
    via = f" (referenced by {referrer})" if referrer else ""
    label = shown + via
    if not path.exists():
        raise ContractError(
            f"cannot read the OpenAPI document {shown}{via}: the file does not exist. "
            "Fix: point the reference at an existing file (paths are relative to the referring file; "
            "the `openapi` setting is relative to the project root)."
        )
    if path.is_dir():
        raise ContractError(
            f"cannot read the OpenAPI document {shown}{via}: it is a directory. "
            "Fix: name the document file itself (for example openapi.yaml)."
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ContractError(
            f"cannot read the OpenAPI document {shown}{via}: {error.strerror or error}. "
            "Fix: make the file readable by the user running the tests."
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContractError(
            f"the OpenAPI document {shown}{via} is not UTF-8 text (invalid byte at offset {error.start}). "
            "Fix: save it as UTF-8."
        ) from None
    try:
        return _parse(text, shown=label, suffix=path.suffix.lower())
    except RecursionError:
        raise ContractError(
            f"{label} is nested too deeply to be read. Fix: flatten the document (use $refs)."
        ) from None


def detect_version(document: Any, *, shown: str) -> str:
    """``"2.0"``, ``"3.0"`` or ``"3.1"``, from the ``swagger`` or ``openapi`` key."""
    if not isinstance(document, dict):
        kind = "empty" if document is None else f"a {type(document).__name__}, not an object"
        raise ContractError(
            f"{shown} is not an OpenAPI document: its content is {kind}. "
            f"Fix: point `openapi` at a {_SUPPORTED} document."
        )
    if "openapi" in document:
        declared, key = document["openapi"], "openapi"
    elif "swagger" in document:
        declared, key = document["swagger"], "swagger"
    else:
        raise ContractError(
            f"{shown} is not an OpenAPI document: it has neither an `openapi` nor a `swagger` key at its "
            f"top level. Fix: point `openapi` at a {_SUPPORTED} document."
        )
    text = str(declared).strip()
    if key == "swagger" and text in ("2.0", "2"):
        return "2.0"
    if key == "openapi":
        parts = text.split(".")
        if len(parts) >= 2 and parts[0] == "3" and parts[1] in ("0", "1"):
            return f"3.{parts[1]}"
    raise ContractError(
        f"{shown} declares `{key}: {text}`, a version harness does not support (supported: {_SUPPORTED}). "
        "Fix: convert the document to OpenAPI 3 (for example with swagger2openapi) or point `openapi` "
        "at a supported one."
    )


# -- walking ------------------------------------------------------------------------------------


def _walk(
    document: Any, *, uri: str, swagger: bool, locations: dict[int, tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    """Records where every object of ``document`` lives and yields (pointer of the holder, ref) for
    each ``$ref`` of the document's structure (data values are skipped, see the module docstring)."""
    # (value, pointer, is a name map, name map it was listed in)
    stack: list[tuple[Any, str, bool, str | None]] = [(document, "", False, None)]
    while stack:
        value, pointer, names, listed_in = stack.pop()
        if isinstance(value, list):
            locations.setdefault(id(value), (uri, pointer))
            for index in range(len(value) - 1, -1, -1):
                stack.append((value[index], f"{pointer}/{index}", False, None))
            continue
        if not isinstance(value, dict):
            continue
        locations.setdefault(id(value), (uri, pointer))
        if not names and isinstance(value.get("$ref"), str):
            yield pointer, value["$ref"]
        for key in reversed(list(value)):
            child = value[key]
            if not isinstance(child, (dict, list)):
                continue
            child_pointer = f"{pointer}/{escape(key)}"
            if names:
                stack.append((child, child_pointer, False, listed_in))
                continue
            if key in _LITERAL_KEYS or (listed_in == "examples" and key == "value"):
                continue
            if key == "examples" and (swagger or isinstance(child, list)):
                continue
            stack.append((child, child_pointer, key in _NAME_MAPS, key if key in _NAME_MAPS else None))


def _lookup(document: Any, pointer: str) -> str | None:
    """``None`` when ``pointer`` exists in ``document``, else what is missing."""
    value = document
    walked = ""
    for segment in split_pointer(pointer):
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return f"there is no {segment!r} under {walked or 'the top level'!r}"
        walked += "/" + escape(segment)
    return None


class _Loader:
    """Loads the main document and, breadth first, every file its refs reach."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.files: dict[str, Any] = {}
        self.locations: dict[int, tuple[str, str]] = {}
        self.refs: list[tuple[str, str, str]] = []  # (file uri, holder pointer, ref)
        self._targets: dict[str, str] = {}  # absolute URI of a ref's file -> canonical URI

    def shown(self, uri: str) -> str:
        return shown_path(uri_to_path(uri), self.root)

    def add(self, uri: str, document: Any, *, swagger: bool) -> None:
        self.files[uri] = document
        for pointer, ref in _walk(document, uri=uri, swagger=swagger, locations=self.locations):
            self.refs.append((uri, pointer, ref))

    def resolve_all(self, *, swagger: bool) -> None:
        index = 0
        while index < len(self.refs):
            uri, pointer, ref = self.refs[index]
            index += 1
            self._check(uri, pointer, ref, swagger=swagger)

    def _check(self, uri: str, pointer: str, ref: str, *, swagger: bool) -> None:
        absolute, fragment = urldefrag(urljoin(uri, ref))
        target_uri = self._targets.get(absolute)
        if target_uri is None:
            target_uri = self._targets[absolute] = self._file(absolute, uri, pointer, ref, swagger=swagger)
        pointer_text = unquote(fragment)
        if pointer_text and not pointer_text.startswith("/"):
            raise ContractError(
                f"{self._where(uri, pointer, ref)} uses the plain-name fragment {'#' + pointer_text!r}; "
                "harness resolves only JSON-pointer fragments. Fix: write the reference as a pointer "
                "('#/components/schemas/X')."
            )
        missing = _lookup(self.files[target_uri], pointer_text)
        if missing is not None:
            raise ContractError(
                f"{self._where(uri, pointer, ref)} cannot be resolved: {self.shown(target_uri)} has no "
                f"{'#' + pointer_text!r} ({missing}). "
                "Fix: correct the reference or add the missing definition."
            )

    def _where(self, uri: str, pointer: str, ref: str) -> str:
        return f"the $ref {ref!r} in {self.shown(uri)} (at #{pointer})"

    def _file(self, absolute: str, uri: str, pointer: str, ref: str, *, swagger: bool) -> str:
        """The canonical URI of the file a ref names (loaded if new), or why it cannot be used."""
        scheme = urlsplit(absolute).scheme
        if scheme in ("http", "https"):
            raise ContractError(
                f"{self._where(uri, pointer, ref)} points to a remote document; harness resolves only files "
                "of the project and never downloads during a test run. Fix: vendor that document into the "
                "project and use a relative $ref."
            )
        if scheme != "file":
            raise ContractError(
                f"{self._where(uri, pointer, ref)} uses the unsupported scheme {scheme!r}. "
                "Fix: use a relative file path or a '#/...' pointer."
            )
        if absolute in self.files:
            return absolute
        target = uri_to_path(absolute).resolve()
        if not target.is_relative_to(self.root):
            raise ContractError(
                f"{self._where(uri, pointer, ref)} points to {target}, outside the project root {self.root}; "
                "harness reads only files inside the project. Fix: copy the referenced document into the "
                "project and refer to the copy."
            )
        target_uri = target.as_uri()
        if target_uri not in self.files:
            where = self._where(uri, pointer, ref)
            document = read_document(target, shown=self.shown(target_uri), referrer=where)
            self.add(target_uri, document, swagger=swagger)
        return target_uri


def load_files(path: Path, *, root: Path) -> tuple[DocumentStore, str, Path]:
    """The store of every file the document at ``path`` reaches, the document's version and path.

    ``path`` relative is taken relative to ``root``.
    """
    path = Path(path)
    main = path if path.is_absolute() else Path(root) / path
    shown = shown_path(main, root)
    document = read_document(main, shown=shown)
    version = detect_version(document, shown=shown)
    loader = _Loader(root)
    main_uri = canonical_uri(main)
    swagger = version == "2.0"
    loader.add(main_uri, document, swagger=swagger)
    loader.resolve_all(swagger=swagger)
    store = DocumentStore(main_uri=main_uri, files=loader.files, locations=loader.locations)
    for uri, pointer, _ref in loader.refs:  # a chain of refs that loops is an error at load
        store.deref(store.at(uri, pointer))
    return store, version, main
