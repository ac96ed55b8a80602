"""Integrated vectorization: a vector query of ``kind: "text"`` (the SDK's ``VectorizableTextQuery``)
embedded by the vectorizer the index defines for the queried field.

The index names it as the service does: the field's ``vectorSearchProfile``, that profile's
``vectorizer`` (``vectorizerName`` in older API versions), an entry of ``vectorSearch.vectorizers``
(kind ``azureOpenAI``, with ``azureOpenAIParameters`` / ``azureOpenAIParameters.modelName`` or
``deploymentId``). The text is embedded with the Azure OpenAI simulator's deterministic embeddings
(:func:`harness.simulators.azure_openai.embeddings.vector`) for that model, at the field's
``dimensions``: exactly the vector an app gets from the Azure OpenAI simulator for the same text and
model (with ``dimensions`` when the field is shorter than the model's native size). So a document
embedded through one simulator is found by a query vectorized by the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.simulators.azure_search.store import Index, invalid

if TYPE_CHECKING:
    from harness.simulators.azure_search.query import VectorQuery


def vectorized(index: Index, query: VectorQuery) -> VectorQuery:
    """``query`` (``kind: "text"``) with its text embedded for its fields' vectorizer."""
    # Imported here: a run that only searches never loads the Azure OpenAI simulator.
    from harness.simulators.azure_openai.embeddings import vector  # noqa: PLC0415
    from harness.simulators.azure_openai.options import infer_dimensions  # noqa: PLC0415

    assert query.text is not None
    sizes = set()
    models = set()
    for name in query.fields:
        definition = next((entry for entry in index.field_list() if entry.get("name") == name), None)
        if definition is None:
            raise invalid(f"Unknown field '{name}' in vector field list.")
        model = _model_of(index, definition)
        dimensions = definition.get("dimensions")
        if not isinstance(dimensions, int) or dimensions <= 0:
            raise invalid(f"The field '{name}' is not a vector field with dimensions.")
        sizes.add(dimensions)
        models.add(model)
    if len(sizes) != 1 or len(models) != 1:
        raise invalid(
            "The fields of a text vector query must share one vectorizer and size in the simulator: "
            f"{', '.join(query.fields)}"
        )
    (size,) = sizes
    (model,) = models
    native = max(infer_dimensions(model), size)
    embedded = vector(query.text, native, size if size < native else None)
    return dataclasses.replace(query, vector=embedded)


def _model_of(index: Index, field: Mapping[str, Any]) -> str:
    """The model name (or deployment) of the vectorizer behind ``field``'s vector profile."""
    name = field.get("name")
    search = index.extra.get("vectorSearch")
    search = search if isinstance(search, Mapping) else {}
    profile_name = field.get("vectorSearchProfile")
    profiles = [p for p in search.get("profiles") or [] if isinstance(p, Mapping)]
    profile = next((p for p in profiles if p.get("name") == profile_name), None)
    vectorizer_name = None if profile is None else profile.get("vectorizer", profile.get("vectorizerName"))
    vectorizers = [v for v in search.get("vectorizers") or [] if isinstance(v, Mapping)]
    chosen = None
    if vectorizer_name is not None:
        chosen = next(
            (v for v in vectorizers if v.get("name", v.get("vectorizerName")) == vectorizer_name), None
        )
    if chosen is None:
        raise invalid(
            f"The field '{name}' has no vectorizer: a text vector query needs one in the field's vector "
            "profile (vectorSearch.profiles[].vectorizer naming an entry of vectorSearch.vectorizers)."
        )
    parameters = chosen.get("azureOpenAIParameters") or chosen.get("parameters") or {}
    model = (
        parameters.get("modelName") or parameters.get("deploymentId")
        if isinstance(parameters, Mapping)
        else None
    )
    return str(model or "")
