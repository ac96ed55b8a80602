"""The Azure AI Search simulator at the REST level (requests): envelopes, spellings, malformed
requests, filters, auth, and its options checked at config load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.config import parse_table
from harness.errors import ConfigError
from harness.mocks.server import MockService
from harness.simulators.azure_search import AzureSearchSimulator
from harness.simulators.base import SimulatorError
from tests.support.simulators import serving

VERSION = {"api-version": "2024-07-01"}
HEADERS = {"api-key": "k"}
DOCS = [
    {"id": "a", "title": "red apple", "tags": ["fruit", "red"], "price": 3, "stock": {"count": 0}},
    {"id": "b", "title": "green apple pie", "tags": ["dessert"], "price": 8, "stock": {"count": 5}},
    {"id": "c", "title": "red car", "tags": ["vehicle", "red"], "price": 9000, "stock": {"count": 1}},
]


@pytest.fixture(scope="module")
def server() -> Iterator[MockService]:
    yield from serving("search", AzureSearchSimulator({"indexes": {"items": {"documents": DOCS}}}))


@pytest.fixture
def url(server: MockService) -> Iterator[str]:
    server.begin_test()
    yield server.url
    server.end_test()


def post(url: str, path: str, body: Any, headers: dict[str, str] = HEADERS) -> requests.Response:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(url + path, params=VERSION, data=data, headers=headers, timeout=5)


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["value"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("price gt 5 and price lt 100", ["b"]),
        ("tags/any(t: t eq 'red')", ["a", "c"]),
        ("search.in(id, 'a,c')", ["a", "c"]),
        ("not (title eq 'red car') and stock/count ge 1", ["b"]),
        ("price le 3 or id eq 'c'", ["a", "c"]),
    ],
)
def test_filters(url: str, expression: str, expected: list[str]) -> None:
    assert (
        sorted(ids(post(url, "/indexes/items/docs/search", {"search": "*", "filter": expression})))
        == expected
    )


def test_both_path_spellings_and_get_search(url: str) -> None:
    assert ids(post(url, "/indexes('items')/docs/search.post.search", {"search": "apple", "top": 1})) == ["a"]
    response = requests.get(
        url + "/indexes/items/docs",
        params={**VERSION, "search": "red", "$select": "id", "$count": "true", "$orderby": "price desc"},
        headers=HEADERS,
        timeout=5,
    )
    assert response.json()["@odata.count"] == 2
    assert ids(response) == ["c", "a"]
    assert set(response.json()["value"][0]) == {"@search.score", "id"}
    lookup = requests.get(url + "/indexes/items/docs/b", params=VERSION, headers=HEADERS, timeout=5)
    assert lookup.json()["title"] == "green apple pie"
    count = requests.get(url + "/indexes('items')/docs/$count", params=VERSION, headers=HEADERS, timeout=5)
    assert count.text == "3"


def test_search_mode_all_needs_every_word(url: str) -> None:
    assert ids(post(url, "/indexes/items/docs/search", {"search": "red apple", "searchMode": "all"})) == ["a"]
    assert len(ids(post(url, "/indexes/items/docs/search", {"search": "red apple"}))) == 3


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "JSON object"),
        ({"top": -1}, "'top'"),
        ({"filter": "price gt"}, "$filter"),
        ({"filter": "price add 1 eq 2"}, "$filter"),
        ({"vectorQueries": [{"kind": "imageUrl", "url": "https://x", "fields": "v"}]}, "not simulated"),
        ({"vectorQueries": [{"kind": "text", "text": "x", "fields": "v"}]}, "Unknown field 'v'"),
        ({"vectorQueries": [{"kind": "vector", "vector": "nope", "fields": "v"}]}, "vector"),
        ({"orderby": "price sideways"}, "orderby"),
    ],
)
def test_malformed_search_is_a_400_envelope(url: str, body: Any, fragment: str) -> None:
    response = post(url, "/indexes/items/docs/search", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message"}
    assert fragment in error["message"]


def test_auth_and_api_version(url: str) -> None:
    missing = post(url, "/indexes/items/docs/search", {}, headers={})
    assert missing.status_code == 401
    assert "api-key" in missing.json()["error"]["message"]
    bearer = post(url, "/indexes/items/docs/search", {}, headers={"Authorization": "Bearer token"})
    assert bearer.status_code == 200
    no_version = requests.post(url + "/indexes/items/docs/search", json={}, headers=HEADERS, timeout=5)
    assert no_version.status_code == 400
    assert "api-version" in no_version.json()["error"]["message"]


def test_index_actions_report_per_key_status(url: str, server: MockService) -> None:
    actions = [
        {"@search.action": "upload", "id": "d", "title": "new"},
        {"@search.action": "merge", "id": "zz", "title": "missing"},
        {"@search.action": "delete", "id": "a"},
        {"@search.action": "upload", "id": "bad key!", "title": "x"},
    ]
    response = post(url, "/indexes/items/docs/index", {"value": actions})
    assert response.status_code == 207
    statuses = [(item["key"], item["status"], item["statusCode"]) for item in response.json()["value"]]
    assert statuses == [("d", True, 201), ("zz", False, 404), ("a", True, 200), ("bad key!", False, 400)]
    missing_key = post(url, "/indexes/items/docs/search.index", {"value": [{"title": "no key"}]})
    assert missing_key.status_code == 400
    assert "key" in missing_key.json()["error"]["message"]


def test_index_create_conflict_and_put_update(url: str) -> None:
    definition = {"name": "books", "fields": [{"name": "isbn", "type": "Edm.String", "key": True}]}
    assert post(url, "/indexes", definition).status_code == 201
    conflict = post(url, "/indexes", definition)
    assert conflict.status_code == 409
    put = requests.put(url + "/indexes('books')", params=VERSION, json=definition, headers=HEADERS, timeout=5)
    assert put.status_code == 200
    no_key = {"name": "books2", "fields": [{"name": "isbn", "type": "Edm.String"}]}
    assert post(url, "/indexes", no_key).status_code == 400
    names = requests.get(url + "/indexes", params={**VERSION, "$select": "name"}, headers=HEADERS, timeout=5)
    assert names.json() == {"value": [{"name": "items"}, {"name": "books"}]}


def test_unknown_route_is_unmatched_with_the_service_404(url: str, server: MockService) -> None:
    response = requests.get(url + "/indexers", params=VERSION, headers=HEADERS, timeout=5)
    assert response.status_code == 404
    assert "error" in response.json()
    assert [entry.matched for entry in server.unmatched_requests()] == [False]
    server.clear_assertions()  # the strict service would otherwise fail this test at its end


def test_auto_create_and_key_list_option() -> None:
    simulator = AzureSearchSimulator({"auto_create": True, "api_key": ["one", "two"]})
    service = MockService("search", simulator=simulator)
    service.start()
    try:
        headers = {"api-key": "two"}
        upload = post(service.url, "/indexes/new/docs/index", {"value": [{"id": "1", "t": "x"}]}, headers)
        assert upload.status_code == 200
        assert simulator.documents("new") == [{"id": "1", "t": "x"}]
        assert post(service.url, "/indexes/new/docs/search", {}, {"api-key": "three"}).status_code == 403
    finally:
        service.stop()


def test_test_api_mistakes_raise_in_the_test() -> None:
    simulator = AzureSearchSimulator()
    with pytest.raises(SimulatorError, match="times"):
        simulator.fail_next(times=0)
    with pytest.raises(SimulatorError, match="operation"):
        simulator.fail_next(operation="serach")
    with pytest.raises(SimulatorError, match="status"):
        simulator.fail_next(200)
    with pytest.raises(SimulatorError, match="key"):
        simulator.load_documents("x", [{"title": "no id"}])


# -- options at config load ----------------------------------------------------------------------------


def problems(options: dict[str, Any], root: Path) -> list[str]:
    table = {"command": ["app"], "services": {"search": {"simulator": "azure_search", "options": options}}}
    with pytest.raises(ConfigError) as info:
        parse_table(table, root / "pyproject.toml")
    return info.value.problems


def test_options_are_checked_at_load(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    (tmp_path / "nokey.json").write_text('[{"title": "x"}]', encoding="utf-8")
    found = problems(
        {
            "indexs": {},
            "api_key": 5,
            "auto_create": "yes",
            "indexes": {
                "a": {"documents": "missing.json"},
                "b": {"documents": "broken.json"},
                "c": {"documents": "nokey.json"},
                "d": {"kee": "id"},
                "Bad_Name": {},
            },
        },
        tmp_path,
    )
    where = "tool.harness.services.search.options"
    expected = [
        (f"{where}.indexs", 'did you mean "indexes"'),
        (f"{where}.api_key", "non-empty string"),
        (f"{where}.auto_create", "true or false"),
        (f"{where}.indexes.a.documents", "does not exist"),
        (f"{where}.indexes.b.documents", "invalid JSON"),
        (f"{where}.indexes.c.documents", "key field 'id'"),
        (f"{where}.indexes.d.kee", 'did you mean "key"'),
        (f"{where}.indexes.Bad_Name", "invalid index name"),
    ]
    assert len(found) == len(expected), found
    for key, fragment in expected:
        assert any(problem.startswith(key + ":") and fragment in problem for problem in found), (key, found)


def test_good_options_load(tmp_path: Path) -> None:
    (tmp_path / "docs.json").write_text(json.dumps({"value": DOCS}), encoding="utf-8")
    table = {
        "command": ["app"],
        "services": {
            "search": {
                "simulator": "azure_search",
                "options": {"indexes": {"items": {"documents": "docs.json"}}},
            }
        },
    }
    config = parse_table(table, tmp_path / "pyproject.toml")
    simulator = AzureSearchSimulator(config.services["search"].options, root=tmp_path)
    assert [doc["id"] for doc in simulator.documents("items")] == ["a", "b", "c"]


def test_what_the_app_did_before_the_first_test_is_the_baseline() -> None:
    simulator = AzureSearchSimulator()
    service = MockService("search", simulator=simulator)
    service.start()
    try:
        definition = {"name": "startup", "fields": [{"name": "id", "type": "Edm.String", "key": True}]}
        assert post(service.url, "/indexes", definition).status_code == 201  # the app, at start-up
        service.begin_test()
        post(service.url, "/indexes/startup/docs/index", {"value": [{"id": "during-test"}]})
        post(service.url, "/indexes", {**definition, "name": "scratch"})
        service.end_test()
        assert simulator.index_names() == ["startup"]
        assert simulator.documents("startup") == []
    finally:
        service.stop()


def test_concurrent_uploads_all_land(url: str) -> None:
    def upload(worker: int) -> int:
        batch = [{"id": f"w{worker}-{n}", "title": "concurrent"} for n in range(10)]
        return post(url, "/indexes/items/docs/index", {"value": batch}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(upload, range(8)))
    assert statuses == [200] * 8
    count = requests.get(url + "/indexes/items/docs/$count", params=VERSION, headers=HEADERS, timeout=5)
    assert count.text == str(len(DOCS) + 80)


def test_a_created_index_reads_back_as_the_service_fills_it(url: str) -> None:
    """The service stores every field attribute and top-level part; what was sent is kept."""
    minimal = {
        "name": "filled",
        "fields": [
            {"name": "id", "type": "Edm.String", "key": True},
            {"name": "count", "type": "Edm.Int32", "filterable": False},
            {"name": "tags", "type": "Collection(Edm.String)"},
            {
                "name": "embedding",
                "type": "Collection(Edm.Single)",
                "dimensions": 3,
                "vectorSearchProfile": "p",
            },
            {
                "name": "address",
                "type": "Edm.ComplexType",
                "fields": [{"name": "city", "type": "Edm.String"}],
            },
        ],
    }
    created = requests.put(
        f"{url}/indexes('filled')", params=VERSION, json=minimal, headers=HEADERS, timeout=5
    )
    assert created.status_code == 201
    definition = requests.get(f"{url}/indexes/filled", params=VERSION, headers=HEADERS, timeout=5).json()
    assert definition == created.json()
    fields = {entry["name"]: entry for entry in definition["fields"]}
    attributes = ("key", "searchable", "filterable", "sortable", "facetable", "retrievable")
    assert {
        name: tuple(fields[name][a] for a in attributes) for name in ("id", "count", "tags", "embedding")
    } == {
        "id": (True, True, True, True, True, True),
        "count": (False, False, False, True, True, True),  # filterable as sent
        "tags": (False, True, True, False, True, True),
        "embedding": (False, True, False, False, False, True),
    }
    assert fields["embedding"]["dimensions"] == 3
    assert fields["count"]["analyzer"] is None
    assert fields["tags"]["synonymMaps"] == []
    assert fields["address"]["fields"][0]["searchable"] is True
    assert "searchable" not in fields["address"]  # a complex field has name, type and fields only
    assert definition["scoringProfiles"] == []
    assert definition["suggesters"] == []
    assert definition["similarity"]["@odata.type"] == "#Microsoft.Azure.Search.BM25Similarity"
    assert definition["vectorSearch"] is None
