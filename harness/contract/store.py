"""The loaded files of one contract, addressed by file URI and JSON pointer.

Every file (the main document and each file a ``$ref`` reaches) is held parsed, under the
canonical ``file://`` URI of its resolved path. :class:`Node` is a value together with where it
lives, so that a ``$ref`` inside it resolves relative to the right file and an error can name its
document location. ``locations`` maps the ``id()`` of every object of the documents to that place:
a validation error carries the schema object that failed, and this is how its pointer is found
without re-walking the schema path the validator took (which does not record ``$ref`` hops).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

from harness.contract.errors import ContractError

#: Characters kept as they are when a pointer becomes a URI fragment (``referencing`` unquotes it).
_FRAGMENT_SAFE = "/~!$&'()*+,;=:@-._"

#: How many ``$ref`` hops a chain may take before it is deemed a loop.
_MAX_REF_HOPS = 64


def escape(segment: str) -> str:
    """One JSON-pointer segment (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def join(pointer: str, *segments: str | int) -> str:
    """``pointer`` extended by ``segments`` (escaped)."""
    return pointer + "".join("/" + escape(str(segment)) for segment in segments)


def split_pointer(pointer: str) -> list[str]:
    """The unescaped segments of ``pointer`` (``""`` -> ``[]``)."""
    if not pointer:
        return []
    return [unescape(segment) for segment in pointer[1:].split("/")]


def canonical_uri(path: Path) -> str:
    """The URI a file is stored under: that of its fully resolved path."""
    return path.resolve().as_uri()


def uri_to_path(uri: str) -> Path:
    return Path(url2pathname(unquote(urlsplit(uri).path)))


@dataclass(frozen=True)
class Node:
    """A value of a document and where it lives: file URI and JSON pointer (escaped, ``""`` = root)."""

    uri: str
    pointer: str
    value: Any

    def child(self, *segments: str | int) -> Node:
        """The node below this one; a missing key gives a node whose value is ``None``."""
        value = self.value
        for segment in segments:
            if isinstance(value, dict):
                value = value.get(segment if isinstance(segment, str) else str(segment))
            elif isinstance(value, list) and isinstance(segment, int) and 0 <= segment < len(value):
                value = value[segment]
            else:
                value = None
        return Node(self.uri, join(self.pointer, *segments), value)

    def get(self, key: str, default: Any = None) -> Any:
        """``value[key]`` when the value is a mapping, else ``default``."""
        return self.value.get(key, default) if isinstance(self.value, dict) else default

    def items(self) -> Iterator[tuple[str, Node]]:
        """The (key, child node) pairs of a mapping value, in document order."""
        if isinstance(self.value, dict):
            for key in self.value:
                yield str(key), self.child(str(key))


class DocumentStore:
    """The parsed files of one contract and the ``$ref`` resolution between them."""

    def __init__(
        self, *, main_uri: str, files: dict[str, Any], locations: dict[int, tuple[str, str]]
    ) -> None:
        self.main_uri = main_uri
        self.files = files
        self.locations = locations
        self._main_dir = uri_to_path(main_uri).parent

    # -- addressing -----------------------------------------------------------------------------

    def canonical(self, uri: str) -> str:
        """``uri`` as stored (the spelling a ``urljoin`` produced may differ: quoting, ``..``)."""
        if uri in self.files:
            return uri
        if urlsplit(uri).scheme != "file":
            return uri
        return canonical_uri(uri_to_path(uri))

    def root(self) -> Node:
        return Node(self.main_uri, "", self.files[self.main_uri])

    def at(self, uri: str, pointer: str) -> Node:
        """The node at ``pointer`` of file ``uri`` (value ``None`` when absent)."""
        value: Any = self.files.get(uri)
        for segment in split_pointer(pointer):
            if isinstance(value, dict):
                value = value.get(segment)
            elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
                value = value[int(segment)]
            else:
                value = None
        return Node(uri, pointer, value)

    def target(self, base_uri: str, ref: str) -> tuple[str, str]:
        """The (file URI, pointer) a ``$ref`` written in file ``base_uri`` points to."""
        absolute, fragment = urldefrag(urljoin(base_uri, ref))
        return self.canonical(absolute), unquote(fragment)

    def deref(self, node: Node) -> Node:
        """``node`` with its chain of ``$ref`` followed (the loader has checked every ref)."""
        hops = 0
        while isinstance(node.value, dict) and isinstance(node.value.get("$ref"), str):
            uri, pointer = self.target(node.uri, node.value["$ref"])
            node = self.at(uri, pointer)
            hops += 1
            if hops > _MAX_REF_HOPS:
                raise ContractError(
                    f"the $ref chain through {self.display(node.uri, node.pointer)} loops back on itself. "
                    "Fix: make one of the references point at an actual definition."
                )
        return node

    def location_of(self, value: Any) -> tuple[str, str] | None:
        """Where in the documents the object ``value`` lives (by identity), if it comes from one."""
        return self.locations.get(id(value))

    # -- naming ---------------------------------------------------------------------------------

    def display(self, uri: str, pointer: str) -> str:
        """A document location for messages: ``#/components/...`` in the main document, else the
        file's path relative to the main document's folder, then the fragment."""
        if uri == self.main_uri:
            return "#" + pointer
        return f"{self.file_name(uri)}#{pointer}"

    def file_name(self, uri: str) -> str:
        path = uri_to_path(uri)
        try:
            return Path(os.path.relpath(path, self._main_dir)).as_posix()
        except ValueError:  # pragma: no cover - another drive (not on Linux)
            return path.as_posix()

    def schema_uri(self, node: Node) -> str:
        """The absolute URI of a node, as ``referencing`` looks it up."""
        return f"{node.uri}#{quote(node.pointer, safe=_FRAGMENT_SAFE)}"
