"""The Azure OpenAI simulator driven by langchain-openai's ``AzureChatOpenAI``: invoke, stream, tool
calls and every structured-output method, with nothing but the simulator's defaults and primes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.tools import tool
from langchain_openai import AzureChatOpenAI
from pydantic import BaseModel

from harness.mocks.server import MockService
from harness.simulators.azure_openai import AzureOpenAISimulator

from . import test_sim_openai as chat_tests
from .test_sim_openai import API_VERSION, KEY

# The chat tests' fixtures: the simulator's service and its per-test bracket.
server = chat_tests.server
sim = chat_tests.sim


class City(BaseModel):
    name: str
    population: int


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


@pytest.fixture
def llm(server: MockService, sim: AzureOpenAISimulator) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=server.url,
        api_key=KEY,  # type: ignore[arg-type]
        api_version=API_VERSION,
        azure_deployment="chat",
        max_retries=0,
    )


def test_invoke_gets_the_default_answer(llm: AzureChatOpenAI, sim: AzureOpenAISimulator):
    message = llm.invoke("What is the capital of France?")
    assert message.content == "This is a simulated answer to: What is the capital of France?"
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] > 0
    assert sim.last_call.messages[-1]["content"] == "What is the capital of France?"


def test_stream_reassembles_a_primed_answer(llm: AzureChatOpenAI, sim: AzureOpenAISimulator):
    sim.answer_next("Paris is the capital of France.")
    chunks = list(llm.stream("What is the capital of France?"))
    assert len(chunks) > 3
    assert "".join(str(chunk.content) for chunk in chunks) == "Paris is the capital of France."


def test_bound_tools_get_the_primed_call(llm: AzureChatOpenAI, sim: AzureOpenAISimulator):
    sim.call_tool_next("get_weather", {"city": "Paris"}, call_id="call_1")
    message: Any = llm.bind_tools([get_weather]).invoke("What is the weather in Paris?")
    assert message.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    ]
    assert sim.last_call.body["tools"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output_parses_unprimed(llm: AzureChatOpenAI, method: str):
    city = llm.with_structured_output(City, method=method).invoke("The capital of France?")  # type: ignore[arg-type]
    assert isinstance(city, City)


def test_json_mode_answers_the_schema_the_format_instructions_carry(llm: AzureChatOpenAI):
    """JSON mode: the shape is in the prompt, as langchain's format instructions write it."""
    instructions = PydanticOutputParser(pydantic_object=City).get_format_instructions()
    structured = llm.with_structured_output(City, method="json_mode")
    city = structured.invoke(f"The capital of France?\n{instructions}")
    assert isinstance(city, City)


def test_json_mode_primed_answer_wins(llm: AzureChatOpenAI, sim: AzureOpenAISimulator):
    sim.answer_next('{"name": "Paris", "population": 2100000}')
    city = llm.with_structured_output(City, method="json_mode").invoke("The capital of France, as JSON.")
    assert city == City(name="Paris", population=2100000)
