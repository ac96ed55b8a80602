"""Integrated vectorization: a ``VectorizableTextQuery`` against an index whose vector field has an
Azure OpenAI vectorizer is embedded with the Azure OpenAI simulator's embeddings, so documents
embedded through that simulator (as an app's ingestion does) are found by the text alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.indexes.models import (
    AzureOpenAIVectorizer,
    AzureOpenAIVectorizerParameters,
    HnswAlgorithmConfiguration,
    SearchField,
    SearchIndex,
    SimpleField,
    VectorSearch,
    VectorSearchProfile,
)
from azure.search.documents.models import VectorizableTextQuery
from openai import AzureOpenAI

from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_search import AzureSearchSimulator
from tests.support.simulators import bracketed, serving

from . import test_sim_search as search_tests
from .test_sim_search import KEY, client_options

ca = search_tests.ca
server = search_tests.server
search = search_tests.search

TEXTS = {
    "1": "How to reset a forgotten password",
    "2": "Monthly pricing of the premium plan",
    "3": "Opening hours of the support desk",
}


@pytest.fixture(scope="module")
def openai_server() -> Iterator[MockService]:
    yield from serving("openai", AzureOpenAISimulator({"api_key": "k"}))


@pytest.fixture
def openai_sim(openai_server: MockService) -> Iterator[AzureOpenAISimulator]:
    yield from bracketed(openai_server, AzureOpenAISimulator)


def embed(
    openai_server: MockService, texts: list[str], model: str, dimensions: int | None
) -> list[list[float]]:
    client = AzureOpenAI(
        azure_endpoint=openai_server.url, api_key="k", api_version="2024-10-21", max_retries=0
    )
    extra = {} if dimensions is None else {"dimensions": dimensions}
    return [item.embedding for item in client.embeddings.create(model=model, input=texts, **extra).data]


def make_index(
    server: MockService, ca: CertificateAuthority, *, size: int, model: str, vectorizer: bool = True
) -> SearchClient:
    indexes = SearchIndexClient(server.url, AzureKeyCredential(KEY), **client_options(ca))
    parameters = AzureOpenAIVectorizerParameters(
        resource_url="https://example.openai.azure.com", deployment_name=model, model_name=model
    )
    vector_search = VectorSearch(
        algorithms=[HnswAlgorithmConfiguration(name="hnsw")],
        profiles=[
            VectorSearchProfile(
                name="p", algorithm_configuration_name="hnsw", vectorizer_name="v" if vectorizer else None
            )
        ],
        vectorizers=[AzureOpenAIVectorizer(vectorizer_name="v", parameters=parameters)],
    )
    fields = [
        SimpleField(name="id", type="Edm.String", key=True),
        SimpleField(name="text", type="Edm.String"),
        SearchField(
            name="embedding",
            type="Collection(Edm.Single)",
            searchable=True,
            vector_search_dimensions=size,
            vector_search_profile_name="p",
        ),
    ]
    indexes.create_index(SearchIndex(name="kb", fields=fields, vector_search=vector_search))
    return SearchClient(server.url, "kb", AzureKeyCredential(KEY), **client_options(ca))


@pytest.mark.usefixtures("search", "openai_sim")
@pytest.mark.parametrize(
    "case",
    [("text-embedding-3-small", 1536, None), ("text-embedding-3-large", 256, 256)],
    ids=["native size", "shortened"],
)
def test_a_text_query_finds_documents_embedded_through_the_openai_simulator(
    server: MockService,
    ca: CertificateAuthority,
    openai_server: MockService,
    case: tuple[str, int, int | None],
):
    model, size, dimensions = case
    client = make_index(server, ca, size=size, model=model)
    vectors = embed(openai_server, list(TEXTS.values()), model, dimensions)
    documents = [
        {"id": key, "text": text, "embedding": vec}
        for (key, text), vec in zip(TEXTS.items(), vectors, strict=True)
    ]
    client.upload_documents(documents)
    for key, text in TEXTS.items():
        query = VectorizableTextQuery(text=text, k_nearest_neighbors=1, fields="embedding")
        (hit,) = client.search(vector_queries=[query], select=["id"])
        assert hit["id"] == key
        assert hit["@search.score"] == pytest.approx(1.0)  # the very same vector


def test_a_text_query_without_a_vectorizer_is_the_service_s_400(
    server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator
):
    client = make_index(server, ca, size=8, model="text-embedding-3-small", vectorizer=False)
    query = VectorizableTextQuery(text="password", k_nearest_neighbors=1, fields="embedding")
    with pytest.raises(HttpResponseError, match="The field 'embedding' has no vectorizer") as raised:
        list(client.search(vector_queries=[query]))
    assert raised.value.status_code == 400
