"""The Azure OpenAI simulator driven by the official openai SDK (AzureOpenAI and OpenAI clients)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest
from openai import AzureOpenAI, OpenAI

from harness import faults
from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.azure_openai import AzureOpenAISimulator
from tests.support.simulators import bracketed, serving

KEY = "test-key"
API_VERSION = "2024-10-21"
OPTIONS = {
    "api_key": KEY,
    "deployments": {
        "chat": {"model": "gpt-4o"},
        "embed": {"model": "text-embedding-3-small"},
        "large": {"model": "text-embedding-3-large"},
        "ada": {"model": "text-embedding-ada-002"},
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ASK = [{"role": "user", "content": "What is the capital of France?"}]


def serve(options: dict[str, Any]) -> Iterator[MockService]:
    """A running mock service with the simulator (module fixtures of both test files use it)."""
    yield from serving("openai", AzureOpenAISimulator(options))


def per_test(server: MockService) -> Iterator[AzureOpenAISimulator]:
    """The simulator inside a test's begin_test/end_test, as the orchestrator brackets it."""
    yield from bracketed(server, AzureOpenAISimulator)


@pytest.fixture(scope="module")
def server() -> Iterator[MockService]:
    yield from serve(OPTIONS)


@pytest.fixture
def sim(server: MockService) -> Iterator[AzureOpenAISimulator]:
    yield from per_test(server)


@pytest.fixture
def client(server: MockService, sim: AzureOpenAISimulator) -> AzureOpenAI:
    # max_retries=0: a primed failure reaches the test at once (retries are tested on their own).
    return AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version=API_VERSION, max_retries=0)


# -- chat ------------------------------------------------------------------------------------------------


