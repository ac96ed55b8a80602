"""Where the sample app's downstream calls go, and small helpers to expect and inspect them.

The constants mirror ``[tool.harness.env]`` in pyproject.toml: the app is configured with exactly these
keys and deployment names, so a request carrying anything else is a bug of the app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_httpserver.httpserver import RequestHandler

from harness.mocks import JournalEntry, MockService

from . import azure_responses

# -- configuration of the app under test (pyproject.toml, [tool.harness.env]) --------------------------

OPENAI_KEY = "test-openai-key"
OPENAI_API_VERSION = "2024-10-21"
CHAT_DEPLOYMENT = "gpt-4o"
EMBEDDING_DEPLOYMENT = "text-embedding-3-small"
SEARCH_KEY = "test-search-key"
SEARCH_INDEX = "docs"
SAFETY_KEY = "test-safety-key"
DOWNSTREAM_TIMEOUT = 2.0

# -- the downstream endpoints ---------------------------------------------------------------------------

CHAT_PATH = f"/openai/deployments/{CHAT_DEPLOYMENT}/chat/completions"
EMBEDDINGS_PATH = f"/openai/deployments/{EMBEDDING_DEPLOYMENT}/embeddings"
SEARCH_PATH = f"/indexes/{SEARCH_INDEX}/docs/search"
SEARCH_API_VERSION = "2024-07-01"
SAFETY_PATH = "/contentsafety/text:analyze"
SAFETY_API_VERSION = "2024-09-01"

# -- test data --------------------------------------------------------------------------------------------

QUESTION = "How much can I spend on meals during a business trip?"
ANSWER = "Meals are reimbursed up to 40 EUR per day [doc1]."
# Exactly representable as float32, so the vector survives the SDK's base64 round trip unchanged.
VECTOR = [0.25, -0.5, 0.125, 0.0625, -1.0, 0.75]
DOCUMENTS = [
    {
        "id": "policy-expenses-3",
        "title": "Expense policy",
        "content": "Meals are reimbursed up to 40 EUR per day; keep the receipts.",
        "url": "https://contoso.example/policies/expenses#meals",
    },
    {
        "id": "policy-travel-1",
        "title": "Travel policy",
        "content": "Book economy class for flights shorter than six hours.",
        "url": "https://contoso.example/policies/travel",
    },
]
CITATIONS = [{"id": doc["id"], "title": doc["title"], "url": doc["url"]} for doc in DOCUMENTS]


def conversation(question: str = QUESTION, **extra: Any) -> dict[str, Any]:
    """The body of ``POST /api/conversation`` with one user message."""
    return {"messages": [{"role": "user", "content": question}], **extra}


# -- expectations -----------------------------------------------------------------------------------------
# Each one also requires the key the real service would require: a request without it is unmatched,
# which fails the test in strict mode. ``oneshot=True`` takes precedence over permanent expectations,
# e.g. over the session's "all clear" content safety baseline.


def _expect(service: MockService, path: str, *, oneshot: bool, **matchers: Any) -> RequestHandler:
    expect = service.expect_oneshot_request if oneshot else service.expect_request
    return expect(path, method="POST", **matchers)


def expect_chat(openai: MockService, *, oneshot: bool = False) -> RequestHandler:
    return _expect(
        openai,
        CHAT_PATH,
        oneshot=oneshot,
        query_string={"api-version": OPENAI_API_VERSION},
        headers={"api-key": OPENAI_KEY},
    )


def expect_embeddings(openai: MockService, *, oneshot: bool = False) -> RequestHandler:
    return _expect(
        openai,
        EMBEDDINGS_PATH,
        oneshot=oneshot,
        query_string={"api-version": OPENAI_API_VERSION},
        headers={"api-key": OPENAI_KEY},
    )


def expect_search(search: MockService, *, oneshot: bool = False) -> RequestHandler:
    return _expect(
        search,
        SEARCH_PATH,
        oneshot=oneshot,
        query_string={"api-version": SEARCH_API_VERSION},
        headers={"api-key": SEARCH_KEY},
    )


def expect_safety(contentsafety: MockService, *, oneshot: bool = False) -> RequestHandler:
    return _expect(
        contentsafety,
        SAFETY_PATH,
        oneshot=oneshot,
        query_string={"api-version": SAFETY_API_VERSION},
        headers={"Ocp-Apim-Subscription-Key": SAFETY_KEY},
    )


def prime_retrieval(
    services: Mapping[str, MockService],
    documents: Sequence[Mapping[str, str]] = DOCUMENTS,
    vector: Sequence[float] = VECTOR,
) -> None:
    """Healthy embeddings and search answers: the retrieval step finds ``documents``."""
    expect_embeddings(services["openai"]).respond_with_json(azure_responses.embeddings(vector))
    expect_search(services["search"]).respond_with_json(azure_responses.search_results(documents))


# -- inspecting the journal -------------------------------------------------------------------------------


def requests_to(service: MockService, path: str) -> list[JournalEntry]:
    return [entry for entry in service.requests if entry.path == path]


def single_request(service: MockService, path: str) -> JournalEntry:
    """The one request ``service`` received on ``path``; fails if there were none or several."""
    entries = requests_to(service, path)
    assert len(entries) == 1, f"expected exactly one request to {service.name} {path}, got: {entries}"
    return entries[0]


def json_body(entry: JournalEntry) -> Any:
    return json.loads(entry.body)


def header(entry: JournalEntry, name: str) -> str | None:
    """A request header (case-insensitive), None when absent."""
    values = [value for key, value in entry.headers if key.lower() == name.lower()]
    return values[0] if values else None
