"""The ``without_data`` profile: AZURE_SEARCH_SERVICE is unset, so there is no retrieval at all."""

from __future__ import annotations

import pytest
import requests

from harness import App, MockService
from harness.simulators.azure_openai import AzureOpenAISimulator

from .downstreams import CHAT_PATH, QUESTION, SAFETY_PATH, conversation, single_request

pytestmark = pytest.mark.harness_profile("without_data")

GENERAL_ANSWER = "Per diem rates differ per company; I have no policy documents to check."


def test_answers_without_citations_and_never_searches(
    harness_app: App, harness_services: dict[str, MockService], openai_sim: AzureOpenAISimulator
) -> None:
    assert "AZURE_SEARCH_SERVICE" not in harness_app.env  # the profile really removed it (= false)
    openai_sim.answer_next(GENERAL_ANSWER)

    response = requests.post(harness_app.url_for("/api/conversation"), json=conversation(), timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"answer": GENERAL_ANSWER, "citations": []}
    assert harness_services["search"].requests == []
    assert [entry.path for entry in harness_services["openai"].requests] == [
        CHAT_PATH
    ]  # no embeddings either
    assert [call.operation for call in openai_sim.calls] == ["chat"]
    single_request(harness_services["contentsafety"], SAFETY_PATH)  # safety still runs without data

    system, user = openai_sim.last_call.messages
    assert "There are no sources" in system["content"]
    assert "Sources:" not in system["content"]
    assert user == {"role": "user", "content": QUESTION}
