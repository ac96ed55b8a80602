"""Network faults between the app and its downstreams: resets, hangs, broken bodies, throttling, streams.

Every fault comes from ``harness.faults``, primed on the simulators (``fault_next``,
``break_stream_next``); the app is observed only through its HTTP API and the services' journals. A hang
or stall is released by harness when the test ends, so no test cleans up after one. The tests that
wait out the app's downstream timeout run in the short_timeout profile (DOWNSTREAM_TIMEOUT 0.3 s),
one test per distinct timeout behaviour. The plain (non-streamed) chat hang is
``test_downstream_failures.py::test_chat_slower_than_the_timeout_is_a_504``.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
import requests

from harness import App, MockService, faults
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_search import AzureSearchSimulator
from harness.simulators.content_safety import ContentSafetySimulator

from .downstreams import (
    ANSWER,
    CHAT_PATH,
    CITATIONS,
    DOWNSTREAM_TIMEOUT,
    SAFETY_PATH,
    SEARCH_PATH,
    SHORT_TIMEOUT,
    conversation,
    parse_sse,
    requests_to,
    single_request,
)

Services = dict[str, MockService]

# A timeout must not fire early (the lower bound is the behaviour), and must fire: the upper bound is
# generous so a busy machine cannot fail the test. The tests that wait one out run in the
# short_timeout profile (DOWNSTREAM_TIMEOUT 0.3 s).
TIMEOUT_FLOOR = SHORT_TIMEOUT - 0.1
TIMEOUT_CEILING = SHORT_TIMEOUT + 3.0

# Azure's stream starts with a prompt-filter chunk without choices and a role-only delta; the content
# deltas (one per token) follow.
LEADING_CHUNKS = 2
DELIVERED = 3  # content deltas sent before a stream breaks


def post_conversation(app: App, **extra: Any) -> tuple[requests.Response, float]:
    """POST a one-question conversation; the response (body read in full) and the seconds it took."""
    started = time.monotonic()
    response = requests.post(app.url_for("/api/conversation"), json=conversation(**extra), timeout=10)
    return response, time.monotonic() - started


def json_error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    return error


def break_stream(openai_sim: AzureOpenAISimulator, then: faults.Marker) -> None:
    """The next streamed completion sends the leading chunks and DELIVERED deltas, then ``then``."""
    openai_sim.break_stream_next(LEADING_CHUNKS + DELIVERED, then=then)


# A reset right after the last write can discard TLS records still in the mock's send buffer (an abortive
# close drops unsent data), so the deltas get a moment on the wire before the connection is reset.
RESET_AFTER_DELIVERY = faults.Marker("reset", (*faults.pause(0.1).steps, *faults.RESET.steps))


def assert_stream_ends_with_error(response: requests.Response, code: str) -> dict[str, Any]:
    """The app's stream: citations, the deltas that got through, one ``event: error``; no ``done``."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert [event.data["type"] for event in events] == ["citations", *["delta"] * DELIVERED, "error"]
    assert events[0].data == {"type": "citations", "citations": CITATIONS}
    delivered = "".join(event.data["content"] for event in events[1:-1])
    assert ANSWER.startswith(delivered), delivered  # the first tokens of the answer, and only those
    assert len(delivered) < len(ANSWER)
    assert all(event.event is None for event in events[:-1])
    last = events[-1]
    assert last.event == "error"
    error: dict[str, Any] = last.data["error"]
    assert error["code"] == code
    assert error["service"] == "openai"
    return error


# -- broken connections and bodies: 502 at once, no retry -------------------------------------------------

BROKEN_CHAT = {
    # Over TLS (the simulator's tls = true) the ssl module reads a reset before any answer as the end
    # of the stream, so httpx reports "Server disconnected without sending a response".
    "reset": (faults.reset(), "Azure OpenAI sent a broken response"),
    "empty-response": (faults.empty_response(), "Azure OpenAI sent a broken response"),
    "malformed-chunk": (faults.malformed_chunk(), "Azure OpenAI sent a broken response"),
    "truncated-body": (
        faults.truncate({"object": "chat.completion", "choices": [{"message": {"content": ANSWER}}]}, at=40),
        "Azure OpenAI sent a broken response",
    ),
}


@pytest.mark.parametrize(("fault", "explanation"), BROKEN_CHAT.values(), ids=BROKEN_CHAT.keys())
def test_broken_chat_connection_is_a_502_naming_openai(
    harness_app: App,
    harness_services: Services,
    openai_sim: AzureOpenAISimulator,
    fault: faults.Fault,
    explanation: str,
) -> None:
    openai_sim.fault_next(fault, operation="chat")

    response, elapsed = post_conversation(harness_app)

    error = json_error(response, 502)
    assert error["code"] == "downstream_error"
    assert error["service"] == "openai"
    assert error["status"] is None  # no complete HTTP answer to report
    assert error["message"].startswith(explanation)  # reached, but broken: never "cannot reach"
    assert elapsed < DOWNSTREAM_TIMEOUT  # a broken connection is reported at once, not after a timeout
    chat = single_request(harness_services["openai"], CHAT_PATH)  # AZURE_OPENAI_MAX_RETRIES=0: no retry
    assert chat.fault == fault.description


