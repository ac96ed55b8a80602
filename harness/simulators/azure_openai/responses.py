"""The Responses API (``client.responses.create``): the request checked and translated into chat
terms, the ``response`` object, and its stream of typed events.

Translating the request into a :class:`~harness.simulators.azure_openai.chat.ChatRequest` (the
``instructions`` as a system message, ``input`` items as messages, function tools and
``tool_choice`` and ``text.format`` in their chat spelling) lets one set of machinery answer both
APIs: primed answers and tool calls, ``answer_with`` answerers, the default answer, token counts,
rate limits and latency.

A stream is ``event: <type>`` plus ``data: <json>`` per event, every event numbered by its
``sequence_number``: ``response.created``, ``response.in_progress``, then per output item
``response.output_item.added``, its content (``response.content_part.added``, one
``response.output_text.delta`` per token, ``response.output_text.done``,
``response.content_part.done``; or for a function call ``response.function_call_arguments.delta``
per token and ``.done``), ``response.output_item.done``; last ``response.completed`` (or
``response.incomplete`` when ``max_output_tokens`` cut the answer). There is no ``[DONE]``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from harness.faults.sse import SSEEvent
from harness.simulators.azure_openai import chat, tokens
from harness.simulators.azure_openai.chat import ChatRequest, InvalidRequest
from harness.simulators.azure_openai.priming import Reply

#: The roles an input message can have (the Responses API has no "tool" role: tool results are
#: ``function_call_output`` items).
ROLES = ("system", "developer", "user", "assistant")
#: The smallest ``max_output_tokens`` the service takes.
MIN_OUTPUT_TOKENS = 16
#: Why an answer is incomplete, by the chat finish reason that made it so.
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


# -- the request ---------------------------------------------------------------------------------------


def parse(deployment: str, model: str, body: Mapping[str, Any]) -> ChatRequest:
    """Check ``body`` as the service does (:class:`InvalidRequest` names the first problem) and
    translate it into the chat request answerers see (``operation == "responses"``)."""
    messages: list[Mapping[str, Any]] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise chat.wrong_type("instructions", instructions, "a string")
        messages.append({"role": "system", "content": instructions})
    messages += _input_messages(body.get("input"))
    chat.require_type(body, "stream", (bool,), "a boolean")
    chat.require_type(body, "max_output_tokens", (int,), "an integer")
    chat.require_min(body, "max_output_tokens", MIN_OUTPUT_TOKENS)
    tools = _function_tools(body.get("tools"))
    translated: dict[str, Any] = {}
    choice = _tool_choice(body.get("tool_choice"))
    if choice is not None:
        translated["tool_choice"] = choice
    response_format = _response_format(body.get("text"))
    if response_format is not None:
        translated["response_format"] = response_format
    if isinstance(body.get("max_output_tokens"), int):
        translated["max_completion_tokens"] = body["max_output_tokens"]
    return ChatRequest(
        deployment,
        model,
        translated,
        tuple(messages),
        body.get("stream") is True,
        False,
        tuple(tools),
        operation="responses",
    )


def messages_of(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The chat messages a (valid) Responses body amounts to; [] when it is not valid."""
    try:
        return list(parse("", "", body).messages)
    except InvalidRequest:
        return []


def _input_messages(value: object) -> list[Mapping[str, Any]]:
    if value is None:
        raise chat.missing("input")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise chat.wrong_type("input", value, "a string or an array")
    if not value:
        raise chat.empty_array("input")
    messages: list[Mapping[str, Any]] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, Mapping):
            raise chat.wrong_type(where, item, "an object")
        message = _input_item(item, where)
        if message is not None:
            messages.append(message)
    return messages


