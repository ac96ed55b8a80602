"""Every way a downstream can fail, and how the app reports it: always JSON, always naming the service."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from harness import App, MockService, faults

from . import azure_responses
from .downstreams import (
    ANSWER,
    CHAT_PATH,
    DOWNSTREAM_TIMEOUT,
    EMBEDDINGS_PATH,
    SAFETY_PATH,
    SEARCH_PATH,
    conversation,
    expect_chat,
    expect_embeddings,
    expect_safety,
    expect_search,
    prime_retrieval,
    requests_to,
    single_request,
)

pytestmark = pytest.mark.usefixtures("content_safety_all_clear")

Services = dict[str, MockService]


def post_conversation(app: App, body: Any = None, **kwargs: Any) -> requests.Response:
    if body is None:
        body = conversation()
    return requests.post(app.url_for("/api/conversation"), json=body, timeout=10, **kwargs)


def healthy_downstreams(services: Services) -> None:
    """Everything answers well (content safety comes from the session baseline)."""
    prime_retrieval(services)
    expect_chat(services["openai"]).respond_with_json(azure_responses.chat_completion(ANSWER))


@dataclass(frozen=True)
class Failure:
    """One downstream answering an error status, and where the app must stop."""

    expect: Callable[..., Any]  # one of the downstreams.expect_* functions
    service: str  # the mock that fails
    path: str
    status: int
    body: dict[str, Any]
    reported_service: str  # the "service" of the app's error body
    never_called: tuple[tuple[str, str], ...]  # (service, path) the app must not reach after the failure


FAILURES = {
    "contentsafety-500": Failure(
        expect_safety,
        "contentsafety",
        SAFETY_PATH,
        500,
        azure_responses.content_safety_error("InternalServerError", "Content Safety is having a bad day"),
        "contentsafety",
        (("openai", EMBEDDINGS_PATH), ("search", SEARCH_PATH), ("openai", CHAT_PATH)),
    ),
    "embeddings-500": Failure(
        expect_embeddings,
        "openai",
        EMBEDDINGS_PATH,
        500,
        azure_responses.openai_error("InternalServerError", "The embedding server had an error"),
        "openai",
        (("search", SEARCH_PATH), ("openai", CHAT_PATH)),
    ),
    "search-503": Failure(
        expect_search,
        "search",
        SEARCH_PATH,
        503,
        azure_responses.search_error("ServiceUnavailable", "The index is being rebuilt, retry later"),
        "search",
        (("openai", CHAT_PATH),),
    ),
    "chat-500": Failure(
        expect_chat,
        "openai",
        CHAT_PATH,
        500,
        azure_responses.openai_error("InternalServerError", "The chat server had an error"),
        "openai",
        (),
    ),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_downstream_error_status_is_a_502_naming_the_service(
    app: App, services: Services, failure: Failure
) -> None:
    healthy_downstreams(services)
    # A oneshot expectation is matched before the permanent healthy ones: only this call fails.
    failure.expect(services[failure.service], oneshot=True).respond_with_json(
        failure.body, status=failure.status
    )

    response = post_conversation(app)

    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "downstream_error"
    assert error["service"] == failure.reported_service
    assert error["status"] == failure.status
    assert failure.body["error"]["message"] in error["message"]
    single_request(services[failure.service], failure.path)  # called once: no retry
    for service, path in failure.never_called:
        assert requests_to(services[service], path) == [], f"{service} {path} called after the failure"


def test_chat_throttled_is_a_503_without_retry(app: App, services: Services) -> None:
    prime_retrieval(services)
    message = (
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have "
        "exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."
    )
    expect_chat(services["openai"]).respond_with_json(
        azure_responses.openai_error("429", message),
        status=429,
        headers={"Retry-After": "6", "x-ratelimit-remaining-requests": "0"},
    )

    started = time.monotonic()
    response = post_conversation(app)
    elapsed = time.monotonic() - started

    assert response.status_code == 503, response.text
    assert response.json() == {
        "error": {
            "code": "downstream_throttled",
            "service": "openai",
            "message": f"openai is throttling requests (HTTP 429): {message}",
        }
    }
    # AZURE_OPENAI_MAX_RETRIES=0: the SDK neither retries nor sleeps for Retry-After.
    openai = services["openai"]
    openai.assert_request_made(openai.create_matcher(CHAT_PATH, method="POST"), count=1)
    assert elapsed < 3


def test_chat_slower_than_the_timeout_is_a_504(app: App, services: Services) -> None:
    prime_retrieval(services)
    # Never answers; harness releases the connection when the test ends.
    expect_chat(services["openai"]).respond_with_fault(faults.hang())

    started = time.monotonic()
    response = post_conversation(app)
    elapsed = time.monotonic() - started

    assert response.status_code == 504, response.text
    assert response.json()["error"] == {
        "code": "downstream_timeout",
        "service": "openai",
        "message": "Azure OpenAI did not answer within DOWNSTREAM_TIMEOUT",
    }
    assert DOWNSTREAM_TIMEOUT - 0.1 <= elapsed < DOWNSTREAM_TIMEOUT + 1.5
    single_request(services["openai"], CHAT_PATH)  # no retry after the timeout


@pytest.mark.parametrize(("category", "severity"), [("Violence", 4), ("SelfHarm", 6)])
def test_flagged_question_is_refused_before_search_and_model(
    app: App, services: Services, category: str, severity: int
) -> None:
    analysis = azure_responses.content_safety(**{category: severity})
    expect_safety(services["contentsafety"], oneshot=True).respond_with_json(analysis)

    response = post_conversation(app)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "content_filtered"
    assert error["category"] == category
    assert f"{category} severity {severity}" in error["message"]
    single_request(services["contentsafety"], SAFETY_PATH)
    assert services["search"].requests == []
    assert services["openai"].requests == []


def test_severity_below_the_threshold_passes(app: App, services: Services) -> None:
    healthy_downstreams(services)
    analysis = azure_responses.content_safety(Hate=2, Violence=3)
    expect_safety(services["contentsafety"], oneshot=True).respond_with_json(analysis)

    response = post_conversation(app)

    assert response.status_code == 200, response.text
    assert response.json()["answer"] == ANSWER
    single_request(services["openai"], CHAT_PATH)


BAD_REQUESTS = {
    "not-json": ("this is not JSON", "the request body must be a JSON object"),
    "json-array": ([{"role": "user", "content": "hi"}], "the request body must be a JSON object"),
    "no-messages": ({"stream": False}, "'messages' must be a non-empty list"),
    "empty-messages": ({"messages": []}, "'messages' must be a non-empty list"),
    "unknown-role": ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0] must be an object"),
    "content-not-string": ({"messages": [{"role": "user", "content": 42}]}, "messages[0] must be an object"),
    "no-user-message": (
        {"messages": [{"role": "system", "content": "be brief"}]},
        "'messages' must contain at least one message with role 'user'",
    ),
    "stream-not-bool": ({**conversation(), "stream": "yes"}, "'stream' must be a boolean"),
}


@pytest.mark.parametrize(("body", "message"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_request_is_a_400_without_any_downstream_call(
    app: App, services: Services, body: Any, message: str
) -> None:
    if isinstance(body, str):
        response = requests.post(
            app.url_for("/api/conversation"),
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
    else:
        response = post_conversation(app, body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith(message)
    for name, service in services.items():
        assert service.requests == [], f"{name} was called for a bad request"
