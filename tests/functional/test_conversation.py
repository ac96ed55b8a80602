"""The conversation endpoint when every downstream is healthy: answers, citations, and what was sent.

Nothing here primes the happy path: the simulators answer with the default chat answer, the documents
of the configured "docs" index, and an all-clear content analysis.
"""

from __future__ import annotations

import json
import math

import requests

from harness import App, MockService
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_search import AzureSearchSimulator
from harness.simulators.content_safety import ContentSafetySimulator

from .downstreams import (
    ANSWER,
    CHAT_DEPLOYMENT,
    CHAT_PATH,
    CITATIONS,
    DOCUMENTS,
    EMBEDDING_DIMENSIONS,
    EMBEDDINGS_PATH,
    OPENAI_KEY,
    QUESTION,
    SAFETY_KEY,
    SAFETY_PATH,
    SEARCH_KEY,
    SEARCH_PATH,
    conversation,
    header,
    json_body,
    parse_sse,
    single_request,
)

Services = dict[str, MockService]

# Exactly representable as float32, so the vector survives the SDK's base64 round trip unchanged.
VECTOR = [0.25, -0.5, 0.125, 0.0625, -1.0, 0.75, 0.5, -0.25] * 2
assert len(VECTOR) == EMBEDDING_DIMENSIONS


def test_answer_cites_the_documents_search_found(harness_app: App, harness_services: Services) -> None:
    response = requests.post(harness_app.url_for("/api/conversation"), json=conversation(), timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"answer": ANSWER, "citations": CITATIONS}

    safety = single_request(harness_services["contentsafety"], SAFETY_PATH)
    assert header(safety, "Ocp-Apim-Subscription-Key") == SAFETY_KEY
    assert json_body(safety)["text"] == QUESTION

    embedding = single_request(harness_services["openai"], EMBEDDINGS_PATH)
    assert header(embedding, "api-key") == OPENAI_KEY
    assert json_body(embedding)["input"] == QUESTION

    search = single_request(harness_services["search"], SEARCH_PATH)
    assert header(search, "api-key") == SEARCH_KEY
    search_body = json_body(search)
    assert search_body["search"] == QUESTION
    vector = search_body["vectorQueries"][0]["vector"]  # the embedding, decoded from base64
    assert len(vector) == EMBEDDING_DIMENSIONS
    assert math.isclose(math.hypot(*vector), 1.0, rel_tol=1e-5)  # the simulator's vectors are unit length

    chat = single_request(harness_services["openai"], CHAT_PATH)
    assert header(chat, "api-key") == OPENAI_KEY
    chat_body = json_body(chat)
    assert chat_body["model"] == CHAT_DEPLOYMENT
    assert chat_body.get("stream") in (None, False)
    system, *rest = chat_body["messages"]
    assert system["role"] == "system"
    assert f"[doc1] {DOCUMENTS[0]['title']}: {DOCUMENTS[0]['content']}" in system["content"]
    assert f"[doc2] {DOCUMENTS[1]['title']}: {DOCUMENTS[1]['content']}" in system["content"]
    assert rest == [{"role": "user", "content": QUESTION}]

    # Safety first, then retrieval, then the model: each call starts after the previous one.
    assert safety.started <= embedding.started <= search.started <= chat.started


