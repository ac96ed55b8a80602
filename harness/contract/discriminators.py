"""Polymorphism by discriminator: which subtype schema a payload declares.

Two spellings share one model here:

* Swagger 2.0 (and Azure): the base schema has ``discriminator: "<property>"``; a subtype is a
  definition whose ``allOf`` holds a ``$ref`` to the base; its value is ``x-ms-discriminator-value``
  or else the definition's name.
* OpenAPI 3 "allOf inheritance": the base has ``discriminator: {propertyName, mapping}`` and no
  ``oneOf``/``anyOf``; subtypes as above, the value a ``mapping`` key pointing at the subtype (then
  ``x-ms-discriminator-value``, then the schema name). A base *with* ``oneOf``/``anyOf`` is left to
  openapi-schema-validator, which implements that form itself.

Subtypes of subtypes count as subtypes of the base. A value that names no subtype (the base's own,
or an unknown one) is validated against the base alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.contract.store import DocumentStore, Node


@dataclass(frozen=True)
class Polymorphism:
    """A base schema's discriminating property and its subtypes by discriminator value."""

    property: str
    subtypes: dict[str, Node] = field(default_factory=dict)


def _property_of(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    declared = schema.get("discriminator")
    if isinstance(declared, str):
        return declared
    if isinstance(declared, dict) and isinstance(declared.get("propertyName"), str):
        if "oneOf" in schema or "anyOf" in schema:
            return None
        return str(declared["propertyName"])
    return None


def _named_schemas(store: DocumentStore) -> list[tuple[str, Node]]:
    """Every named schema of every loaded file: ``definitions`` and ``components/schemas``."""
    found: list[tuple[str, Node]] = []
    for uri, document in store.files.items():
        top = Node(uri, "", document)
        for holder in (top.child("definitions"), top.child("components", "schemas")):
            for name, node in holder.items():
                if isinstance(node.value, dict):
                    found.append((name, node))
    return found


def _mapping_key(base: Node, subtype: Node, store: DocumentStore) -> str | None:
    declared = base.get("discriminator")
    mapping = declared.get("mapping") if isinstance(declared, dict) else None
    if not isinstance(mapping, dict):
        return None
    for key, ref in mapping.items():
        if isinstance(ref, str) and store.target(base.uri, ref) == (subtype.uri, subtype.pointer):
            return str(key)
    return None


class Discriminators:
    """The polymorphic base schemas of a contract, by the identity of the base schema object."""

    def __init__(self, store: DocumentStore) -> None:
        self._by_base: dict[int, Polymorphism] = {}
        self._store = store
        named = _named_schemas(store)
        children: dict[tuple[str, str], list[tuple[str, Node]]] = {}
        for name, node in named:
            for member in node.child("allOf").value or []:
                if isinstance(member, dict) and isinstance(member.get("$ref"), str):
                    parent = store.target(node.uri, member["$ref"])
                    children.setdefault(parent, []).append((name, node))
        for _name, base in named:
            prop = _property_of(base.value)
            if prop is None:
                continue
            polymorphism = Polymorphism(prop)
            self._collect(base, base, children, polymorphism)
            self._add_mapping_targets(base, polymorphism)
            if polymorphism.subtypes:
                self._by_base[id(base.value)] = polymorphism

    def _collect(
        self,
        base: Node,
        parent: Node,
        children: dict[tuple[str, str], list[tuple[str, Node]]],
        polymorphism: Polymorphism,
    ) -> None:
        for name, child in children.get((parent.uri, parent.pointer), []):
            if any(known.value is child.value for known in polymorphism.subtypes.values()):
                continue
            value = _mapping_key(base, child, self._store) or child.get("x-ms-discriminator-value") or name
            polymorphism.subtypes.setdefault(str(value), child)
            self._collect(base, child, children, polymorphism)

    def _add_mapping_targets(self, base: Node, polymorphism: Polymorphism) -> None:
        declared = base.get("discriminator")
        mapping = declared.get("mapping") if isinstance(declared, dict) else None
        if isinstance(mapping, dict):
            for key, ref in mapping.items():
                if isinstance(ref, str) and str(key) not in polymorphism.subtypes:
                    uri, pointer = self._store.target(base.uri, ref)
                    target = self._store.at(uri, pointer)
                    if isinstance(target.value, dict) and target.value is not base.value:
                        polymorphism.subtypes[str(key)] = target

    def of(self, schema: Any) -> Polymorphism | None:
        """The polymorphism rooted at ``schema`` (a schema object of the documents), if any."""
        return self._by_base.get(id(schema))
