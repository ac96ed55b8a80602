"""Retrieval: embed the question with Azure OpenAI, then run a hybrid query against Azure AI Search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from openai import AzureOpenAI

from . import errors
from .downstream import post_json
from .settings import Settings

SERVICE = "search"
API_VERSION = "2024-07-01"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    content: str
    url: str

    def citation(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "url": self.url}


def retrieve(settings: Settings, client: AzureOpenAI, question: str) -> list[Document]:
    """The top documents for ``question``; only called when AZURE_SEARCH_SERVICE is set."""
    assert settings.search_service is not None
    assert settings.search_key is not None
    vector = embed(settings, client, question)
    url = f"{settings.search_service}/indexes/{quote(settings.search_index, safe='')}/docs/search"
    body = {
        "search": question,
        "top": settings.search_top,
        "select": "id,title,content,url",
        "vectorQueries": [
            {"kind": "vector", "vector": vector, "fields": "contentVector", "k": settings.search_top}
        ],
    }
    result = post_json(
        SERVICE,
        f"{url}?api-version={API_VERSION}",
        {"api-key": settings.search_key},
        body,
        settings.downstream_timeout,
    )
    return _documents(result)


def embed(settings: Settings, client: AzureOpenAI, text: str) -> list[float]:
    try:
        response = client.embeddings.create(model=settings.embedding_deployment, input=text)
    except Exception as exc:
        raise errors.from_openai(exc) from exc
    # The SDK returns the raw text for a non-JSON Content-Type, and does not validate the JSON's shape.
    data = getattr(response, "data", None)
    vector = getattr(data[0], "embedding", None) if isinstance(data, list) and data else None
    if not isinstance(vector, list) or not vector:
        raise errors.DownstreamFailure(
            "openai", 200, f"the embeddings answer holds no vector: {response!r:.200}"
        )
    return vector


def _documents(result: Any) -> list[Document]:
    hits = result.get("value") if isinstance(result, dict) else None
    if not isinstance(hits, list):
        raise errors.DownstreamFailure(SERVICE, 200, "search answer has no 'value' list")
    documents = []
    for hit in hits:
        if not isinstance(hit, dict):
            raise errors.DownstreamFailure(SERVICE, 200, f"malformed search hit: {hit!r}")
        # Missing optional fields are tolerated: an index may lack "url", and the answer still makes sense.
        documents.append(
            Document(
                id=str(hit.get("id", "")),
                title=str(hit.get("title") or ""),
                content=str(hit.get("content") or ""),
                url=str(hit.get("url") or ""),
            )
        )
    return documents
