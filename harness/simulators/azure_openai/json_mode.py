"""The default answer to ``response_format: {"type": "json_object"}`` (JSON mode), when nothing was
primed.

JSON mode promises only "valid JSON": the app says in its prompt what shape it wants, often with a
JSON schema (langchain's and many apps' "format instructions" embed one) or an example object. So
the messages are read, newest first, for the last JSON object written in them:

* a JSON schema (an object with ``properties``, or ``"type": "object"``) → a value valid against
  it (:func:`harness.simulators.azure_openai.examples.example`);
* any other JSON object → that object, as an example of the shape wanted;
* neither → ``{"answer": "<the default text>"}``, which fits no particular shape: prime the answer
  (``answer_next('{"city": "Paris"}')``) or ``set_answerer`` where the shape matters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from harness.simulators.azure_openai import examples, tokens

_DECODER = json.JSONDecoder()


def _objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects written in ``text``, outermost only, in order."""
    found: list[dict[str, Any]] = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = _DECODER.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = text.find("{", end)
    return found


def _is_schema(value: Mapping[str, Any]) -> bool:
    return isinstance(value.get("properties"), Mapping) or value.get("type") == "object"


def answer(messages: Iterable[Mapping[str, Any]], default_text: str) -> object:
    """The JSON value a JSON-mode request gets by default (see the module docstring)."""
    for message in reversed(list(messages)):
        written = _objects(tokens.content_text(message.get("content")))  # not its tool calls
        if written:
            last = written[-1]
            return examples.example(last) if _is_schema(last) else last
    return {"answer": default_text}
