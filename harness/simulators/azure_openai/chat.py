"""Chat completions: checking the request, the default answer, and the (non-streamed) response body."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.simulators.azure_openai import examples, json_mode, logprobs, tokens
from harness.simulators.azure_openai.priming import Reply, ToolCall

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
#: What the service says about content nobody filtered.
SAFE = {name: {"filtered": False, "severity": "safe"} for name in ("hate", "self_harm", "sexual", "violence")}
PROMPT_FILTER = [
    {
        "prompt_index": 0,
        "content_filter_results": {**SAFE, "jailbreak": {"filtered": False, "detected": False}},
    }
]
#: The string values of the legacy ``function_call`` (an object names the function to call).
FUNCTION_CALL_MODES = ("none", "auto")


class InvalidRequest(Exception):
    """The request body is invalid: ``message``, ``param`` and ``code`` for the 400 envelope."""

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def kind_of(value: object) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array"}
    return (
        "an object"
        if isinstance(value, Mapping)
        else names.get(type(value), "null" if value is None else "a value")
    )


def missing(param: str) -> InvalidRequest:
    """The service's 400 for a required parameter that is absent."""
    return InvalidRequest(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def wrong_type(param: str, value: object, expected: str) -> InvalidRequest:
    """The service's 400 for a parameter of the wrong JSON type (``expected``: "an array"...)."""
    return InvalidRequest(
        f"Invalid type for '{param}': expected {expected}, but got {kind_of(value)} instead.",
        param,
        "invalid_type",
    )


def empty_array(param: str) -> InvalidRequest:
    """The service's 400 for an array parameter that must not be empty."""
    return InvalidRequest(
        f"Invalid '{param}': empty array. Expected an array with minimum length 1, "
        "but got an empty array instead.",
        param,
        "empty_array",
    )


def check_role(message: Mapping[str, Any], where: str, roles: tuple[str, ...]) -> str:
    """The ``role`` of the message at ``where``, which must be one of ``roles``."""
    role = message.get("role")
    if role is None:
        raise missing(f"{where}.role")
    if role not in roles:
        supported = ", ".join(f"'{r}'" for r in roles)
        raise InvalidRequest(
            f"Invalid value: '{role}'. Supported values are: {supported}.", f"{where}.role", "invalid_value"
        )
    return str(role)


def require_type(body: Mapping[str, Any], key: str, types: tuple[type, ...], expected: str) -> None:
    value = body.get(key)
    if value is None:
        return
    if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
        raise wrong_type(key, value, expected)


def require_min(body: Mapping[str, Any], key: str, minimum: int) -> None:
    value = body.get(key)
    if isinstance(value, int) and value < minimum:
        raise InvalidRequest(
            f"Invalid '{key}': integer below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            key,
            "integer_below_min_value",
        )


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat completions request, as answerers see it."""

    deployment: str
    model: str
    body: Mapping[str, Any]
    messages: tuple[Mapping[str, Any], ...]
    stream: bool
    include_usage: bool
    tools: tuple[Mapping[str, Any], ...] = field(default=())
    #: The legacy ``functions`` (each a name, description and parameters), older than ``tools``.
    functions: tuple[Mapping[str, Any], ...] = field(default=())
    #: "chat" (chat completions), or "responses": a Responses API call translated into chat terms
    #: (``body`` then holds the translated tool_choice, response_format and token limit).
    operation: str = "chat"

    @property
    def last_user_message(self) -> str:
        """The text of the last ``user`` message ('' if there is none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return tokens.message_text(message)
        return ""

    @property
    def max_tokens(self) -> int | None:
        """``max_completion_tokens`` or ``max_tokens``, if the request limits the answer."""
        value = self.body.get("max_completion_tokens", self.body.get("max_tokens"))
        return value if isinstance(value, int) else None

    @property
    def choices(self) -> int:
        value = self.body.get("n")
        return value if isinstance(value, int) else 1

    @property
    def logprobs(self) -> bool:
        """Whether the answer's token log-probabilities are asked for (``logprobs: true``)."""
        return self.body.get("logprobs") is True

    @property
    def top_logprobs(self) -> int:
        """How many likeliest tokens to list per position (``top_logprobs``, 0 if unset)."""
        value = self.body.get("top_logprobs")
        return value if isinstance(value, int) else 0

    @property
    def answers_with_function_call(self) -> bool:
        """The request offers legacy ``functions`` (and no ``tools``): a call is answered as
        ``message.function_call`` with finish reason "function_call", one call at most."""
        return bool(self.functions) and not self.tools

    @property
    def prompt_tokens(self) -> int:
        return tokens.prompt_tokens(self.messages, list(self.tools) or list(self.functions) or None)


def parse(deployment: str, model: str, body: Mapping[str, Any]) -> ChatRequest:
    """Check ``body`` as the service does; :class:`InvalidRequest` names the first problem."""
    messages = body.get("messages")
    if messages is None:
        raise missing("messages")
    if not isinstance(messages, list):
        raise wrong_type("messages", messages, "an array")
    if not messages:
        raise empty_array("messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise wrong_type(where, message, "an object")
        check_role(message, where, ROLES)
    require_type(body, "stream", (bool,), "a boolean")
    for key in ("max_tokens", "max_completion_tokens", "n"):
        require_type(body, key, (int,), "an integer")
        require_min(body, key, 1)
    require_type(body, "tools", (list,), "an array")
    tools = tuple(body.get("tools") or ())
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise missing(f"tools[{index}].function.name")
    functions = _checked_functions(body)
    _check_logprobs(body)
    options = body.get("stream_options")
    include_usage = isinstance(options, Mapping) and options.get("include_usage") is True
    return ChatRequest(
        deployment,
        model,
        body,
        tuple(messages),
        body.get("stream") is True,
        include_usage,
        tools,
        functions,
    )


def _check_logprobs(body: Mapping[str, Any]) -> None:
    """``logprobs`` a boolean; ``top_logprobs`` 0-20, and only with ``logprobs`` on."""
    require_type(body, "logprobs", (bool,), "a boolean")
    require_type(body, "top_logprobs", (int,), "an integer")
    require_min(body, "top_logprobs", 0)
    top = body.get("top_logprobs")
    if isinstance(top, int) and top > logprobs.MAX_TOP:
        raise InvalidRequest(
            f"Invalid 'top_logprobs': integer above maximum value. Expected a value <= {logprobs.MAX_TOP}, "
            f"but got {top} instead.",
            "top_logprobs",
            "integer_above_max_value",
        )
    if top is not None and body.get("logprobs") is not True:
        raise InvalidRequest(
            "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.", "top_logprobs"
        )


def _checked_functions(body: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """The legacy ``functions`` and ``function_call`` ("none", "auto" or ``{"name": ...}`` naming
    one of the functions), checked as the service checks them."""
    require_type(body, "functions", (list,), "an array")
    functions = tuple(body.get("functions") or ())
    for index, function in enumerate(functions):
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise missing(f"functions[{index}].name")
    choice = body.get("function_call")
    if choice is None:
        return functions
    if not functions:
        raise InvalidRequest(
            "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are "
            "specified.",
            "function_call",
        )
    if isinstance(choice, str):
        if choice not in FUNCTION_CALL_MODES:
            raise InvalidRequest(
                f"Invalid value: '{choice}'. Supported values are: 'none' and 'auto'.",
                "function_call",
                "invalid_value",
            )
        return functions
    if not isinstance(choice, Mapping):
        raise wrong_type("function_call", choice, "a string or an object")
    name = choice.get("name")
    if not isinstance(name, str):
        raise missing("function_call.name")
    if all(function["name"] != name for function in functions):
        raise InvalidRequest(
            f"Invalid value for 'function_call': no function named '{name}' was specified in the "
            "'functions' parameter.",
            "function_call",
        )
    return functions


# -- the default answer -------------------------------------------------------------------------------


def _forced_tool(request: ChatRequest) -> Mapping[str, Any] | None:
    """The tool ``tool_choice`` forces (a named function, or the first one for "required"), or the
    legacy function ``function_call`` names."""
    if request.answers_with_function_call:
        named_function = request.body.get("function_call")
        if not isinstance(named_function, Mapping):
            return None
        return next((f for f in request.functions if f.get("name") == named_function.get("name")), None)
    choice = request.body.get("tool_choice")
    functions: list[Mapping[str, Any]] = [tool["function"] for tool in request.tools]
    if choice == "required" and functions:
        return functions[0]
    if isinstance(choice, Mapping):
        named = choice.get("function")
        name = named.get("name") if isinstance(named, Mapping) else None
        return next((f for f in functions if f.get("name") == name), None)
    return None


def default_reply(request: ChatRequest, template: str) -> Reply:
    """The deterministic answer when nothing was primed: ``template`` with ``{prompt}`` the last
    user message; a call of the forced tool; valid JSON when the response format asks for it."""
    forced = _forced_tool(request)
    if forced is not None:
        arguments = json.dumps(examples.example(forced.get("parameters")))
        return Reply(tool_calls=(ToolCall(str(forced["name"]), arguments),))
    text = template.format(prompt=request.last_user_message)
    response_format = request.body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind == "json_object":
        text = json.dumps(json_mode.answer(request.messages, text))
    elif kind == "json_schema" and isinstance(response_format, Mapping):
        spec = response_format.get("json_schema")
        text = json.dumps(examples.example(spec.get("schema") if isinstance(spec, Mapping) else None))
    return Reply(content=text)


def in_requested_form(request: ChatRequest, reply: Reply) -> Reply:
    """``reply`` as the request can receive it: to a request with legacy ``functions`` a call is
    one ``function_call`` (the first primed call; that API has no parallel calls), finishing with
    "function_call"."""
    if not request.answers_with_function_call or not reply.tool_calls:
        return reply
    return Reply(
        content=reply.content,
        tool_calls=reply.tool_calls[:1],
        finish_reason=reply.finish_reason or "function_call",
    )


def truncated(reply: Reply, limit: int | None) -> Reply:
    """``reply`` cut to ``limit`` tokens (finish reason "length"), as a model stops at max_tokens."""
    if limit is None or reply.content is None or reply.tool_calls:
        return reply
    parts = tokens.pieces(reply.content)
    if len(parts) <= limit:
        return reply
    return Reply(content="".join(parts[:limit]), finish_reason="length")


def completion_tokens(reply: Reply) -> int:
    """Approximate completion tokens of ``reply`` (text, plus each call's name and arguments)."""
    total = tokens.count(reply.content or "")
    for call in reply.tool_calls:
        total += tokens.count(call.name) + tokens.count(call.arguments) + tokens.TOKENS_PER_MESSAGE
    return total


# -- the response body --------------------------------------------------------------------------------


def new_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:29]


def call_ids(reply: Reply) -> list[str]:
    """The ids of ``reply``'s tool calls (primed ones, or fresh ``call_...`` ids)."""
    return [call.id or "call_" + uuid.uuid4().hex[:24] for call in reply.tool_calls]


def tool_calls_json(reply: Reply, ids: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": ids[i], "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        for i, call in enumerate(reply.tool_calls)
    ]


def usage(prompt: int, completion: int) -> dict[str, Any]:
    """The ``usage`` object, with the detail fields current API versions send."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def answer_logprobs(request: ChatRequest, reply: Reply) -> dict[str, Any] | None:
    """A choice's ``logprobs``: None unless asked for; for a text answer, one entry per token."""
    if not request.logprobs:
        return None
    if reply.content is None:
        return {"content": None, "refusal": None}
    return logprobs.content(tokens.pieces(reply.content), request.top_logprobs)


def completion(
    request: ChatRequest, reply: Reply, prompt: int, completion_count: int, *, fingerprint: str
) -> dict[str, Any]:
    """The ``chat.completion`` body Azure sends (with its content filter annotations)."""
    choices = []
    for index in range(request.choices):
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        if reply.tool_calls and request.answers_with_function_call:
            call = reply.tool_calls[0]
            message["function_call"] = {"name": call.name, "arguments": call.arguments}
        elif reply.tool_calls:
            message["tool_calls"] = tool_calls_json(reply, call_ids(reply))
        choices.append(
            {
                "index": index,
                "finish_reason": reply.finish,
                "logprobs": answer_logprobs(request, reply),
                "message": message,
                "content_filter_results": {} if reply.tool_calls else SAFE,
            }
        )
    return {
        "id": new_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "system_fingerprint": fingerprint,
        "prompt_filter_results": PROMPT_FILTER,
        "choices": choices,
        "usage": usage(prompt, completion_count * request.choices),
    }
