"""What the service fills into an index definition it stores, so that a created index reads back as
the real service returns it (an app or the SDK that compares attributes, or reads ``facetable``,
``sortable`` or ``similarity``, sees the service's values, not only what it sent).

Each field gets every attribute the service reports, the ones sent kept as they are: ``key``
(false), ``retrievable`` and ``stored`` (true), ``searchable`` (true for strings and vectors),
``filterable`` and ``sortable`` (true for simple fields, sortable only for single values),
``facetable`` (true except for vectors and geography points), the analyzers, ``normalizer``,
``dimensions``, ``vectorSearchProfile`` and ``vectorEncoding`` (null), ``synonymMaps`` ([]). A key
field is retrievable, filterable, sortable and facetable. Complex fields (``Edm.ComplexType`` and
collections of it) have only ``name``, ``type`` and their ``fields``, each filled the same way. The
index gets the service's top-level defaults: empty ``scoringProfiles``, ``suggesters``,
``analyzers``, ``tokenizers``, ``tokenFilters``, ``charFilters``, ``normalizers``, null
``defaultScoringProfile``, ``corsOptions``, ``encryptionKey``, ``semantic`` and ``vectorSearch``,
and BM25 ``similarity``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

VECTOR_TYPES = (
    "Collection(Edm.Single)",
    "Collection(Edm.Half)",
    "Collection(Edm.Double)",
    "Collection(Edm.Int16)",
    "Collection(Edm.SByte)",
    "Collection(Edm.Byte)",
)
_TEXT = ("Edm.String", "Collection(Edm.String)")
_COMPLEX = ("Edm.ComplexType", "Collection(Edm.ComplexType)")
_NOT_FACETABLE = ("Edm.GeographyPoint", *VECTOR_TYPES)

TOP_LEVEL: dict[str, Any] = {
    "defaultScoringProfile": None,
    "scoringProfiles": [],
    "corsOptions": None,
    "suggesters": [],
    "analyzers": [],
    "tokenizers": [],
    "tokenFilters": [],
    "charFilters": [],
    "normalizers": [],
    "encryptionKey": None,
    "similarity": {"@odata.type": "#Microsoft.Azure.Search.BM25Similarity", "k1": None, "b": None},
    "semantic": None,
    "vectorSearch": None,
}


def field(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` with every attribute the service reports (the ones it has kept)."""
    kind = str(entry.get("type"))
    if kind in _COMPLEX:
        return {**entry, "fields": [field(sub) for sub in entry.get("fields") or []]}
    key = entry.get("key") is True
    vector = kind in VECTOR_TYPES
    collection = kind.startswith("Collection(")
    filled: dict[str, Any] = {
        "name": entry.get("name"),
        "type": kind,
        "key": key,
        "retrievable": True,
        "stored": True,
        "searchable": kind in _TEXT or vector,
        "filterable": key or not vector,
        "sortable": key or not collection,
        "facetable": key or kind not in _NOT_FACETABLE,
        "analyzer": None,
        "searchAnalyzer": None,
        "indexAnalyzer": None,
        "normalizer": None,
        "dimensions": None,
        "vectorSearchProfile": None,
        "vectorEncoding": None,
        "synonymMaps": [],
    }
    return {**filled, **entry}


def index(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level parts of a definition (all but name and fields), defaults filled."""
    return {**copy.deepcopy(TOP_LEVEL), **extra}
