"""Faceted navigation in the Azure AI Search simulator, through the official SDK (``facets=`` and
``get_facets()``) and the GET form (``facet=`` repeated)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.search.documents import SearchClient

from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.azure_search import AzureSearchSimulator
from tests.support.simulators import bracketed, serving

from . import test_sim_search as search_tests
from .test_sim_search import KEY, client_options

ca = search_tests.ca

HOTELS = [
    {
        "id": "1",
        "name": "Harbour view",
        "category": "Boutique",
        "tags": ["pool", "wifi"],
        "rating": 4.5,
        "price": 120,
        "vector": [1.0, 0.0],
    },
    {
        "id": "2",
        "name": "City centre",
        "category": "Budget",
        "tags": ["wifi"],
        "rating": 3.2,
        "price": 60,
        "vector": [0.0, 1.0],
    },
    {
        "id": "3",
        "name": "Old town",
        "category": "Boutique",
        "tags": ["wifi", "bar", "wifi"],
        "rating": 4.9,
        "price": 210,
        "vector": [1.0, 1.0],
    },
    {
        "id": "4",
        "name": "Airport inn",
        "category": "Budget",
        "tags": [],
        "rating": 2.7,
        "price": 45,
        "vector": [0.5, 0.5],
    },
    {
        "id": "5",
        "name": "Palace",
        "category": "Luxury",
        "tags": ["pool", "spa"],
        "rating": 4.8,
        "price": 480,
        "vector": [0.2, 0.9],
    },
]


@pytest.fixture(scope="module")
def server(ca: CertificateAuthority) -> Iterator[MockService]:
    simulator = AzureSearchSimulator(
        {"api_key": KEY, "indexes": {"hotels": {"key": "id", "documents": HOTELS}}}
    )
    yield from serving("search", simulator, ssl_context=ca.server_context())


@pytest.fixture
def search(server: MockService) -> Iterator[AzureSearchSimulator]:
    yield from bracketed(server, AzureSearchSimulator)


@pytest.fixture
def client(server: MockService, ca: CertificateAuthority, search: AzureSearchSimulator) -> SearchClient:
    return SearchClient(server.url, "hotels", AzureKeyCredential(KEY), **client_options(ca))


def test_value_facets_count_documents_most_first(client: SearchClient):
    results = client.search("*", facets=["category", "tags,count:2"])
    facets = results.get_facets()
    assert facets is not None
    assert facets["category"] == [
        {"value": "Boutique", "count": 2},
        {"value": "Budget", "count": 2},
        {"value": "Luxury", "count": 1},
    ]
    # Each element of a collection counts, once per document; count:2 keeps the first two.
    assert facets["tags"] == [{"value": "wifi", "count": 3}, {"value": "pool", "count": 2}]


def test_facets_count_only_what_the_search_matched(client: SearchClient):
    facets = client.search("*", filter="price lt 200", facets=["category,sort:value"]).get_facets()
    assert facets == {"category": [{"value": "Boutique", "count": 1}, {"value": "Budget", "count": 2}]}


def test_interval_and_range_facets(client: SearchClient):
    facets = client.search("*", facets=["rating,interval:1", "price,values:50|100|300"]).get_facets()
    assert facets["rating"] == [
        {"value": 2, "count": 1},
        {"value": 3, "count": 1},
        {"value": 4, "count": 3},
    ]
    assert facets["price"] == [
        {"to": 50, "count": 1},
        {"from": 50, "to": 100, "count": 1},
        {"from": 100, "to": 300, "count": 2},
        {"from": 300, "count": 1},
    ]


def test_the_get_form_takes_repeated_facet_parameters(server: MockService, ca: CertificateAuthority, search):
    response = requests.get(
        f"{server.url}/indexes/hotels/docs",
        params=[
            ("api-version", "2024-07-01"),
            ("search", "*"),
            ("facet", "category,count:1"),
            ("facet", "tags,sort:-value"),
        ],
        headers={"api-key": KEY},
        verify=str(ca.write_bundle()),
        timeout=10,
    )
    facets = response.json()["@search.facets"]
    assert facets["category"] == [{"value": "Boutique", "count": 2}]
    assert [entry["value"] for entry in facets["tags"]] == ["wifi", "spa", "pool", "bar"]


@pytest.mark.parametrize(
    ("facet", "message"),
    [
        ("vector", "the field 'vector' is not facetable"),
        ("stars", "the field 'stars' does not exist"),
        ("category,size:3", "'size:3' is not one of count"),
        ("rating,interval:day", "'day' is not a number (date intervals and ranges are not simulated)"),
        ("category,sort:random", "sort must be one of"),
    ],
)
def test_a_bad_facet_is_the_service_s_400(client: SearchClient, facet: str, message: str):
    with pytest.raises(HttpResponseError, match=re.escape(message)) as raised:
        list(client.search("*", facets=[facet]))
    assert raised.value.status_code == 400
