"""Streamed chat completions, framed exactly as Azure OpenAI sends them.

``Content-Type: text/event-stream``, one ``data: <json>\\n\\n`` event per chunk, in this order:

1. the prompt-filter chunk: empty ``choices``, empty ``id``/``model``, ``prompt_filter_results``;
2. per choice: the role delta (``{"role": "assistant", "content": ""}``; for tool calls the first
   call's id and name; for a legacy ``function_call`` its name), then one delta per token (content,
   or each call's arguments), then a delta ``{}`` with the ``finish_reason``;
3. with ``stream_options.include_usage``: a chunk with empty ``choices`` and the ``usage`` (every
   chunk before it carries ``"usage": null``, as the service does);
4. ``data: [DONE]``.

A normal stream is a werkzeug streaming response, paced by the per-token delay; a stream a test
primed to break is played through :func:`harness.faults.sse`, which cuts the connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault
from harness.faults.sse import DONE, EventLike, Marker, SSEEvent, encode, pause, sse
from harness.simulators.azure_openai import chat, logprobs, tokens
from harness.simulators.azure_openai.latency import Pacer
from harness.simulators.azure_openai.priming import Reply

#: A stream event and the wait before it (seconds).
Item = tuple[SSEEvent | dict[str, Any] | str, float]


def _choice(index: int, delta: dict[str, Any], finish: str | None, filtered: bool) -> dict[str, Any]:
    return {
        "index": index,
        "delta": delta,
        "finish_reason": finish,
        "logprobs": None,
        "content_filter_results": chat.SAFE if filtered else {},
    }


def events(
    request: chat.ChatRequest,
    reply: Reply,
    prompt: int,
    completion: int,
    token_delay: Callable[[], float],
    *,
    fingerprint: str,
) -> list[Item]:
    """Every event of the stream with the wait before it (``token_delay()`` per token)."""
    ident, created = chat.new_id(), int(time.time())
    head = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": request.model,
        "system_fingerprint": fingerprint,
    }
    if request.include_usage:
        head["usage"] = None

    def chunk(*choices: dict[str, Any]) -> dict[str, Any]:
        return {**head, "choices": list(choices)}

    items: list[Item] = [
        (
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": chat.PROMPT_FILTER,
            },
            0.0,
        )
    ]
    for index in range(request.choices):
        ids = chat.call_ids(reply)
        if reply.tool_calls and request.answers_with_function_call:
            call = reply.tool_calls[0]
            named = {"name": call.name, "arguments": ""}
            opening = {"role": "assistant", "content": None, "refusal": None, "function_call": named}
            items.append((chunk(_choice(index, opening, None, False)), 0.0))
            for piece in tokens.pieces(call.arguments):
                more: dict[str, Any] = {"function_call": {"arguments": piece}}
                items.append((chunk(_choice(index, more, None, False)), token_delay()))
        elif reply.tool_calls:
            for number, call in enumerate(reply.tool_calls):
                header = {
                    "index": number,
                    "id": ids[number],
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                delta: dict[str, Any] = {"tool_calls": [header]}
                if number == 0:
                    delta = {"role": "assistant", "content": None, "refusal": None, **delta}
                items.append((chunk(_choice(index, delta, None, False)), 0.0))
                for piece in tokens.pieces(call.arguments):
                    argument = {"tool_calls": [{"index": number, "function": {"arguments": piece}}]}
                    items.append((chunk(_choice(index, argument, None, False)), token_delay()))
        else:
            role = {"role": "assistant", "content": "", "refusal": None}
            items.append((chunk(_choice(index, role, None, False)), 0.0))
            for position, piece in enumerate(tokens.pieces(reply.content or "")):
                choice = _choice(index, {"content": piece}, None, True)
                if request.logprobs:
                    top = request.top_logprobs
                    choice["logprobs"] = logprobs.content([piece], top, first_position=position)
                items.append((chunk(choice), token_delay()))
        items.append((chunk(_choice(index, {}, reply.finish, False)), 0.0))
    if request.include_usage:
        items.append(
            ({**head, "choices": [], "usage": chat.usage(prompt, completion * request.choices)}, 0.0)
        )
    items.append((DONE, 0.0))
    return items


def respond(request: Request, items: list[Item], headers: dict[str, str]) -> Response:
    """Stream ``items`` (chat chunks, or Responses events); a test that ends mid-stream stops it
    (the client sees it cut short)."""

    def body() -> Iterator[bytes]:
        for event, wait in items:
            if Pacer.wait(request, wait):
                return
            yield encode(event)

    return Response(body(), status=200, headers=headers, content_type="text/event-stream; charset=utf-8")


def respond_broken(
    request: Request, items: list[Item], headers: dict[str, str], after_chunks: int, then: Marker | Fault
) -> Response:
    """Stream ``items`` but break off after ``after_chunks`` events with ``then`` (a reset, say).
    A stream with no more events than that is sent whole."""
    if after_chunks >= len(items):
        return respond(request, items, headers)
    paced: list[EventLike] = []
    for event, wait in items:
        if wait > 0:
            paced.append(pause(wait))
        paced.append(event)
    return sse(paced, headers=headers, after_events=after_chunks, then=then)(request)
