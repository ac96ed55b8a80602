"""Suggest and autocomplete in the Azure AI Search simulator, driven by the index's suggesters,
through the official SDK (``suggest``, ``autocomplete``) and the GET forms."""

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
    SearchSuggester,
    SimpleField,
)

from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.azure_search import AzureSearchSimulator

from . import test_sim_search as search_tests
from .test_sim_search import KEY, client_options

# The search tests' fixtures: a CA, the TLS service with its "docs" index, the per-test bracket.
ca = search_tests.ca
server = search_tests.server
search = search_tests.search

ARTICLES = [
    {"id": "1", "title": "Pricing of the basic plan", "category": "billing", "year": 2023},
    {"id": "2", "title": "Prices in Washington state", "category": "billing", "year": 2021},
    {"id": "3", "title": "Washington medical plans", "category": "health", "year": 2024},
    {"id": "4", "title": "Password reset", "category": "account", "year": 2022},
]


@pytest.fixture
def articles(server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator) -> SearchClient:
    """An index with a suggester over title and category, made through the SDK as an app would."""
    indexes = SearchIndexClient(server.url, AzureKeyCredential(KEY), **client_options(ca))
    fields = [
        SimpleField(name="id", type="Edm.String", key=True),
        SearchableField(name="title"),
        SearchableField(name="category", filterable=True),
        SimpleField(name="year", type="Edm.Int32", filterable=True, sortable=True),
    ]
    suggester = SearchSuggester(name="sg", source_fields=["title", "category"])
    indexes.create_index(SearchIndex(name="articles", fields=fields, suggesters=[suggester]))
    client = SearchClient(server.url, "articles", AzureKeyCredential(KEY), **client_options(ca))
    client.upload_documents(ARTICLES)
    return client


def test_suggest_matches_word_beginnings_anywhere_in_the_source_fields(articles: SearchClient):
    results = articles.suggest("pri", "sg")
    assert [(result.text, result["id"]) for result in results] == [
        ("Pricing of the basic plan", "1"),
        ("Prices in Washington state", "2"),
    ]


def test_suggest_takes_earlier_words_filter_select_order_top_and_highlights(articles: SearchClient):
    results = articles.suggest(
        "washington pla",
        "sg",
        select=["id", "year"],
        highlight_pre_tag="<b>",
        highlight_post_tag="</b>",
    )
    assert [(r.text, r["year"]) for r in results] == [("<b>Washington</b> medical <b>plans</b>", 2024)]
    newest = articles.suggest("p", "sg", order_by=["year desc"], filter="category eq 'billing'", top=1)
    assert [result["id"] for result in newest] == ["1"]


def test_autocomplete_completes_the_last_term_most_documents_first(articles: SearchClient):
    assert [(i.text, i.query_plus_text) for i in articles.autocomplete("pr", "sg")] == [
        ("prices", "prices"),
        ("pricing", "pricing"),
    ]
    # Earlier words narrow the documents; the last one is completed from every word of theirs.
    assert [i.query_plus_text for i in articles.autocomplete("basic p", "sg")] == [
        "basic plan",
        "basic pricing",
    ]
    assert [i.text for i in articles.autocomplete("wash", "sg", mode="twoTerms")] == [
        "washington medical",
        "washington state",
    ]
    with_context = articles.autocomplete("washington med", "sg", mode="oneTermWithContext")
    assert [(i.text, i.query_plus_text) for i in with_context] == [
        ("washington medical", "washington medical")
    ]


def test_the_get_forms(server: MockService, ca: CertificateAuthority, articles: SearchClient):
    def get(action: str, **params: Any) -> Any:
        response = requests.get(
            f"{server.url}/indexes/articles/docs/{action}",
            params={"api-version": "2024-07-01", "suggesterName": "sg", **params},
            headers={"api-key": KEY},
            verify=str(ca.write_bundle()),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["value"]

    assert [hit["@search.text"] for hit in get("search.suggest", search="pass")] == ["Password reset"]
    assert get("search.autocomplete", search="heal") == [{"text": "health", "queryPlusText": "health"}]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.suggest("pri", "nope"), "The specified suggester name 'nope' does not exist"),
        (lambda c: c.suggest("x" * 101, "sg"), "'search' must be a string of 1 to 100 characters"),
        (lambda c: c.autocomplete("pri", "sg", search_fields=["year"]), "are not source fields of suggester"),
        (lambda c: c.suggest("pri", "sg", top=101), "'top' must be a whole number from 1 to 100"),
    ],
)
def test_the_service_s_400s(articles: SearchClient, call: Any, message: str):
    with pytest.raises(HttpResponseError, match=message) as raised:
        call(articles)
    assert raised.value.status_code == 400
