"""The Azure OpenAI simulator's default structured answers: a value valid against the request's JSON
schema, so ``client.chat.completions.parse(response_format=Model)`` and
``client.responses.parse(text_format=Model)`` get a parsed object with nothing primed."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

import jsonschema
import pytest
from openai import OpenAI
from pydantic import BaseModel

from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_openai.examples import example

from . import test_sim_openai as chat_tests
from .test_sim_openai import KEY

# The chat tests' fixtures, one instance per module: the simulator's service and its per-test bracket.
server = chat_tests.server
sim = chat_tests.sim

ADDRESS = {"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"]}
SCHEMAS: dict[str, dict[str, Any]] = {
    "nested $ref": {
        "$defs": {"Address": ADDRESS},
        "type": "object",
        "properties": {"home": {"$ref": "#/$defs/Address"}, "name": {"type": "string"}},
        "required": ["home", "name"],
    },
    "definitions $ref": {"definitions": {"A": ADDRESS}, "$ref": "#/definitions/A"},
    "anyOf with null": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]},
    "oneOf": {"oneOf": [{"type": "string", "minLength": 12}, {"type": "boolean"}]},
    "enum and const": {
        "type": "object",
        "properties": {"colour": {"enum": ["red", "blue"]}, "kind": {"const": "fixed"}},
        "required": ["colour", "kind"],
    },
    "allOf": {
        "allOf": [
            ADDRESS,
            {"type": "object", "properties": {"zip": {"type": "integer"}}, "required": ["zip"]},
        ]
    },
    "array with minItems": {
        "type": "array",
        "items": {"$ref": "#/$defs/A"},
        "minItems": 2,
        "$defs": {"A": ADDRESS},
    },
    "string formats": {
        "type": "object",
        "properties": {
            name: {"type": "string", "format": name} for name in ("date-time", "date", "email", "uuid")
        },
    },
    "number bounds": {
        "type": "object",
        "properties": {
            "at_least_5": {"type": "integer", "minimum": 5},
            "above_0": {"type": "integer", "exclusiveMinimum": 0},
            "at_most_minus_3": {"type": "number", "maximum": -3},
            "below_minus_1": {"type": "number", "exclusiveMaximum": -1},
        },
    },
    "type list": {"type": ["null", "string"]},
    "default": {"type": "integer", "default": 42, "minimum": 40},
    "self-reference": {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
                "required": ["next"],
            }
        },
        "$ref": "#/$defs/Node",
    },
    "no required list: every property": {
        "type": "object",
        "properties": {"a": {"type": "boolean"}, "b": {"type": "array", "items": {"type": "string"}}},
    },
}


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_the_example_is_valid_against_its_schema(schema: dict[str, Any]):
    value = example(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(value)
    assert example(schema) == value  # the same on every call


class Colour(str, Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip_code: int


class Person(BaseModel):
    name: str
    age: int
    tags: list[str]
    home: Address
    previous: list[Address]
    colour: Colour
    kind: Literal["employee", "contractor"]
    nickname: str | None
    ratio: int | float


EXPECTED = Person(
    name="example",
    age=0,
    tags=[],
    home=Address(street="example", zip_code=0),
    previous=[],
    colour=Colour.RED,
    kind="employee",
    nickname="example",
    ratio=0,
)


def test_a_pydantic_model_through_chat_completions_parse(server: Any, sim: AzureOpenAISimulator):
    client = OpenAI(base_url=server.url + "/openai/v1", api_key=KEY, max_retries=0)
    completion = client.chat.completions.parse(
        model="chat", messages=[{"role": "user", "content": "Who?"}], response_format=Person
    )
    assert completion.choices[0].message.parsed == EXPECTED
    assert sim.last_call.answered_by == "default"


def test_a_pydantic_model_through_responses_parse(server: Any, sim: AzureOpenAISimulator):
    client = OpenAI(base_url=server.url + "/openai/v1", api_key=KEY, max_retries=0)
    response = client.responses.parse(model="chat", input="Who?", text_format=Person)
    assert response.output_parsed == EXPECTED


def test_a_forced_tool_gets_arguments_valid_against_its_parameters(server: Any, sim: AzureOpenAISimulator):
    client = OpenAI(base_url=server.url + "/openai/v1", api_key=KEY, max_retries=0)
    parameters = Person.model_json_schema()
    completion = client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "Add a person"}],
        tools=[{"type": "function", "function": {"name": "add_person", "parameters": parameters}}],
        tool_choice={"type": "function", "function": {"name": "add_person"}},
    )
    (call,) = completion.choices[0].message.tool_calls or []
    assert Person.model_validate_json(call.function.arguments) == EXPECTED  # type: ignore[union-attr]
