"""The legacy ``functions`` / ``function_call`` API of chat completions (older than ``tools``, still
what some orchestrators send), driven by the official openai SDK: a call comes back in the form the
request asked for, plain and streamed, primed or by default, and the service's 400s."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai import AzureOpenAI

from harness.simulators.azure_openai import AzureOpenAISimulator

from . import test_sim_openai as chat_tests
from .test_sim_openai import ASK, WEATHER_TOOL

# The chat tests' fixtures: the simulator's service, its per-test bracket, and an SDK client.
server = chat_tests.server
sim = chat_tests.sim
client = chat_tests.client

SEARCH = {
    "name": "search_documents",
    "description": "Search the knowledge base.",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}, "top": {"type": "integer", "minimum": 1}},
        "required": ["query"],
    },
}
WEATHER = WEATHER_TOOL["function"]


def create(client: AzureOpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="chat", messages=ASK, **kwargs)


def test_a_primed_call_answers_as_a_function_call(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.call_tool_next("search_documents", {"query": "capital of France"})
    completion = create(client, functions=[SEARCH], function_call="auto")
    choice = completion.choices[0]
    assert choice.finish_reason == "function_call"
    assert choice.message.tool_calls is None  # the form the request asked for, not the newer one
    assert choice.message.content is None
    call = choice.message.function_call
    assert call.name == "search_documents"
    assert json.loads(call.arguments) == {"query": "capital of France"}
    (recorded,) = sim.calls
    assert recorded.tool_calls[0].name == "search_documents"


def test_a_streamed_function_call_reassembles(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.call_tool_next("search_documents", {"query": "capital of France", "top": 3})
    stream = create(client, functions=[SEARCH], stream=True)
    name, arguments, finish, roles = "", "", None, []
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            roles.append(choice.delta.role)
            assert choice.delta.tool_calls is None
            if choice.delta.function_call is not None:
                name += choice.delta.function_call.name or ""
                arguments += choice.delta.function_call.arguments or ""
    assert finish == "function_call"
    assert name == "search_documents"
    assert json.loads(arguments) == {"query": "capital of France", "top": 3}
    assert roles.count("assistant") == 1


def test_a_named_function_call_gets_schema_shaped_arguments_unprimed(client: AzureOpenAI):
    completion = create(client, functions=[WEATHER, SEARCH], function_call={"name": "search_documents"})
    choice = completion.choices[0]
    assert choice.finish_reason == "function_call"
    assert choice.message.function_call.name == "search_documents"
    arguments = json.loads(choice.message.function_call.arguments)
    assert isinstance(arguments["query"], str)
    assert set(arguments) <= {"query", "top"}


@pytest.mark.parametrize("function_call", ["auto", "none", None])
def test_without_a_forced_function_the_answer_is_text(client: AzureOpenAI, function_call: str | None):
    extra = {} if function_call is None else {"function_call": function_call}
    completion = create(client, functions=[SEARCH], **extra)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.function_call is None
    assert choice.message.content == "This is a simulated answer to: What is the capital of France?"


def test_parallel_calls_primed_for_a_functions_request_answer_the_first(
    client: AzureOpenAI, sim: AzureOpenAISimulator
):
    """The legacy API has one call per answer: the first primed call is the one the app gets."""
    sim.call_tools_next([("search_documents", {"query": "a"}), ("get_weather", {"city": "Rome"})])
    call = create(client, functions=[SEARCH, WEATHER]).choices[0].message.function_call
    assert (call.name, json.loads(call.arguments)) == ("search_documents", {"query": "a"})


def test_tools_in_the_same_request_answer_as_tool_calls(client: AzureOpenAI, sim: AzureOpenAISimulator):
    sim.call_tool_next("get_weather", {"city": "Paris"})
    choice = create(client, tools=[WEATHER_TOOL]).choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.function_call is None
    assert choice.message.tool_calls[0].function.name == "get_weather"


def test_a_function_result_message_continues_the_conversation(client: AzureOpenAI):
    messages = [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "search_documents", "arguments": "{}"},
        },
        {"role": "function", "name": "search_documents", "content": "Paris is the capital of France."},
        {"role": "user", "content": "Thanks. And Spain?"},
    ]
    completion = client.chat.completions.create(model="chat", messages=messages, functions=[SEARCH])  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "This is a simulated answer to: Thanks. And Spain?"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"function_call": "auto"},
            "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are "
            "specified.",
        ),
        (
            {"functions": [SEARCH], "function_call": {"name": "nope"}},
            "Invalid value for 'function_call': no function named 'nope' was specified in the 'functions' "
            "parameter.",
        ),
        ({"functions": [SEARCH], "function_call": "sometimes"}, "Invalid value: 'sometimes'."),
        ({"functions": [{"description": "no name"}]}, "Missing required parameter: 'functions[0].name'."),
        ({"functions": {"name": "x"}}, "Invalid type for 'functions': expected an array"),
    ],
)
def test_the_service_s_400s(client: AzureOpenAI, kwargs: dict[str, Any], message: str):
    with pytest.raises(openai.BadRequestError) as raised:
        create(client, **kwargs)
    assert raised.value.status_code == 400
    assert message in str(raised.value)


def test_fields_the_service_accepts_are_accepted_alongside_functions(
    client: AzureOpenAI, sim: AzureOpenAISimulator
):
    sim.call_tool_next("search_documents", {"query": "x"})
    completion = create(
        client,
        functions=[SEARCH],
        user="user-1",
        seed=7,
        temperature=0,
        presence_penalty=0.5,
        extra_body={"data_sources": None, "some_future_option": {"on": True}},
    )
    assert completion.choices[0].finish_reason == "function_call"
