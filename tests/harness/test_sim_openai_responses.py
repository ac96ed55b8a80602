"""The Azure OpenAI simulator's Responses API (``client.responses``), driven by the official openai
SDK through both clients: AzureOpenAI (``/openai/responses?api-version=``) and OpenAI with the v1 base
URL (``/openai/v1/responses``)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
import requests
from openai import AzureOpenAI, OpenAI

from harness import faults
from harness.mocks.server import MockService
from harness.simulators.azure_openai import AzureOpenAISimulator, ChatRequest

from . import test_sim_openai as chat_tests
from .test_sim_openai import KEY

# The chat tests' fixtures, one instance per module: the simulator's service and its per-test bracket.
server = chat_tests.server
sim = chat_tests.sim

API_VERSION = "2025-04-01-preview"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def azure(server: MockService, sim: AzureOpenAISimulator) -> AzureOpenAI:
    return AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version=API_VERSION, max_retries=0)


@pytest.fixture
def v1(server: MockService, sim: AzureOpenAISimulator) -> OpenAI:
    return OpenAI(base_url=server.url + "/openai/v1", api_key=KEY, max_retries=0)


def test_default_answer_through_both_clients(
    azure: AzureOpenAI, v1: OpenAI, server: MockService, sim: AzureOpenAISimulator
):
    first = azure.responses.create(
        model="chat", input="What is the capital of France?", instructions="Be brief."
    )
    second = v1.responses.create(model="chat", input="And of Spain?")
    assert first.output_text == "This is a simulated answer to: What is the capital of France?"
    assert second.output_text == "This is a simulated answer to: And of Spain?"
    assert (first.object, first.status, first.model) == ("response", "completed", "gpt-4o")
    assert first.id.startswith("resp_")
    (message,) = first.output
    assert (message.type, message.role, message.status) == ("message", "assistant", "completed")  # type: ignore[union-attr]
    assert first.usage is not None
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens
    assert first.usage.output_tokens == sim.calls[0].completion_tokens
    assert [entry.path for entry in server.requests] == ["/openai/responses", "/openai/v1/responses"]
    assert [(call.operation, call.status, call.answered_by) for call in sim.calls] == [
        ("responses", 200, "default"),
        ("responses", 200, "default"),
    ]
    # The instructions and input, as chat messages, for asserts that do not care which API was used.
    assert sim.calls[0].messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the capital of France?"},
    ]


def test_answers_primed_for_chat_serve_the_responses_api_too(v1: OpenAI, sim: AzureOpenAISimulator):
    sim.answer_next("Paris.")
    sim.throttle_next(operation="chat", retry_after=0.01)
    assert v1.responses.create(model="chat", input="Capital?").output_text == "Paris."
    with pytest.raises(openai.RateLimitError):
        v1.responses.create(model="chat", input="Again?")
    assert sim.pending == []


def test_a_prime_aimed_at_responses_leaves_chat_completions_alone(v1: OpenAI, sim: AzureOpenAISimulator):
    sim.fail_next(503, operation="responses")
    chat = v1.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}])
    assert chat.choices[0].message.content == "This is a simulated answer to: hi"
    assert sim.pending == ["fail 503 for responses"]
    with pytest.raises(openai.InternalServerError) as failed:
        v1.responses.create(model="chat", input="hi")
    assert failed.value.status_code == 503


def test_a_stream_is_typed_events_in_order(azure: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.answer_next("one two three")
    events = list(azure.responses.create(model="chat", input="count", stream=True))
    kinds = [event.type for event in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert "".join(event.delta for event in events if event.type == "response.output_text.delta") == (  # type: ignore[union-attr]
        "one two three"
    )
    completed = events[-1].response  # type: ignore[union-attr]
    assert completed.output_text == "one two three"
    assert completed.usage is not None
    assert completed.usage.output_tokens == 3


def test_the_sdk_stream_helper_accumulates_the_final_response(v1: OpenAI):
    # responses.stream() rebuilds the response from the events: it fails on any event out of place.
    with v1.responses.stream(model="chat", input="hello there") as stream:
        texts = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == "This is a simulated answer to: hello there"


def test_the_raw_stream_framing(server: MockService, sim: AzureOpenAISimulator):
    sim.answer_next("hi")
    response = requests.post(
        server.url + "/openai/v1/responses",
        json={"model": "chat", "input": "x", "stream": True},
        headers={"api-key": KEY},
        timeout=10,
    )
    assert response.headers["Content-Type"].startswith("text/event-stream")
    blocks = response.text.strip().split("\n\n")
    assert blocks[0].startswith("event: response.created\ndata: {")
    for block in blocks:
        event_line, data_line = block.split("\n")
        data = json.loads(data_line.removeprefix("data: "))
        assert event_line == f"event: {data['type']}"
    assert "[DONE]" not in response.text  # unlike chat completions, the Responses API sends none


def test_a_tool_call_and_the_round_trip_with_its_output(v1: OpenAI, sim: AzureOpenAISimulator):
    sim.call_tool_next("get_weather", {"city": "Paris"})
    asked = v1.responses.create(model="chat", input="Weather in Paris?", tools=[WEATHER])  # type: ignore[list-item]
    (call,) = asked.output
    assert call.type == "function_call"
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Paris"})  # type: ignore[union-attr]
    assert call.call_id.startswith("call_")  # type: ignore[union-attr]

    sim.answer_next("It is sunny in Paris.")
    follow_up = v1.responses.create(
        model="chat",
        input=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": "get_weather",
                "arguments": call.arguments,
            },  # type: ignore[union-attr]
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},  # type: ignore[union-attr]
        ],
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert follow_up.output_text == "It is sunny in Paris."
    roles = [message["role"] for message in sim.last_call.messages]
    assert roles == ["user", "assistant", "tool"]
    assert sim.last_call.messages[2]["content"] == "sunny"


def test_a_streamed_tool_call(v1: OpenAI, sim: AzureOpenAISimulator):
    sim.call_tools_next([("get_weather", {"city": "Rome"}), ("get_weather", {"city": "Oslo"})])
    with v1.responses.stream(model="chat", input="Rome and Oslo?", tools=[WEATHER]) as stream:  # type: ignore[list-item]
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds.count("response.function_call_arguments.done") == 2
    assert "response.output_text.delta" not in kinds
    cities = [json.loads(item.arguments)["city"] for item in final.output]  # type: ignore[union-attr]
    assert cities == ["Rome", "Oslo"]


def test_a_required_tool_choice_gets_a_call_by_default(v1: OpenAI):
    response = v1.responses.create(
        model="chat",
        input="Weather?",
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "function", "name": "get_weather"},
    )
    (call,) = response.output
    assert call.name == "get_weather"  # type: ignore[union-attr]
    assert set(json.loads(call.arguments)) == {"city"}  # type: ignore[union-attr]


def test_a_json_schema_text_format_gets_valid_json_by_default(v1: OpenAI):
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    response = v1.responses.create(
        model="chat",
        input="Answer in JSON",
        text={"format": {"type": "json_schema", "name": "reply", "schema": schema}},
    )
    assert json.loads(response.output_text) == {"answer": "example"}


def test_max_output_tokens_leaves_the_answer_incomplete(v1: OpenAI, sim: AzureOpenAISimulator):
    long_answer = " ".join(f"word{n}" for n in range(40))
    sim.answer_next(long_answer, times=2)
    response = v1.responses.create(model="chat", input="Go on", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert long_answer.startswith(response.output_text)
    assert response.usage is not None
    assert response.usage.output_tokens == 16
    events = list(v1.responses.create(model="chat", input="Go on", max_output_tokens=16, stream=True))
    assert events[-1].type == "response.incomplete"


def test_an_answerer_sees_the_request_in_chat_terms(v1: OpenAI, sim: AzureOpenAISimulator):
    seen: list[ChatRequest] = []

    def answer(request: ChatRequest) -> str:
        seen.append(request)
        return f"{request.operation}: {request.last_user_message}"

    sim.set_answerer(answer)
    assert v1.responses.create(model="chat", input="ping").output_text == "responses: ping"
    assert v1.chat.completions.create(model="chat", messages=[{"role": "user", "content": "pong"}]).choices[
        0
    ].message.content == ("chat: pong")
    assert [request.operation for request in seen] == ["responses", "chat"]


def test_a_stream_primed_to_break_fails_the_iteration(v1: OpenAI, sim: AzureOpenAISimulator):
    sim.break_stream_next(5, then=faults.RESET, content="one two three four")
    stream = v1.responses.create(model="chat", input="count", stream=True)
    received: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(stream)
    # created, in_progress, item added, part added, one delta: then the reset.
    assert [event.type for event in received][-1] == "response.output_text.delta"
    assert len(received) == 5


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"model": "chat"}, 400, "missing_required_parameter", "input"),
        ({"model": "chat", "input": []}, 400, "empty_array", "input"),
        ({"model": "chat", "input": 7}, 400, "invalid_type", "input"),
        (
            {"model": "chat", "input": [{"content": "no role"}]},
            400,
            "missing_required_parameter",
            "input[0].role",
        ),
        (
            {"model": "chat", "input": [{"role": "tool", "content": "x"}]},
            400,
            "invalid_value",
            "input[0].role",
        ),
        (
            {"model": "chat", "input": "x", "max_output_tokens": 8},
            400,
            "integer_below_min_value",
            "max_output_tokens",
        ),
        (
            {"model": "chat", "input": "x", "tools": [{"type": "function"}]},
            400,
            "missing_required_parameter",
            "tools[0].name",
        ),
        ({"model": "embed", "input": "x"}, 400, "OperationNotSupported", None),
        ({"model": "nope", "input": "x"}, 404, "DeploymentNotFound", None),
        ({"input": "x"}, 400, "missing_required_parameter", "model"),
    ],
    ids=[
        "no-input",
        "empty-input",
        "input-not-text-or-list",
        "no-role",
        "tool-role",
        "max-output-below-16",
        "nameless-tool",
        "embeddings-deployment",
        "unknown-deployment",
        "no-model",
    ],
)
def test_bad_requests_get_the_service_envelope(
    server: MockService, body: dict[str, Any], status: int, code: str, param: str | None
):
    response = requests.post(
        server.url + "/openai/v1/responses", json=body, headers={"api-key": KEY}, timeout=10
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error.get("param") == param


def test_the_azure_path_needs_an_api_version_and_a_key(server: MockService):
    url = server.url + "/openai/responses"
    body = {"model": "chat", "input": "x"}
    assert requests.post(url, json=body, headers={"api-key": KEY}, timeout=10).status_code == 404
    assert requests.post(url, json=body, params={"api-version": API_VERSION}, timeout=10).status_code == 401
    answered = requests.post(
        url, json=body, params={"api-version": API_VERSION}, headers={"api-key": KEY}, timeout=10
    )
    assert answered.status_code == 200
    assert answered.json()["output"][0]["content"][0]["text"] == "This is a simulated answer to: x"
