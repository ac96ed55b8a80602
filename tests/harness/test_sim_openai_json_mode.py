"""JSON mode (``response_format: {"type": "json_object"}``) unprimed: the shape the prompt asks for,
read from a JSON schema or an example object written in the messages, newest first."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from openai import AzureOpenAI

from . import test_sim_openai as chat_tests

# The chat tests' fixtures: the simulator's service, its per-test bracket, and an SDK client.
server = chat_tests.server
sim = chat_tests.sim
client = chat_tests.client

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "population": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["city", "population", "tags"],
}


def json_answer(client: AzureOpenAI, *messages: dict[str, Any]) -> Any:
    completion = client.chat.completions.create(
        model="chat",
        messages=list(messages),  # type: ignore[arg-type]
        response_format={"type": "json_object"},
    )
    return json.loads(completion.choices[0].message.content or "")


def test_a_schema_in_the_system_message_shapes_the_answer(client: AzureOpenAI):
    system = {
        "role": "system",
        "content": f"Reply in JSON matching this schema:\n```json\n{json.dumps(SCHEMA)}\n```",
    }
    answer = json_answer(client, system, {"role": "user", "content": "Tell me about Paris."})
    jsonschema.validate(answer, SCHEMA)


def test_an_example_object_is_answered_as_the_shape_wanted(client: AzureOpenAI):
    prompt = 'Extract the city. Answer like {"city": "Rome", "country": "Italy"} and nothing else.'
    assert json_answer(client, {"role": "user", "content": prompt}) == {"city": "Rome", "country": "Italy"}


def test_the_newest_message_with_json_wins_and_braces_that_are_not_json_are_skipped(client: AzureOpenAI):
    older = {"role": "system", "content": 'Old format: {"a": 1}'}
    newer = {"role": "user", "content": 'Use {this} style: {"b": [1, 2]} {not json either'}
    assert json_answer(client, older, newer) == {"b": [1, 2]}


def test_without_json_in_the_prompt_the_answer_is_wrapped(client: AzureOpenAI):
    answer = json_answer(client, {"role": "user", "content": "Capital of France, in JSON please."})
    assert answer == {"answer": "This is a simulated answer to: Capital of France, in JSON please."}