def test_requests_match_what_a_user_would_assert(
    harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
) -> None:
    """The same checks written with pytest-httpserver's own matchers: exact bodies and call counts."""
    openai, search, safety = (
        harness_services["openai"],
        harness_services["search"],
        harness_services["contentsafety"],
    )
    openai_sim.set_embedding(QUESTION, VECTOR)  # so the exact vector search must receive is known
    earlier_turns = [
        {"role": "user", "content": "Hi, I travel to Lyon next week."},
        # Clients echo ids and citations back; the app must forward role and content only.
        {"role": "assistant", "content": "Have a good trip!", "id": "msg-1", "citations": []},
    ]
    body = {"messages": [*earlier_turns, {"role": "user", "content": QUESTION}]}

    response = requests.post(harness_app.url_for("/api/conversation"), json=body, timeout=10)

    assert response.status_code == 200, response.text
    safety.assert_request_made(
        safety.create_matcher(
            SAFETY_PATH,
            method="POST",
            json={
                "text": QUESTION,  # the last user message only
                "categories": ["Hate", "SelfHarm", "Sexual", "Violence"],
                "outputType": "FourSeverityLevels",
            },
        )
    )
    search.assert_request_made(
        search.create_matcher(
            SEARCH_PATH,
            method="POST",
            json={
                "search": QUESTION,
                "top": 3,
                "select": "id,title,content,url",
                "vectorQueries": [{"kind": "vector", "vector": VECTOR, "fields": "contentVector", "k": 3}],
            },
        )
    )
    openai.assert_request_made(openai.create_matcher(EMBEDDINGS_PATH, method="POST"), count=1)
    openai.assert_request_made(openai.create_matcher(CHAT_PATH, method="POST"), count=1)
    forwarded = json_body(single_request(openai, CHAT_PATH))["messages"][1:]
    assert forwarded == [
        {"role": "user", "content": "Hi, I travel to Lyon next week."},
        {"role": "assistant", "content": "Have a good trip!"},
        {"role": "user", "content": QUESTION},
    ]


def test_search_without_results_still_answers(
    harness_app: App, openai_sim: AzureOpenAISimulator, search_sim: AzureSearchSimulator
) -> None:
    search_sim.answer_next([])
    openai_sim.answer_next("I don't know.")

    response = requests.post(harness_app.url_for("/api/conversation"), json=conversation(), timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"answer": "I don't know.", "citations": []}
    system = openai_sim.last_call.messages[0]
    assert system["content"].endswith("Sources:\n(no documents were found)")


def test_streamed_answer(harness_app: App, openai_sim: AzureOpenAISimulator) -> None:
    response = requests.post(
        harness_app.url_for("/api/conversation"), json=conversation(stream=True), timeout=10
    )

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    events = parse_sse(response.text)
    assert events[0].data == {"type": "citations", "citations": CITATIONS}
    deltas = events[1:-1]
    # One delta per token the model streamed (the simulator streams one chunk per completion token).
    assert len(deltas) == openai_sim.last_call.completion_tokens > 1
    assert [event.data["type"] for event in deltas] == ["delta"] * len(deltas)
    assert "".join(event.data["content"] for event in deltas) == ANSWER
    assert events[-1].data == {"type": "done"}
    assert all(event.event is None for event in events)  # only errors are named events

    chat = openai_sim.last_call
    assert chat.stream is True
    assert chat.messages[-1] == {"role": "user", "content": QUESTION}


def test_tool_call_the_app_never_offered_is_answered_empty(
    harness_app: App, openai_sim: AzureOpenAISimulator
) -> None:
    """The app offers no tools; a model asking for one anyway must not crash it (it has no text)."""
    openai_sim.call_tool_next("lookup_policy", {"topic": "meals"})

    response = requests.post(harness_app.url_for("/api/conversation"), json=conversation(), timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"answer": "", "citations": CITATIONS}
    chat = openai_sim.last_call
    assert "tools" not in chat.body
    assert [(call.name, json.loads(call.arguments)) for call in chat.tool_calls] == [
        ("lookup_policy", {"topic": "meals"})
    ]
    assert openai_sim.pending == []


def test_app_log_has_a_line_per_request_and_per_downstream_call(
    harness_app: App, harness_services: Services, safety_sim: ContentSafetySimulator
) -> None:
    safety_sim.answer_next(Hate=6)
    log_size_before = harness_app.log_path.stat().st_size

    response = requests.post(
        harness_app.url_for("/api/conversation?trace=log-check-7f3a"), json=conversation(), timeout=10
    )

    assert response.status_code == 400, response.text
    with harness_app.log_path.open("rb") as log:
        log.seek(log_size_before)
        lines = log.read().decode("utf-8").splitlines()
    safety_url = f"{harness_services['contentsafety'].url}{SAFETY_PATH}?api-version=2024-09-01"
    assert safety_url.startswith("https://")  # the simulators are served over TLS
    assert any(f"downstream contentsafety POST {safety_url} -> 200" in line for line in lines), lines
    request_lines = [line for line in lines if "POST /api/conversation?trace=log-check-7f3a -> 400" in line]
    assert len(request_lines) == 1, lines
    assert "content_filtered" in request_lines[0]
