"""The ``without_data`` profile: AZURE_SEARCH_SERVICE is unset, so there is no retrieval at all."""

from __future__ import annotations

import pytest
import requests

from harness import App, MockService

from . import azure_responses
from .downstreams import (
    CHAT_PATH,
    EMBEDDINGS_PATH,
    QUESTION,
    SAFETY_PATH,
    conversation,
    expect_chat,
    json_body,
    single_request,
)

pytestmark = [
    pytest.mark.harness_profile("without_data"),
    pytest.mark.usefixtures("content_safety_all_clear"),
]

GENERAL_ANSWER = "Per diem rates differ per company; I have no policy documents to check."


def test_answers_without_citations_and_never_searches(app: App, services: dict[str, MockService]) -> None:
    assert app.env.get("AZURE_SEARCH_SERVICE", "") == ""  # the profile really removed it
    expect_chat(services["openai"]).respond_with_json(azure_responses.chat_completion(GENERAL_ANSWER))

    response = requests.post(app.url_for("/api/conversation"), json=conversation(), timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"answer": GENERAL_ANSWER, "citations": []}
    assert services["search"].requests == []
    assert [entry.path for entry in services["openai"].requests] == [CHAT_PATH]
    assert not any(entry.path == EMBEDDINGS_PATH for entry in services["openai"].requests)
    single_request(services["contentsafety"], SAFETY_PATH)  # safety still runs without data

    system, user = json_body(single_request(services["openai"], CHAT_PATH))["messages"]
    assert "There are no sources" in system["content"]
    assert "Sources:" not in system["content"]
    assert user == {"role": "user", "content": QUESTION}
