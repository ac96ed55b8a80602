"""The Azure OpenAI simulator on the wire (requests): framing, errors, rate limits on the clock,
priming, option checks at config load."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from harness import faults
from harness.config import parse_table
from harness.errors import ConfigError
from harness.mocks.server import MockService
from harness.simulators import SimulatorError
from harness.simulators.azure_openai import AzureOpenAISimulator, ChatRequest, ToolCall

from .test_sim_openai import per_test, serve

KEY = "rest-key"
OPTIONS = {
    "api_key": [KEY, "second-key"],
    "deployments": {
        "chat": {"model": "gpt-4o"},
        "mini": {"model": "gpt-4o-mini", "requests_per_minute": 1},
        "embed": {"model": "text-embedding-3-small", "kind": "embeddings"},
    },
}
ASK = {"messages": [{"role": "user", "content": "Hello there"}]}


@pytest.fixture(scope="module")
def server() -> Iterator[MockService]:
    yield from serve(OPTIONS)


@pytest.fixture
def sim(server: MockService) -> Iterator[AzureOpenAISimulator]:
    yield from per_test(server)


def post(
    server: MockService, path: str, body: object = ASK, *, key: str | None = KEY, **kwargs: Any
) -> requests.Response:
    headers = {"api-key": key} if key else {}
    if "?" not in path and path.startswith("/openai/deployments"):
        path += "?api-version=2024-10-21"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(server.url + path, data=data, headers=headers, timeout=10, **kwargs)


CHAT = "/openai/deployments/chat/chat/completions"


def events(response: requests.Response) -> list[str]:
    text = response.text
    assert text.endswith("\n\n")
    return [block for block in text.split("\n\n") if block]


# -- framing ---------------------------------------------------------------------------------------------


def test_stream_framing_is_azures(server: MockService, sim: AzureOpenAISimulator):
    sim.answer_next("Hi you")
    response = post(server, CHAT, {**ASK, "stream": True, "stream_options": {"include_usage": True}})
    assert response.headers["Content-Type"].startswith("text/event-stream")
    blocks = events(response)
    assert all(block.startswith("data: ") and "\n" not in block for block in blocks)
    assert blocks[-1] == "data: [DONE]"
    chunks = [json.loads(block[6:]) for block in blocks[:-1]]
    first, role, *content, finish, usage = chunks
    assert first["choices"] == []
    assert first["id"] == ""
    assert first["prompt_filter_results"]
    assert role["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert [c["choices"][0]["delta"]["content"] for c in content] == ["Hi", " you"]
    assert finish["choices"][0] == {**finish["choices"][0], "delta": {}, "finish_reason": "stop"}
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == 2
    assert all(
        c["object"] == "chat.completion.chunk" and c["usage"] is None for c in [role, *content, finish]
    )
    assert len({c["id"] for c in [role, *content, finish, usage]}) == 1


def test_non_streamed_body_carries_azure_fields_and_ratelimit_headers(
    server: MockService, sim: AzureOpenAISimulator
):
    sim.set_rate_limits(tokens_per_minute=1000, requests_per_minute=10)
    response = post(server, CHAT)
    body = response.json()
    assert response.status_code == 200
    assert body["object"] == "chat.completion"
    assert body["prompt_filter_results"][0]["content_filter_results"]["hate"]["filtered"] is False
    assert body["choices"][0]["content_filter_results"]["violence"]["severity"] == "safe"
    assert response.headers["x-ratelimit-remaining-requests"] == "9"
    assert int(response.headers["x-ratelimit-remaining-tokens"]) == 1000 - body["usage"]["total_tokens"]
    assert response.headers["apim-request-id"]


# -- errors ----------------------------------------------------------------------------------------------


def test_missing_api_version_is_404_resource_not_found(server: MockService, sim: AzureOpenAISimulator):
    response = post(server, CHAT + "?foo=1")
    assert response.status_code == 404
    # No "param": null, "type": null: the published document types both as strings (docs/simulators.md).
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ("{not json", None, None),
        ("[1, 2]", None, None),
        ({"model": "x"}, "messages", "missing_required_parameter"),
        ({"messages": "hi"}, "messages", "invalid_type"),
        ({"messages": [{"content": "hi"}]}, "messages[0].role", "missing_required_parameter"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role", "invalid_value"),
        ({**ASK, "max_tokens": 0}, "max_tokens", "integer_below_min_value"),
        ({**ASK, "stream": "yes"}, "stream", "invalid_type"),
    ],
)
def test_invalid_bodies_are_400_envelopes(
    server: MockService, sim: AzureOpenAISimulator, body: object, param: Any, code: Any
):
    response = post(server, CHAT, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error.get("param"), error.get("code"), error["type"]) == (param, code, "invalid_request_error")
    assert "Traceback" not in response.text
    assert error["message"]
    assert sim.calls == [] or sim.last_call.status == 400


def test_auth_accepts_api_key_or_bearer_from_the_list(server: MockService, sim: AzureOpenAISimulator):
    assert post(server, CHAT, key="second-key").status_code == 200
    bearer = requests.post(
        server.url + CHAT + "?api-version=1", json=ASK, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
    )
    assert bearer.status_code == 200
    missing = post(server, CHAT, key=None)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "401"


def test_wrong_operation_for_the_deployment_kind(server: MockService, sim: AzureOpenAISimulator):
    response = post(server, "/openai/deployments/embed/chat/completions")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "OperationNotSupported"


def test_unknown_path_is_azures_404_and_unmatched(server: MockService, sim: AzureOpenAISimulator):
    response = post(server, "/openai/deployments/chat/images/generations?api-version=1")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Resource not found"
    assert [entry.path for entry in server.unmatched_requests()] == [
        "/openai/deployments/chat/images/generations"
    ]


def test_the_journal_says_how_the_simulator_answered(server: MockService, sim: AzureOpenAISimulator):
    sim.throttle_next()
    assert post(server, CHAT).status_code == 429
    assert post(server, CHAT).status_code == 200
    throttled, answered = server.requests
    assert throttled.expectation == "simulator azure_openai chat, primed: throttle"
    assert answered.expectation is not None
    assert answered.expectation.startswith("simulator azure_openai chat, ")
    assert answered.expectation != throttled.expectation


def test_content_filter_priming(server: MockService, sim: AzureOpenAISimulator):
    sim.filter_next({"violence": "high", "jailbreak": "yes"})
    error = post(server, CHAT).json()["error"]
    assert error["code"] == "content_filter"
    assert error["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    result = error["innererror"]["content_filter_result"]
    assert result["violence"] == {"filtered": True, "severity": "high"}
    assert result["jailbreak"]["detected"]
    assert result["hate"]["filtered"] is False


def test_fail_next_aims_at_an_operation_and_a_deployment(server: MockService, sim: AzureOpenAISimulator):
    sim.fail_next(
        503, "ServiceUnavailable", "try later", operation="embeddings", headers={"x-should-retry": "false"}
    )
    sim.fail_next(500, deployment="mini")
    assert post(server, CHAT).status_code == 200  # neither aims at chat on "chat"
    embedding = post(server, "/openai/deployments/embed/embeddings", {"input": "x"})
    assert embedding.status_code == 503
    assert embedding.headers["x-should-retry"] == "false"
    assert embedding.json()["error"] == {"code": "ServiceUnavailable", "message": "try later"}
    assert post(server, "/openai/deployments/mini/chat/completions").status_code == 500
    assert sim.pending == []


# -- rate limits on the simulator's clock ---------------------------------------------------------------


def test_requests_per_minute_throttles_until_the_clock_advances(
    server: MockService, sim: AzureOpenAISimulator
):
    sim.clock.freeze()
    sim.set_rate_limits(requests_per_minute=2, deployment="chat")
    remaining = [post(server, CHAT).headers["x-ratelimit-remaining-requests"] for _ in range(2)]
    assert remaining == ["1", "0"]
    refused = post(server, CHAT)
    assert refused.status_code == 429
    assert (refused.headers["Retry-After"], refused.headers["retry-after-ms"]) == ("60", "60000")
    assert "ChatCompletions_Create" in refused.json()["error"]["message"]
    sim.clock.advance(30)
    assert post(server, CHAT).status_code == 429
    assert post(server, CHAT).headers["Retry-After"] == "30"
    sim.clock.advance(30)
    assert post(server, CHAT).status_code == 200
    assert [call.answered_by for call in sim.calls].count("rate limit (requests per minute)") == 3


def test_tokens_per_minute_counts_usage(server: MockService, sim: AzureOpenAISimulator):
    sim.clock.freeze()
    sim.set_rate_limits(tokens_per_minute=60)
    sim.answer_next("one two three four five six seven eight nine ten", times=10)
    remaining = []
    while (response := post(server, CHAT)).status_code == 200:
        remaining.append(int(response.headers["x-ratelimit-remaining-tokens"]))
    first = sim.calls[0]
    assert first.completion_tokens == 10
    assert remaining == [60 - first.total_tokens * n for n in range(1, len(remaining) + 1)]
    assert remaining[-1] < first.prompt_tokens  # refused: the next prompt no longer fits
    assert response.status_code == 429
    assert response.headers["x-ratelimit-remaining-tokens"] == "0"
    assert sim.usage.total_tokens == 60 - remaining[-1]
    sim.clock.advance(60)
    assert post(server, CHAT).status_code == 200


def test_configured_deployment_limit_applies(server: MockService, sim: AzureOpenAISimulator):
    path = "/openai/deployments/mini/chat/completions"
    assert post(server, path).status_code == 200
    assert post(server, path).status_code == 429
    assert post(server, CHAT).status_code == 200  # each deployment is metered on its own


# -- answers ---------------------------------------------------------------------------------------------


def test_answerer_gets_the_request_and_may_defer_to_the_default(
    server: MockService, sim: AzureOpenAISimulator
):
    def answer(request: ChatRequest) -> object:
        if "weather" in request.last_user_message:
            return ToolCall("get_weather", '{"city": "Oslo"}')
        if "shout" in request.last_user_message:
            return request.last_user_message.upper()
        return None

    sim.set_answerer(answer)
    shout = post(server, CHAT, {"messages": [{"role": "user", "content": "shout this"}]}).json()
    assert shout["choices"][0]["message"]["content"] == "SHOUT THIS"
    weather = post(server, CHAT, {"messages": [{"role": "user", "content": "weather?"}]}).json()
    assert weather["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == '{"city": "Oslo"}'
    assert post(server, CHAT).json()["choices"][0]["message"]["content"].endswith("Hello there")
    assert [call.answered_by for call in sim.calls] == ["answerer", "answerer", "default"]


def test_json_mode_max_tokens_and_n(server: MockService, sim: AzureOpenAISimulator):
    json_mode = post(server, CHAT, {**ASK, "response_format": {"type": "json_object"}}).json()
    assert json.loads(json_mode["choices"][0]["message"]["content"]) == {
        "answer": "This is a simulated answer to: Hello there"
    }
    short = post(server, CHAT, {**ASK, "max_tokens": 3}).json()
    assert short["choices"][0]["finish_reason"] == "length"
    assert short["usage"]["completion_tokens"] == 3
    assert short["choices"][0]["message"]["content"] == "This is a"
    several = post(server, CHAT, {**ASK, "n": 2}).json()
    assert [c["index"] for c in several["choices"]] == [0, 1]


def test_set_embedding_and_base64(server: MockService, sim: AzureOpenAISimulator):
    sim.set_embedding("pinned", [1.0, 0.0, 0.0])
    body = post(server, "/openai/deployments/embed/embeddings", {"input": ["pinned", "free"]}).json()
    assert body["data"][0]["embedding"] == [1.0, 0.0, 0.0]
    assert len(body["data"][1]["embedding"]) == 1536
    encoded = post(
        server, "/openai/deployments/embed/embeddings", {"input": "free", "encoding_format": "base64"}
    ).json()
    assert isinstance(encoded["data"][0]["embedding"], str)
    bad = post(server, "/openai/deployments/embed/embeddings", {"input": ""})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "input"


def test_streaming_is_paced_by_the_per_token_delay(server: MockService, sim: AzureOpenAISimulator):
    sim.set_latency(per_token_delay=0.05)
    sim.answer_next("a b c d e")
    started = time.perf_counter()
    with post(server, CHAT, {**ASK, "stream": True}, stream=True) as response:
        arrivals = [
            time.perf_counter() - started for line in response.iter_lines() if line.startswith(b"data: {")
        ]
    assert len(arrivals) == 8  # prompt filter, role, five tokens, finish
    assert arrivals[-1] - arrivals[1] >= 0.2  # five tokens, 50 ms apart


def test_a_primed_delay_wrapping_the_simulator_answers_late(server: MockService, sim: AzureOpenAISimulator):
    sim.fault_next(faults.delay(0.1, sim))
    started = time.perf_counter()
    response = post(server, CHAT)
    assert time.perf_counter() - started >= 0.1
    assert response.json()["choices"][0]["message"]["content"] == "This is a simulated answer to: Hello there"
    assert [call.answered_by for call in sim.calls] == ["default"]  # one request, one call


def test_concurrent_calls_share_the_queue_safely(server: MockService, sim: AzureOpenAISimulator):
    sim.answer_next("queued", times=20)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: post(server, CHAT).json()["choices"][0]["message"]["content"], range(24))
        )
    assert answers.count("queued") == 20
    assert len(sim.calls) == 24
    assert sim.pending == []


# -- bad priming and bad options -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prime", "named"),
    [
        (lambda s: s.answer_next(42), "answer_next(content)"),
        (lambda s: s.answer_next("x", times=0), "times"),
        (lambda s: s.throttle_next(retry_after=-1), "throttle_next(retry_after)"),
        (lambda s: s.fail_next(200), "fail_next(status)"),
        (lambda s: s.fail_next(500, operation="images"), "operation"),
        (lambda s: s.call_tool_next("", {}), "call_tool_next"),
        (lambda s: s.fault_next("reset"), "fault_next(fault)"),
        (lambda s: s.break_stream_next(-1), "break_stream_next(after_chunks)"),
        (lambda s: s.set_rate_limits(tokens_per_minute=0), "set_rate_limits(tokens_per_minute)"),
        (lambda s: s.set_latency(jitter=2), "set_latency(jitter)"),
        (lambda s: s.clock.advance(-5), "clock.advance(seconds)"),
        (lambda s: s.filter_next({"hate": "extreme"}), "filter_next(categories"),
    ],
)
def test_bad_priming_names_the_argument(sim: AzureOpenAISimulator, prime: Any, named: str):
    with pytest.raises(SimulatorError, match=named.replace("(", r"\(").replace(")", r"\)")):
        prime(sim)


def config_problems(options: object) -> list[str]:
    table = {"command": ["app"], "services": {"openai": {"simulator": "azure_openai", "options": options}}}
    with pytest.raises(ConfigError) as info:
        parse_table(table, Path("/project/pyproject.toml"))
    return info.value.problems


def test_config_load_reports_each_bad_option():
    where = "tool.harness.services.openai.options"
    problems = config_problems(
        {
            "tokens_per_minute": -3,
            "requests_per_minut": 5,
            "api_key": "",
            "jitter": 1.5,
            "default_answer": "Answer {question}",
            "deployments": {"chat": {"model": "gpt-4o", "kind": "vision", "dimensions": 8}},
        }
    )
    text = "\n".join(problems)
    assert f"{where}.tokens_per_minute: expected a positive integer, found -3 (integer); fix:" in text
    assert f"{where}.requests_per_minut: unknown option; did you mean" in text
    assert '"requests_per_minute"' in text
    assert f"{where}.api_key: expected a non-empty string" in text
    assert f"{where}.jitter: expected a fraction from 0 to 1, found 1.5 (number)" in text
    assert f"{where}.default_answer:" in text
    assert f'{where}.deployments.chat.kind: expected "chat" or "embeddings", found \'vision\'' in text
    assert len(problems) == 6


def test_valid_options_load_and_bad_ones_fail_the_constructor():
    table = {"command": ["app"], "services": {"openai": {"simulator": "azure_openai", "options": OPTIONS}}}
    assert parse_table(table, Path("/project/pyproject.toml")).services["openai"].options == OPTIONS
    with pytest.raises(SimulatorError, match="seed"):
        AzureOpenAISimulator({"seed": "x"})
