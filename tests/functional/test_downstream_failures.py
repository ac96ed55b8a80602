"""Every way a downstream can fail, and how the app reports it: always JSON, always naming the service.

Each test primes only the failure it is about on the simulator; every other call gets the simulators'
healthy baseline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from harness import App, MockService, faults
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.content_safety import ContentSafetySimulator

from .downstreams import (
    ANSWER,
    CHAT_DEPLOYMENT,
    CHAT_PATH,
    EMBEDDINGS_PATH,
    SAFETY_PATH,
    SEARCH_PATH,
    SHORT_TIMEOUT,
    conversation,
    requests_to,
    single_request,
)

Services = dict[str, MockService]


def post_conversation(app: App, body: Any = None, **kwargs: Any) -> requests.Response:
    if body is None:
        body = conversation()
    return requests.post(app.url_for("/api/conversation"), json=body, timeout=10, **kwargs)


@dataclass(frozen=True)
class Failure:
    """One downstream answering an error status, and where the app must stop."""

    prime: Callable[[Services], None]  # makes the next such call fail on the simulator
    service: str  # the simulator that fails
    path: str
    status: int
    message: str  # what the failure says; the app must pass it on
    never_called: tuple[tuple[str, str], ...]  # (service, path) the app must not reach after the failure


def _sim(services: Services, name: str) -> Any:
    return services[name].simulator


FAILURES = {
    "contentsafety-500": Failure(
        lambda s: _sim(s, "contentsafety").fail_next(
            500, "InternalServerError", "Content Safety is having a bad day"
        ),
        "contentsafety",
        SAFETY_PATH,
        500,
        "Content Safety is having a bad day",
        (("openai", EMBEDDINGS_PATH), ("search", SEARCH_PATH), ("openai", CHAT_PATH)),
    ),
    "embeddings-500": Failure(
        lambda s: _sim(s, "openai").fail_next(
            500, "InternalServerError", "The embedding server had an error", operation="embeddings"
        ),
        "openai",
        EMBEDDINGS_PATH,
        500,
        "The embedding server had an error",
        (("search", SEARCH_PATH), ("openai", CHAT_PATH)),
    ),
    "search-503": Failure(
        lambda s: _sim(s, "search").fail_next(
            503, "ServiceUnavailable", "The index is being rebuilt, retry later", operation="search"
        ),
        "search",
        SEARCH_PATH,
        503,
        "The index is being rebuilt, retry later",
        (("openai", CHAT_PATH),),
    ),
    "chat-500": Failure(
        lambda s: _sim(s, "openai").fail_next(
            500, "InternalServerError", "The chat server had an error", operation="chat"
        ),
        "openai",
        CHAT_PATH,
        500,
        "The chat server had an error",
        (),
    ),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_downstream_error_status_is_a_502_naming_the_service(
    harness_app: App, harness_services: Services, failure: Failure
) -> None:
    failure.prime(harness_services)

    response = post_conversation(harness_app)

    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "downstream_error"
    assert error["service"] == failure.service
    assert error["status"] == failure.status
    assert failure.message in error["message"]
    single_request(harness_services[failure.service], failure.path)  # called once: no retry
    for service, path in failure.never_called:
        assert requests_to(harness_services[service], path) == [], (
            f"{service} {path} called after the failure"
        )


def test_chat_throttled_is_a_503_without_retry(harness_app: App, openai_sim: AzureOpenAISimulator) -> None:
    openai_sim.throttle_next(retry_after=6, operation="chat")

    started = time.monotonic()
    response = post_conversation(harness_app)
    elapsed = time.monotonic() - started

    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "downstream_throttled"
    assert error["service"] == "openai"
    assert error["message"].startswith("openai is throttling requests (HTTP 429): Requests to the ")
    assert "Please retry after 6 seconds" in error["message"]
    # AZURE_OPENAI_MAX_RETRIES=0: the SDK neither retries nor sleeps for Retry-After.
    assert [(call.operation, call.status) for call in openai_sim.calls] == [
        ("embeddings", 200),
        ("chat", 429),
    ]
    assert elapsed < 3


def test_rate_limit_of_the_deployment_throttles_until_the_minute_has_passed(
    harness_app: App, openai_sim: AzureOpenAISimulator
) -> None:
    """The simulator's own limiter, on its clock: no sleeping for a minute, the test advances it."""
    openai_sim.set_rate_limits(requests_per_minute=1, deployment=CHAT_DEPLOYMENT)

    first = post_conversation(harness_app)
    second = post_conversation(harness_app)
    openai_sim.clock.advance(60)
    third = post_conversation(harness_app)

    assert first.status_code == 200, first.text
    assert second.status_code == 503, second.text
    assert second.json()["error"]["code"] == "downstream_throttled"
    assert third.status_code == 200, third.text
    chats = [call for call in openai_sim.calls if call.operation == "chat"]
    assert [(call.status, call.answered_by) for call in chats] == [
        (200, "default"),
        (429, "rate limit (requests per minute)"),
        (200, "default"),
    ]
    # Embeddings have their own deployment, and its own limit (none): never throttled.
    assert all(call.status == 200 for call in openai_sim.calls if call.operation == "embeddings")