def _input_item(item: Mapping[str, Any], where: str) -> Mapping[str, Any] | None:
    """One input item as a chat message (None: an item the prompt does not need, e.g. reasoning)."""
    kind = item.get("type", "message")
    if kind == "message":
        return {"role": chat.check_role(item, where, ROLES), "content": item.get("content", "")}
    if kind == "function_call":
        for key in ("call_id", "name", "arguments"):
            if not isinstance(item.get(key), str):
                raise chat.missing(f"{where}.{key}")
        call = {
            "id": item["call_id"],
            "type": "function",
            "function": {"name": item["name"], "arguments": item["arguments"]},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    if kind == "function_call_output":
        if not isinstance(item.get("call_id"), str):
            raise chat.missing(f"{where}.call_id")
        output = item.get("output")
        return {
            "role": "tool",
            "tool_call_id": item["call_id"],
            "content": output if isinstance(output, str) else "",
        }
    return None


def _function_tools(value: object) -> list[Mapping[str, Any]]:
    """Function tools in the chat spelling; built-in tools (web search...) the simulator cannot run
    are left out of the prompt."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise chat.wrong_type("tools", value, "an array")
    found: list[Mapping[str, Any]] = []
    for index, tool in enumerate(value):
        if not isinstance(tool, Mapping):
            raise chat.wrong_type(f"tools[{index}]", tool, "an object")
        if tool.get("type") != "function":
            continue
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise chat.missing(f"tools[{index}].name")
        function = {key: tool[key] for key in ("name", "description", "parameters", "strict") if key in tool}
        found.append({"type": "function", "function": function})
    return found


def _tool_choice(value: object) -> object:
    if isinstance(value, Mapping) and value.get("type") == "function":
        return {"type": "function", "function": {"name": value.get("name")}}
    return value


def _response_format(value: object) -> Mapping[str, Any] | None:
    spec = value.get("format") if isinstance(value, Mapping) else None
    if not isinstance(spec, Mapping):
        return None
    if spec.get("type") == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": spec.get("name"), "schema": spec.get("schema")},
        }
    return {"type": spec.get("type")}


# -- the response --------------------------------------------------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


class Answer:
    """One answer in Responses form: its output items (ids fixed once, so the stream and the final
    object agree) and the response object around them."""

    def __init__(self, request: ChatRequest, reply: Reply, raw: Mapping[str, Any]) -> None:
        self.request, self.reply, self.raw = request, reply, raw
        self.id = new_id("resp")
        self.created_at = int(time.time())
        self.message_id = new_id("msg")
        self.call_ids = chat.call_ids(reply)
        self.item_ids = [new_id("fc") for _ in reply.tool_calls]

    @property
    def incomplete_reason(self) -> str | None:
        return _INCOMPLETE.get(self.reply.finish)

    @property
    def has_message(self) -> bool:
        return self.reply.content is not None or not self.reply.tool_calls

    def message(self, text: str | None = None, *, done: bool = True) -> dict[str, Any]:
        content = [] if text is None else [output_text(text)]
        status = (
            "completed"
            if done and self.incomplete_reason is None
            else "incomplete"
            if done
            else "in_progress"
        )
        return {
            "id": self.message_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    def function_call(self, index: int, arguments: str | None = None, *, done: bool = True) -> dict[str, Any]:
        call = self.reply.tool_calls[index]
        return {
            "id": self.item_ids[index],
            "type": "function_call",
            "status": "completed" if done else "in_progress",
            "call_id": self.call_ids[index],
            "name": call.name,
            "arguments": call.arguments if arguments is None else arguments,
        }

    def output(self) -> list[dict[str, Any]]:
        items = [self.message(self.reply.content or "")] if self.has_message else []
        return items + [self.function_call(index) for index in range(len(self.reply.tool_calls))]

    def response(
        self,
        prompt: int,
        completion: int,
        *,
        status: str | None = None,
        output: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The ``response`` object: finished (with usage) unless ``status`` says otherwise."""
        final = status is None
        reason = self.incomplete_reason
        raw = self.raw
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": ("incomplete" if reason else "completed") if final else status,
            "error": None,
            "incomplete_details": {"reason": reason} if final and reason else None,
            "instructions": raw.get("instructions"),
            "max_output_tokens": raw.get("max_output_tokens"),
            "model": self.request.model,
            "output": self.output() if output is None else output,
            "parallel_tool_calls": raw.get("parallel_tool_calls", True),
            "previous_response_id": raw.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "store": raw.get("store", True),
            "temperature": raw.get("temperature", 1.0),
            "text": raw.get("text", {"format": {"type": "text"}}),
            "tool_choice": raw.get("tool_choice", "auto"),
            "tools": raw.get("tools", []),
            "top_p": raw.get("top_p", 1.0),
            "truncation": raw.get("truncation", "disabled"),
            "usage": usage(prompt, completion) if final else None,
            "user": raw.get("user"),
            "metadata": raw.get("metadata", {}),
        }


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


#: A stream event and the wait before it (seconds).
Item = tuple[SSEEvent, float]


def events(answer: Answer, prompt: int, completion: int, token_delay: Callable[[], float]) -> list[Item]:
    """Every event of the stream, numbered, with the wait before it (``token_delay()`` per token)."""
    items: list[Item] = []

    def emit(kind: str, wait: float = 0.0, **fields: Any) -> None:
        data = {"type": kind, "sequence_number": len(items), **fields}
        items.append((SSEEvent(data, event=kind), wait))

    emit("response.created", response=answer.response(0, 0, status="in_progress", output=[]))
    emit("response.in_progress", response=answer.response(0, 0, status="in_progress", output=[]))
    index = 0
    if answer.has_message:
        text = answer.reply.content or ""
        where: dict[str, Any] = {"item_id": answer.message_id, "output_index": index}
        emit("response.output_item.added", output_index=index, item=answer.message(done=False))
        emit("response.content_part.added", **where, content_index=0, part=output_text(""))
        for piece in tokens.pieces(text):
            emit(
                "response.output_text.delta",
                token_delay(),
                **where,
                content_index=0,
                delta=piece,
                logprobs=[],
            )
        emit("response.output_text.done", **where, content_index=0, text=text, logprobs=[])
        emit("response.content_part.done", **where, content_index=0, part=output_text(text))
        emit("response.output_item.done", output_index=index, item=answer.message(text))
        index += 1
    for number, call in enumerate(answer.reply.tool_calls):
        where = {"item_id": answer.item_ids[number], "output_index": index}
        emit(
            "response.output_item.added",
            output_index=index,
            item=answer.function_call(number, "", done=False),
        )
        for piece in tokens.pieces(call.arguments):
            emit("response.function_call_arguments.delta", token_delay(), **where, delta=piece)
        emit("response.function_call_arguments.done", **where, arguments=call.arguments, name=call.name)
        emit("response.output_item.done", output_index=index, item=answer.function_call(number))
        index += 1
    last = "response.incomplete" if answer.incomplete_reason else "response.completed"
    emit(last, response=answer.response(prompt, completion))
    return items