def test_default_answer_is_derived_from_the_last_user_message(client: AzureOpenAI, sim: AzureOpenAISimulator):
    messages = [*ASK, {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And Spain?"}]
    completion = client.chat.completions.create(model="chat", messages=messages)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "This is a simulated answer to: And Spain?"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-4o"  # the deployment's model, as Azure reports it
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert sim.usage.total_tokens == usage.total_tokens
    assert sim.last_call.deployment == "chat"
    assert sim.last_call.answered_by == "default"


def test_primed_answers_are_used_in_order_with_repeats(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.answer_next("Paris", times=2)
    sim.answer_next("Lyon")
    answers = [
        client.chat.completions.create(model="chat", messages=ASK).choices[0].message.content
        for _ in range(4)
    ]  # type: ignore[arg-type]
    assert answers == [
        "Paris",
        "Paris",
        "Lyon",
        "This is a simulated answer to: What is the capital of France?",
    ]
    assert sim.pending == []


def test_streaming_yields_role_then_content_then_finish_and_usage(
    client: AzureOpenAI, sim: AzureOpenAISimulator
):
    sim.answer_next("The capital of France is Paris.")
    stream = client.chat.completions.create(
        model="chat",
        messages=ASK,
        stream=True,
        stream_options={"include_usage": True},  # type: ignore[arg-type]
    )
    chunks = list(stream)
    assert chunks[0].choices == []
    assert chunks[0].prompt_filter_results
    assert chunks[1].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content for c in chunks[2:] if c.choices and c.choices[0].delta.content]
    assert "".join(content) == "The capital of France is Paris."
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.completion_tokens == len(content)  # one token per content chunk
    assert all(c.usage is None for c in chunks[1:-1])


def test_tool_call_is_returned_with_json_arguments(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.call_tool_next("get_weather", {"city": "Paris"}, call_id="call_1")
    completion = client.chat.completions.create(model="chat", messages=ASK, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.id == "call_1"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]


def test_streamed_parallel_tool_calls_reassemble(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.call_tools_next([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome"})])
    stream = client.chat.completions.create(model="chat", messages=ASK, tools=[WEATHER_TOOL], stream=True)  # type: ignore[arg-type,list-item]
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for delta in choice.delta.tool_calls or []:
                entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += delta.id or ""
                entry["name"] += (delta.function and delta.function.name) or ""
                entry["arguments"] += (delta.function and delta.function.arguments) or ""
    assert finish == "tool_calls"
    assert [json.loads(calls[i]["arguments"]) for i in (0, 1)] == [{"city": "Paris"}, {"city": "Rome"}]
    assert {calls[i]["name"] for i in (0, 1)} == {"get_weather"}
    assert calls[0]["id"].startswith("call_")
    assert calls[0]["id"] != calls[1]["id"]


def test_forced_tool_choice_gets_a_call_with_schema_shaped_arguments(client: AzureOpenAI):
    completion = client.chat.completions.create(
        model="chat",
        messages=ASK,
        tools=[WEATHER_TOOL],
        tool_choice="required",  # type: ignore[arg-type,list-item]
    )
    (call,) = completion.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert set(json.loads(call.function.arguments)) == {"city"}  # type: ignore[union-attr]


def test_a_stream_primed_to_break_fails_the_iteration(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.break_stream_next(3, then=faults.RESET, content="one two three four five")
    sim.answer_next("plain answer")
    # The break aims at streamed calls only: a plain call skips it and takes the next answer.
    assert client.chat.completions.create(model="chat", messages=ASK).choices[0].message.content == (  # type: ignore[arg-type]
        "plain answer"
    )
    stream = client.chat.completions.create(model="chat", messages=ASK, stream=True)  # type: ignore[arg-type]
    received: list[object] = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(stream)  # keeps what arrived before the reset
    assert len(received) == 3  # prompt filter, role, one token: then the reset
    assert received[2].choices[0].delta.content == "one"  # type: ignore[attr-defined]


# -- embeddings ------------------------------------------------------------------------------------------


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_embeddings_are_deterministic_unit_vectors_of_the_deployment_size(client: AzureOpenAI):
    # The SDK asks for base64 unless told otherwise and decodes it: both paths must agree.
    first = client.embeddings.create(model="embed", input=["alpha", "beta"])
    again = client.embeddings.create(model="embed", input="alpha", encoding_format="float")
    assert [len(item.embedding) for item in first.data] == [1536, 1536]
    assert first.data[0].embedding == pytest.approx(again.data[0].embedding, abs=1e-6)
    assert first.data[0].embedding != first.data[1].embedding
    assert _norm(first.data[0].embedding) == pytest.approx(1.0, abs=1e-5)
    assert first.usage.prompt_tokens == 2
    assert first.model == "text-embedding-3-small"
    large = client.embeddings.create(model="large", input="alpha")
    assert len(large.data[0].embedding) == 3072


def test_embeddings_dimensions_parameter_for_v3_models_only(client: AzureOpenAI):
    short = client.embeddings.create(model="large", input="alpha", dimensions=256)
    assert len(short.data[0].embedding) == 256
    assert _norm(short.data[0].embedding) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="ada", input="alpha", dimensions=256)
    assert "does not support specifying dimensions" in str(info.value)


def test_shared_words_make_embeddings_closer(client: AzureOpenAI):
    data = client.embeddings.create(
        model="embed",
        input=["refund policy for orders", "refund policy", "weather in Rome"],
        encoding_format="float",
    ).data
    vectors = [item.embedding for item in data]

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3


# -- failures, retries, timeouts -------------------------------------------------------------------------


def test_sdk_retries_a_429_after_retry_after_ms(server: MockService, sim: AzureOpenAISimulator):
    sim.throttle_next(2, retry_after=0.05)
    sim.answer_next("after the throttle")
    client = AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version=API_VERSION, max_retries=2)
    started = time.perf_counter()
    completion = client.chat.completions.create(model="chat", messages=ASK)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert completion.choices[0].message.content == "after the throttle"
    assert [entry.status for entry in server.requests] == [429, 429, 200]
    # Two 50 ms waits. Without retry-after-ms the SDK's own backoff would wait at least 1.125 s
    # (0.5 s then 1 s, each less up to 25 % jitter): the bound between leaves room for a busy machine.
    assert 0.1 <= elapsed < 1.0


def test_the_429_envelope_and_headers_reach_the_sdk(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.throttle_next(retry_after=2.5)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="chat", messages=ASK)  # type: ignore[arg-type]
    headers = info.value.response.headers
    assert headers["retry-after"] == "3"
    assert headers["retry-after-ms"] == "2500"
    assert info.value.code == "429"
    assert "Please retry after 3 seconds" in info.value.message


def test_client_timeout_against_a_slow_deployment(server: MockService, sim: AzureOpenAISimulator):
    sim.set_latency(time_to_first_token=30)
    client = AzureOpenAI(
        azure_endpoint=server.url, api_key=KEY, api_version=API_VERSION, max_retries=0, timeout=0.3
    )
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="chat", messages=ASK)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 5  # the test's end frees the waiting handler


def test_a_primed_fault_reaches_the_sdk_as_a_connection_error(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.fault_next(faults.reset(), operation="embeddings")
    assert client.chat.completions.create(model="chat", messages=ASK).choices  # type: ignore[arg-type]
    with pytest.raises(openai.APIConnectionError):
        client.embeddings.create(model="embed", input="alpha")
    assert sim.pending == []


def test_wrong_key_is_401_with_azure_envelope(server: MockService, sim: AzureOpenAISimulator):
    client = AzureOpenAI(azure_endpoint=server.url, api_key="wrong", api_version=API_VERSION, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        client.chat.completions.create(model="chat", messages=ASK)  # type: ignore[arg-type]
    assert info.value.status_code == 401
    assert info.value.code == "401"
    assert "Access denied" in info.value.message


def test_unknown_deployment_is_404_deployment_not_found(client: AzureOpenAI):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-5-nope", messages=ASK)  # type: ignore[arg-type]
    assert info.value.code == "DeploymentNotFound"


def test_invalid_messages_are_a_bad_request(client: AzureOpenAI):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="chat", messages=[])
    assert info.value.code == "empty_array"
    assert info.value.param == "messages"


# -- per-test isolation and priority ---------------------------------------------------------------------


def test_a_test_expectation_wins_over_the_simulator(server: MockService, client: AzureOpenAI):
    canned = {
        "id": "chatcmpl-canned", "object": "chat.completion", "created": 0, "model": "gpt-4o",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "canned"}}
        ],
    }  # fmt: skip
    server.expect_request("/openai/deployments/chat/chat/completions").respond_with_json(canned)
    assert client.chat.completions.create(model="chat", messages=ASK).choices[0].message.content == "canned"  # type: ignore[arg-type]
    assert client.embeddings.create(model="embed", input="x").data  # other routes: still the simulator


def test_end_test_drops_priming_and_overrides(
    server: MockService, client: AzureOpenAI, sim: AzureOpenAISimulator
):
    sim.answer_next("primed")
    sim.set_rate_limits(requests_per_minute=1)
    sim.set_answerer(lambda request: "from the answerer")
    server.end_test()
    server.begin_test()
    assert sim.pending == []
    for _ in range(2):  # no answer, no answerer, no one-request limit left over
        content = client.chat.completions.create(model="chat", messages=ASK).choices[0].message.content  # type: ignore[arg-type]
        assert content == "This is a simulated answer to: What is the capital of France?"


# -- the v1 URL style and TLS ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/openai/v1", "/v1"])
def test_v1_style_with_the_openai_client(server: MockService, sim: AzureOpenAISimulator, prefix: str):
    client = OpenAI(base_url=server.url + prefix, api_key=KEY, max_retries=0)
    sim.answer_next("v1 answer", deployment="chat")
    assert (
        client.chat.completions.create(model="chat", messages=ASK).choices[0].message.content == "v1 answer"
    )  # type: ignore[arg-type]
    assert len(client.embeddings.create(model="large", input="alpha").data[0].embedding) == 3072
    assert server.requests[0].path == prefix + "/chat/completions"
    assert "authorization" in {name.lower() for name, _ in server.requests[0].headers}


def test_over_https_with_the_runs_ca(tmp_path):
    ca = CertificateAuthority(tmp_path / "ca.pem")
    service = MockService("openai-tls", ssl_context=ca.server_context(), simulator=AzureOpenAISimulator({}))
    service.start()
    try:
        assert service.url.startswith("https://")
        client = AzureOpenAI(
            azure_endpoint=service.url,
            api_key="any-key",
            api_version=API_VERSION,
            max_retries=0,
            http_client=httpx2.Client(verify=ca.client_context()),
        )
        chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True))  # type: ignore[arg-type]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "This is a simulated answer to: What is the capital of France?"
        vector = client.embeddings.create(model="text-embedding-3-large", input="x").data[0].embedding
        assert len(vector) == 3072  # no deployments configured: the size follows the name
    finally:
        service.stop()