@pytest.mark.harness_profile("short_timeout")  # DOWNSTREAM_TIMEOUT 0.3 s
def test_chat_slower_than_the_timeout_is_a_504(
    harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
) -> None:
    # Never answers; harness releases the connection when the test ends.
    openai_sim.fault_next(faults.hang(), operation="chat")

    started = time.monotonic()
    response = post_conversation(harness_app)
    elapsed = time.monotonic() - started

    assert response.status_code == 504, response.text
    assert response.json()["error"] == {
        "code": "downstream_timeout",
        "service": "openai",
        "message": "Azure OpenAI did not answer within DOWNSTREAM_TIMEOUT",
    }
    assert SHORT_TIMEOUT - 0.1 <= elapsed < SHORT_TIMEOUT + 1.5
    single_request(harness_services["openai"], CHAT_PATH)  # no retry after the timeout


def test_content_filter_of_the_model_is_a_502(harness_app: App, openai_sim: AzureOpenAISimulator) -> None:
    """Azure OpenAI's own filter refusing the prompt (400 content_filter) is the model failing."""
    openai_sim.filter_next({"violence": "high"})

    response = post_conversation(harness_app)

    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert (error["code"], error["service"], error["status"]) == ("downstream_error", "openai", 400)
    assert "content management policy" in error["message"]
    assert openai_sim.last_call.answered_by == "primed: content filter"


@pytest.mark.parametrize(("category", "severity"), [("Violence", 4), ("SelfHarm", 6)])
def test_flagged_question_is_refused_before_search_and_model(
    harness_app: App,
    harness_services: Services,
    safety_sim: ContentSafetySimulator,
    category: str,
    severity: int,
) -> None:
    safety_sim.answer_next({category: severity})

    response = post_conversation(harness_app)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "content_filtered"
    assert error["category"] == category
    assert f"{category} severity {severity}" in error["message"]
    single_request(harness_services["contentsafety"], SAFETY_PATH)
    assert harness_services["search"].requests == []
    assert harness_services["openai"].requests == []


def test_severity_below_the_threshold_passes(
    harness_app: App, harness_services: Services, safety_sim: ContentSafetySimulator
) -> None:
    safety_sim.answer_next(Hate=2, Violence=3)  # reported as 2 and 2 (FourSeverityLevels)

    response = post_conversation(harness_app)

    assert response.status_code == 200, response.text
    assert response.json()["answer"] == ANSWER
    single_request(harness_services["openai"], CHAT_PATH)


def test_content_safety_rule_refuses_only_the_questions_it_matches(
    harness_app: App, harness_services: Services, safety_sim: ContentSafetySimulator
) -> None:
    safety_sim.add_rule("weapon", Violence=6)

    refused = post_conversation(harness_app, conversation("Can I expense a weapon for my hunting trip?"))
    answered = post_conversation(harness_app)

    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["category"] == "Violence"
    assert answered.status_code == 200, answered.text
    assert answered.json()["answer"] == ANSWER
    assert len(requests_to(harness_services["contentsafety"], SAFETY_PATH)) == 2
    single_request(harness_services["openai"], CHAT_PATH)  # only the harmless question reached the model


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
    harness_app: App, harness_services: Services, body: Any, message: str
) -> None:
    if isinstance(body, str):
        response = requests.post(
            harness_app.url_for("/api/conversation"),
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
    else:
        response = post_conversation(harness_app, body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith(message)
    for name, service in harness_services.items():
        assert service.requests == [], f"{name} was called for a bad request"
