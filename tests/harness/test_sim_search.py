"""The Azure AI Search simulator driven by the official SDK (azure-search-documents) over TLS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.indexes.models import SearchableField, SearchIndex, SimpleField
from azure.search.documents.models import VectorizedQuery

from harness import faults
from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.azure_search import AzureSearchSimulator
from tests.support.simulators import bracketed, serving

KEY = "search-key"
DOCS = [
    {"id": "1", "title": "Pricing of the basic plan", "body": "The basic plan costs 10 euros a month.",
     "category": "billing", "vector": [1.0, 0.0, 0.0]},
    {"id": "2", "title": "Refunds", "body": "Refunds are paid within 14 days of a request.",
     "category": "billing", "vector": [0.0, 1.0, 0.0]},
    {"id": "3", "title": "Password reset", "body": "Reset your password from the sign-in page.",
     "category": "account", "vector": [0.0, 0.0, 1.0]},
]  # fmt: skip


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("tls") / "ca.pem")


@pytest.fixture(scope="module")
def server(ca: CertificateAuthority) -> Iterator[MockService]:
    simulator = AzureSearchSimulator({"api_key": KEY, "indexes": {"docs": {"key": "id", "documents": DOCS}}})
    yield from serving("search", simulator, ssl_context=ca.server_context())


@pytest.fixture
def search(server: MockService) -> Iterator[AzureSearchSimulator]:
    yield from bracketed(server, AzureSearchSimulator)


def client_options(ca: CertificateAuthority) -> dict[str, Any]:
    # retry_total=0: a primed failure reaches the test at once instead of after the SDK's backoff.
    return {"connection_verify": str(ca.write_bundle()), "retry_total": 0}


@pytest.fixture
def client(server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator) -> SearchClient:
    return SearchClient(server.url, "docs", AzureKeyCredential(KEY), **client_options(ca))


@pytest.fixture
def index_client(
    server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator
) -> SearchIndexClient:
    return SearchIndexClient(server.url, AzureKeyCredential(KEY), **client_options(ca))


def test_text_search_ranks_matching_documents_with_scores(client: SearchClient) -> None:
    results = list(client.search("refunds request"))
    assert [hit["id"] for hit in results] == ["2"]
    assert results[0]["@search.score"] > 0


def test_text_search_select_top_filter_and_count(client: SearchClient) -> None:
    results = client.search("the", select=["id", "title"], top=1, include_total_count=True)
    hits = list(results)
    assert results.get_count() == 2  # "the" is in documents 1 and 3; top limits the page, not the count
    assert len(hits) == 1
    assert set(hits[0]) >= {"id", "title"}
    assert "body" not in hits[0]
    filtered = list(client.search("*", filter="category eq 'billing' and id ne '1'"))
    assert [hit["id"] for hit in filtered] == ["2"]


def test_search_fields_limit_what_text_matches(client: SearchClient) -> None:
    assert [hit["id"] for hit in client.search("password")] == ["3"]
    assert list(client.search("password", search_fields=["category"])) == []


def test_vector_search_orders_by_cosine_similarity(client: SearchClient) -> None:
    query = VectorizedQuery(vector=[0.1, 0.9, 0.2], k_nearest_neighbors=2, fields="vector")
    hits = list(client.search(None, vector_queries=[query], select=["id"]))
    assert [hit["id"] for hit in hits] == ["2", "3"]
    assert hits[0]["@search.score"] > hits[1]["@search.score"]


def test_hybrid_search_fuses_text_and_vector_ranks(client: SearchClient) -> None:
    # Text finds only "1"; the vector favours "3" then "1": fused, "1" (in both lists) comes first.
    query = VectorizedQuery(vector=[0.6, 0.0, 0.8], k_nearest_neighbors=3, fields="vector")
    hits = list(client.search("basic plan", vector_queries=[query]))
    assert [hit["id"] for hit in hits][:2] == ["1", "3"]
    assert hits[0]["@search.score"] == pytest.approx(1 / 61 + 1 / 62)


def test_unsupported_filter_is_a_400_not_ignored(client: SearchClient) -> None:
    with pytest.raises(HttpResponseError) as info:
        list(client.search("*", filter="geo.distance(location, geography'POINT(0 0)') le 10"))
    assert info.value.status_code == 400
    assert "filter" in str(info.value.message)


def test_get_document_and_count(client: SearchClient) -> None:
    assert client.get_document("3")["title"] == "Password reset"
    assert client.get_document_count() == 3
    with pytest.raises(ResourceNotFoundError):
        client.get_document("missing")


def test_upload_documents_are_searchable_and_dropped_at_end_test(
    client: SearchClient, search: AzureSearchSimulator, server: MockService
) -> None:
    results = client.upload_documents([{"id": "4", "title": "Invoices", "body": "Download invoices."}])
    assert [(result.key, result.succeeded, result.status_code) for result in results] == [("4", True, 201)]
    assert [hit["id"] for hit in client.search("invoices")] == ["4"]
    assert search.document("docs", "4") is not None
    server.end_test()
    server.begin_test()
    assert search.document("docs", "4") is None
    assert client.get_document_count() == 3


def test_merge_of_a_missing_document_fails_for_that_key_only(client: SearchClient) -> None:
    results = client.merge_or_upload_documents([{"id": "1", "category": "plans"}])
    assert results[0].succeeded
    # A 207: the SDK returns per-key results rather than raising.
    outcome = client.merge_documents([{"id": "nope", "title": "x"}, {"id": "2", "title": "Refunds!"}])
    assert [(result.succeeded, result.status_code) for result in outcome] == [(False, 404), (True, 200)]
    assert client.get_document("1")["category"] == "plans"
    assert client.get_document("2")["title"] == "Refunds!"


def test_index_client_creates_gets_lists_and_deletes(index_client: SearchIndexClient) -> None:
    index = SearchIndex(
        name="products",
        fields=[SimpleField(name="sku", type="Edm.String", key=True), SearchableField(name="name")],
    )
    created = index_client.create_index(index)
    assert created.name == "products"
    assert index_client.get_index("products").fields[0].name == "sku"
    assert set(index_client.list_index_names()) == {"docs", "products"}
    index_client.delete_index("products")
    with pytest.raises(ResourceNotFoundError) as info:
        index_client.get_index("products")
    assert "products" in str(info.value)


def test_defined_schema_rejects_unknown_fields(
    index_client: SearchIndexClient, server: MockService, ca: CertificateAuthority
) -> None:
    fields = [SimpleField(name="sku", type="Edm.String", key=True), SearchableField(name="name")]
    index_client.create_index(SearchIndex(name="strict", fields=fields))
    client = SearchClient(server.url, "strict", AzureKeyCredential(KEY), **client_options(ca))
    with pytest.raises(HttpResponseError) as info:
        client.upload_documents([{"sku": "a", "colour": "red"}])
    assert info.value.status_code == 400
    assert "colour" in str(info.value.message)


def test_unknown_index_is_404(
    server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator
) -> None:
    client = SearchClient(server.url, "nope", AzureKeyCredential(KEY), **client_options(ca))
    with pytest.raises(ResourceNotFoundError) as info:
        list(client.search("anything"))
    assert "The index 'nope'" in str(info.value)


@pytest.mark.parametrize(("key", "status"), [("wrong-key", 403)])
def test_wrong_key_is_rejected(
    server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator, key: str, status: int
) -> None:
    client = SearchClient(server.url, "docs", AzureKeyCredential(key), **client_options(ca))
    with pytest.raises(HttpResponseError) as info:
        list(client.search("plan"))
    assert info.value.status_code == status


class StaticToken:
    """A token credential (what azure-identity provides) without Entra ID: a bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("token", int(time.time()) + 3600)


