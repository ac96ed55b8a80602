"""Semantic ranking in the Azure AI Search simulator (``query_type="semantic"``: reranker score,
captions, answers), driven by azure-search-documents over TLS as an app would use it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.indexes.models import (
    SearchableField,
    SearchIndex,
    SemanticConfiguration,
    SemanticField,
    SemanticPrioritizedFields,
    SemanticSearch,
    SimpleField,
)

from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority

from . import test_sim_search as search_tests
from .test_sim_search import KEY, client_options

# The plain search tests' fixtures, one instance per module: CA, service, per-test bracket, clients.
ca = search_tests.ca
server = search_tests.server
search = search_tests.search
client = search_tests.client
index_client = search_tests.index_client

BENEFITS = [
    {"id": "travel", "title": "Travel policy",
     "content": "Book economy flights. Dental care is not covered here."},
    {"id": "dental", "title": "Dental coverage",
     "content": "The plan covers dental cleanings twice a year. Braces are excluded."},
    {"id": "vision", "title": "Vision", "content": "Glasses are covered every two years."},
]  # fmt: skip


def semantic_index(name: str = "benefits", *, default: str | None = "main") -> SearchIndex:
    return SearchIndex(
        name=name,
        fields=[
            SimpleField(name="id", type="Edm.String", key=True),
            SearchableField(name="title"),
            SearchableField(name="content"),
        ],
        semantic_search=SemanticSearch(
            default_configuration_name=default,
            configurations=[
                SemanticConfiguration(
                    name="main",
                    prioritized_fields=SemanticPrioritizedFields(
                        title_field=SemanticField(field_name="title"),
                        content_fields=[SemanticField(field_name="content")],
                    ),
                ),
                SemanticConfiguration(
                    name="titles-only",
                    prioritized_fields=SemanticPrioritizedFields(
                        title_field=SemanticField(field_name="title")
                    ),
                ),
            ],
        ),
    )


@pytest.fixture
def benefits(server: MockService, ca: CertificateAuthority, index_client: SearchIndexClient) -> SearchClient:
    """An index with semantic configurations, created and filled through the SDK."""
    index_client.create_index(semantic_index())
    documents = SearchClient(server.url, "benefits", AzureKeyCredential(KEY), **client_options(ca))
    documents.upload_documents(BENEFITS)
    return documents


def semantic(client: SearchClient, text: str, **options: Any) -> list[dict[str, Any]]:
    return list(client.search(text, query_type="semantic", **options))


def test_the_reranker_reorders_the_base_results(benefits: SearchClient):
    plain = [hit["id"] for hit in benefits.search("is dental covered")]
    hits = semantic(benefits, "is dental covered", semantic_configuration_name="main")
    # BM25 favours the short travel passage; the reranker weighs the title that names the subject.
    assert plain[0] == "travel"
    assert [hit["id"] for hit in hits] == ["dental", "travel", "vision"]
    scores = [hit["@search.reranker_score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 4 for score in scores)
    # @search.score stays the base score.
    by_id = {hit["id"]: hit["@search.score"] for hit in benefits.search("is dental covered")}
    assert {hit["id"]: hit["@search.score"] for hit in hits} == by_id


def test_the_default_configuration_and_a_named_one(benefits: SearchClient):
    default = semantic(benefits, "dental")
    titles_only = semantic(benefits, "dental", semantic_configuration_name="titles-only")
    # "titles-only" sees the word in one title; "main" also sees it in the travel passage.
    assert [hit["@search.reranker_score"] for hit in titles_only] == [4.0, 0.0]
    assert [hit["id"] for hit in default] == ["dental", "travel"]
    assert default[1]["@search.reranker_score"] > 0


def test_captions_carry_the_best_passage_with_highlights(benefits: SearchClient):
    (top, *_rest) = semantic(benefits, "dental cleanings", query_caption="extractive")
    (caption,) = top["@search.captions"]
    assert caption.text == "The plan covers dental cleanings twice a year."
    assert caption.highlights == "The plan covers <em>dental</em> <em>cleanings</em> twice a year."
    (plain_top, *_rest) = semantic(
        benefits, "dental cleanings", query_caption="extractive", query_caption_highlight_enabled=False
    )
    (plain_caption,) = plain_top["@search.captions"]
    assert plain_caption.text == caption.text
    assert plain_caption.highlights is None


def test_answers_come_from_the_best_results_above_the_threshold(benefits: SearchClient):
    results = benefits.search("dental covered", query_type="semantic", query_answer="extractive")
    list(results)
    (answer,) = results.get_answers() or []
    assert answer.key == "dental"  # the best reranked result, whose sentence holds both terms
    assert answer.text == "The plan covers dental cleanings twice a year."
    assert answer.highlights == "The plan <em>covers</em> <em>dental</em> cleanings twice a year."
    assert answer.score == 1.0
    several = benefits.search(
        "covered",
        query_type="semantic",
        query_answer="extractive",
        query_answer_count=3,
        query_answer_threshold=0.5,
    )
    list(several)
    # Only what the text query found is reranked: "covered" is not in the dental page ("covers").
    # Every result then holds the one term, so the reranker ties and the base order stays.
    found = [hit["id"] for hit in benefits.search("covered")]
    assert found == ["vision", "travel"]  # BM25: the shorter page first
    assert [answer.key for answer in several.get_answers() or []] == found
    none = benefits.search("braces glasses dental", query_type="semantic", query_answer="extractive")
    list(none)
    assert none.get_answers() == []  # no sentence holds 70 % of the terms


def test_without_semantic_configurations_every_searchable_field_counts(client: SearchClient):
    # The module's "docs" index comes from config, with no semantic section: it still ranks.
    hits = semantic(client, "password reset", query_caption="extractive")
    assert hits[0]["id"] == "3"
    assert hits[0]["@search.reranker_score"] == 4.0
    # Without a configuration the title is content too: its sentence, first, holds both terms.
    assert hits[0]["@search.captions"][0].text == "Password reset"


def test_a_semantic_hybrid_query_in_rest_form(server: MockService, ca: CertificateAuthority, search: Any):
    # The REST shape of a semantic hybrid query, as LangChain and CWYD send it.
    response = requests.post(
        f"{server.url}/indexes/docs/docs/search?api-version=2024-07-01",
        json={
            "search": "refunds",
            "vectorQueries": [{"kind": "vector", "vector": [1.0, 0.0, 0.0], "fields": "vector", "k": 3}],
            "queryType": "semantic",
            "semanticConfiguration": "default",
            "captions": "extractive|highlight-false",
            "answers": "extractive|count-2",
            "top": 2,
        },
        headers={"api-key": KEY},
        verify=str(ca.write_bundle()),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # Fused: "2" matches the text, "1" the vector. Only "2" says "refunds": it is first, the rest tie.
    assert [(hit["id"], hit["@search.rerankerScore"]) for hit in body["value"]] == [("2", 4.0), ("1", 0.0)]
    assert body["value"][0]["@search.captions"] == [{"text": "Refunds", "highlights": None}]
    assert [answer["key"] for answer in body["@search.answers"]] == ["2"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"semantic_configuration_name": "nope"},
            "Unknown semantic configuration 'nope'. The index has: main, titles-only.",
        ),
        ({"query_caption": "abstractive"}, "'captions' must be 'none' or 'extractive'"),
    ],
    ids=["unknown-configuration", "unknown-caption-kind"],
)
def test_bad_semantic_requests_are_400s_naming_the_problem(
    benefits: SearchClient, options: dict[str, Any], message: str
):
    with pytest.raises(HttpResponseError) as failed:
        semantic(benefits, "dental", **options)
    assert failed.value.status_code == 400
    assert message in str(failed.value)


def test_configurations_without_a_default_must_be_named(
    server: MockService, ca: CertificateAuthority, index_client: SearchIndexClient
):
    index_client.create_index(semantic_index("nodefault", default=None))
    documents = SearchClient(server.url, "nodefault", AzureKeyCredential(KEY), **client_options(ca))
    documents.upload_documents(BENEFITS)
    with pytest.raises(HttpResponseError, match="semanticConfiguration must be given"):
        semantic(documents, "dental")
    assert semantic(documents, "dental", semantic_configuration_name="main")[0]["id"] == "dental"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"queryType": "neural"}, "'queryType' must be 'simple', 'full' or 'semantic', found 'neural'"),
        ({"semanticConfiguration": 7}, "'semanticConfiguration' must be a string, found 7"),
        ({"captions": "extractive|highlight-maybe"}, "'captions' must be 'none', 'extractive' or"),
        ({"captions": "extractive|bold-true"}, "'captions' must be 'none', 'extractive' or"),
        ({"answers": "extractive|count-3,colour-red"}, "'answers' takes count-<n> and threshold-<x>"),
        ({"answers": "extractive|count-many"}, "answers count must be a number, found 'many'"),
        ({"answers": "extractive|threshold--1"}, "answers threshold must be >= 0, found '-1'"),
        ({"answers": "extractive|count3"}, "'answers': option 'count3' must be <name>-<value>"),
        ({"answers": "generative"}, "'answers' must be 'none' or 'extractive'"),
    ],
    ids=[
        "unknown-query-type",
        "configuration-not-text",
        "highlight-not-a-boolean",
        "unknown-caption-option",
        "unknown-answer-option",
        "count-not-a-number",
        "negative-threshold",
        "option-without-value",
        "unknown-answer-kind",
    ],
)
def test_bad_semantic_parameters_are_400s_naming_the_parameter(
    server: MockService, ca: CertificateAuthority, search: Any, fields: dict[str, Any], message: str
):
    response = requests.post(
        f"{server.url}/indexes/docs/docs/search?api-version=2024-07-01",
        json={"search": "refunds", "queryType": "semantic", **fields},
        headers={"api-key": KEY},
        verify=str(ca.write_bundle()),
        timeout=10,
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]