def test_search_reset_is_a_502_naming_search_and_the_model_is_not_asked(
    harness_app: App, harness_services: Services, search_sim: AzureSearchSimulator
) -> None:
    search_sim.fault_next(faults.reset(), operation="search")

    response, _ = post_conversation(harness_app)

    error = json_error(response, 502)
    assert error["code"] == "downstream_error"
    assert error["service"] == "search"
    assert error["status"] is None
    single_request(harness_services["search"], SEARCH_PATH)
    assert requests_to(harness_services["openai"], CHAT_PATH) == []


# -- hangs: 504 once DOWNSTREAM_TIMEOUT has passed, not before ---------------------------------------------


@pytest.mark.harness_profile("short_timeout")
def test_content_safety_hang_is_a_504_naming_contentsafety(
    harness_app: App, harness_services: Services, safety_sim: ContentSafetySimulator
) -> None:
    safety_sim.fault_next(faults.hang())

    response, elapsed = post_conversation(harness_app)

    error = json_error(response, 504)
    assert error == {
        "code": "downstream_timeout",
        "service": "contentsafety",
        "message": "contentsafety did not answer within DOWNSTREAM_TIMEOUT",
    }
    assert TIMEOUT_FLOOR <= elapsed < TIMEOUT_CEILING
    single_request(harness_services["contentsafety"], SAFETY_PATH)
    assert harness_services["search"].requests == []
    assert harness_services["openai"].requests == []


@pytest.mark.harness_profile("short_timeout")
def test_streamed_chat_that_never_answers_is_a_json_504(
    harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
) -> None:
    """No status line yet when the timeout fires, so the client gets a JSON error, not a broken stream."""
    openai_sim.fault_next(faults.hang(), operation="chat")

    response, elapsed = post_conversation(harness_app, stream=True)

    error = json_error(response, 504)
    assert error == {
        "code": "downstream_timeout",
        "service": "openai",
        "message": "Azure OpenAI did not answer within DOWNSTREAM_TIMEOUT",
    }
    assert TIMEOUT_FLOOR <= elapsed < TIMEOUT_CEILING
    single_request(harness_services["openai"], CHAT_PATH)


# -- streams that break midway: the deltas that got through, then one clean error event --------------------


def test_stream_reset_midway_ends_with_an_error_event(
    harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
) -> None:
    break_stream(openai_sim, RESET_AFTER_DELIVERY)

    response, elapsed = post_conversation(harness_app, stream=True)

    error = assert_stream_ends_with_error(response, "downstream_error")
    assert error["status"] is None
    assert elapsed < DOWNSTREAM_TIMEOUT  # the response completes at the reset, it does not wait for a timeout
    single_request(harness_services["openai"], CHAT_PATH)


@pytest.mark.harness_profile("short_timeout")
def test_stream_stalled_midway_ends_with_a_timeout_event(
    harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
) -> None:
    break_stream(openai_sim, faults.STALL)

    response, elapsed = post_conversation(harness_app, stream=True)

    error = assert_stream_ends_with_error(response, "downstream_timeout")
    assert error["message"] == "Azure OpenAI did not answer within DOWNSTREAM_TIMEOUT"
    assert TIMEOUT_FLOOR <= elapsed < TIMEOUT_CEILING
    single_request(harness_services["openai"], CHAT_PATH)


# -- throttling with the SDK's retries on (AZURE_OPENAI_MAX_RETRIES=2) --------------------------------------

RETRY_AFTER = 0.05


@pytest.mark.harness_profile("retrying")
class TestRetrying:
    def test_throttled_twice_then_answered(
        self, harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
    ) -> None:
        openai_sim.throttle_next(2, retry_after=RETRY_AFTER, operation="chat")

        response, _ = post_conversation(harness_app)

        assert response.status_code == 200, response.text
        assert response.json() == {"answer": ANSWER, "citations": CITATIONS}
        calls = requests_to(harness_services["openai"], CHAT_PATH)
        assert [call.status for call in calls] == [429, 429, 200]
        # Each retry waited at least the retry-after-ms the 429 asked for.
        gaps = [later.started - earlier.started for earlier, later in itertools.pairwise(calls)]
        assert all(gap >= RETRY_AFTER - 0.001 for gap in gaps), gaps

    def test_throttled_on_every_attempt_is_a_503_after_three_calls(
        self, harness_app: App, harness_services: Services, openai_sim: AzureOpenAISimulator
    ) -> None:
        openai_sim.throttle_next(10, retry_after=RETRY_AFTER, operation="chat")

        response, _ = post_conversation(harness_app)

        error = json_error(response, 503)
        assert error["code"] == "downstream_throttled"
        assert error["service"] == "openai"
        calls = requests_to(harness_services["openai"], CHAT_PATH)
        assert [call.status for call in calls] == [429, 429, 429]  # the first attempt and 2 retries