def test_token_credential_sends_a_bearer_token_over_tls(
    server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator
) -> None:
    client = SearchClient(server.url, "docs", StaticToken(), **client_options(ca))  # type: ignore[arg-type]
    assert client.get_document_count() == 3
    assert dict(server.requests[-1].headers)["Authorization"] == "Bearer token"


def test_primed_results_answer_the_next_search_only(
    client: SearchClient, search: AzureSearchSimulator
) -> None:
    search.answer_next([{"id": "x", "title": "Primed"}], search="plan", count=7)
    primed = client.search("plan", include_total_count=True)
    assert [hit["id"] for hit in primed] == ["x"]
    assert primed.get_count() == 7
    assert [hit["id"] for hit in client.search("plan")] == ["1"]


def test_primed_failure_then_fault(client: SearchClient, search: AzureSearchSimulator) -> None:
    search.fail_next(503, "ServiceUnavailable", "busy", operation="search")
    assert client.get_document_count() == 3  # another operation is not affected
    with pytest.raises(HttpResponseError) as info:
        list(client.search("plan"))
    assert info.value.status_code == 503
    search.fault_next(faults.throttle(retry_after=0))
    with pytest.raises(HttpResponseError) as throttled:
        list(client.search("plan"))
    assert throttled.value.status_code == 429
    assert [hit["id"] for hit in client.search("plan")] == ["1"]


def test_a_test_expectation_wins_over_the_simulator(client: SearchClient, server: MockService) -> None:
    server.expect_request("/indexes('docs')/docs/search.post.search", method="POST").respond_with_json(
        {"value": [{"@search.score": 9.0, "id": "from-expectation"}]}
    )
    assert [hit["id"] for hit in client.search("plan")] == ["from-expectation"]


def test_end_test_drops_priming(
    search: AzureSearchSimulator, server: MockService, client: SearchClient
) -> None:
    search.answer_next([{"id": "x"}], times=5)
    search.fail_next(500, times=5)
    search.load_documents("docs", [{"id": "9", "title": "plan extra"}])
    server.end_test()
    server.begin_test()
    assert sorted(hit["id"] for hit in client.search("plan")) == ["1"]
    assert search.index_names() == ["docs"]


def test_documents_loaded_in_a_test_are_inspectable(search: AzureSearchSimulator) -> None:
    search.load_documents("fresh", [{"key": "a", "text": "hello"}], key="key")
    assert search.documents("fresh") == [{"key": "a", "text": "hello"}]
