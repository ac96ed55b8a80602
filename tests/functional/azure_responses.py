"""Realistic bodies of the Azure services the sample app calls, and a parser of the app's own SSE stream.

Every body is built from Python dicts and serialised with ``json.dumps``: nothing here is hand-written
JSON, so a typo cannot make a mock answer something Azure never would.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CREATED = 1_732_000_000
CHAT_MODEL = "gpt-4o-2024-11-20"
EMBEDDING_MODEL = "text-embedding-3-small"
SYSTEM_FINGERPRINT = "fp_65792305e4"
SAFETY_CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")


# -- Azure OpenAI --------------------------------------------------------------------------------------


def _content_filter_results() -> dict[str, Any]:
    """What Azure OpenAI attaches to prompts and choices when nothing was filtered."""
    return {
        name: {"filtered": False, "severity": "safe"} for name in ("hate", "self_harm", "sexual", "violence")
    }


def chat_completion(answer: str, *, completion_id: str = "chatcmpl-func0001") -> dict[str, Any]:
    """A ``chat.completion`` object as Azure OpenAI returns it (2024-10-21)."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": CHAT_MODEL,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _content_filter_results()}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": answer, "refusal": None},
                "content_filter_results": _content_filter_results(),
            }
        ],
        "usage": {"prompt_tokens": 412, "completion_tokens": 17, "total_tokens": 429},
    }


def chat_completion_chunks(
    pieces: Sequence[str], *, completion_id: str = "chatcmpl-func0002"
) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed answer, in the order Azure sends them.

    Azure first sends a chunk without choices carrying the prompt filter results, then a role-only
    delta, one delta per content piece, and a last chunk with an empty delta and the finish reason.
    """

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": CHAT_MODEL,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [
                {
                    "index": 0,
                    "delta": delta,
                    "finish_reason": finish_reason,
                    "logprobs": None,
                    "content_filter_results": {} if finish_reason else _content_filter_results(),
                }
            ],
        }

    prompt_filter = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _content_filter_results()}],
    }
    return [
        prompt_filter,
        chunk({"role": "assistant", "content": "", "refusal": None}),
        *(chunk({"content": piece}) for piece in pieces),
        chunk({}, finish_reason="stop"),
    ]


def embeddings(vector: Sequence[float], *, encoding_format: str = "base64") -> dict[str, Any]:
    """An embeddings answer. The openai SDK asks for ``base64`` (little-endian float32) by default."""
    if encoding_format == "base64":
        packed = struct.pack(f"<{len(vector)}f", *vector)
        embedding: Any = base64.b64encode(packed).decode("ascii")
    else:
        embedding = list(vector)
    return {
        "object": "list",
        "model": EMBEDDING_MODEL,
        "data": [{"object": "embedding", "index": 0, "embedding": embedding}],
        "usage": {"prompt_tokens": 9, "total_tokens": 9},
    }


def openai_error(code: str, message: str) -> dict[str, Any]:
    """The error body of Azure OpenAI (``{"error": {"code", "message"}}``)."""
    return {"error": {"code": code, "message": message, "param": None, "type": None}}


# -- Azure AI Search -----------------------------------------------------------------------------------


def search_results(documents: Sequence[Mapping[str, str]], *, index: str = "docs") -> dict[str, Any]:
    """A ``docs/search`` answer holding ``documents`` (dicts of id, title, content, url), best first."""
    return {
        "@odata.context": f"https://contoso-search.search.windows.net/indexes('{index}')/$metadata#docs(*)",
        "value": [
            {"@search.score": round(0.05 - rank * 0.01, 4), **document}
            for rank, document in enumerate(documents)
        ],
    }


def search_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# -- Azure AI Content Safety ---------------------------------------------------------------------------


def content_safety(**severities: int) -> dict[str, Any]:
    """A ``text:analyze`` answer; every category not named in ``severities`` has severity 0."""
    unknown = set(severities) - set(SAFETY_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown content safety categories: {sorted(unknown)}")
    return {
        "blocklistsMatch": [],
        "categoriesAnalysis": [
            {"category": category, "severity": severities.get(category, 0)} for category in SAFETY_CATEGORIES
        ],
    }


def content_safety_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": [], "innererror": None}}


# -- the app's own stream ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SseEvent:
    event: str | None  # the ``event:`` field, None for unnamed events
    data: Any  # the ``data:`` field, decoded as JSON


def parse_sse(text: str) -> list[SseEvent]:
    """Parse an SSE body into events; each event's data must be one JSON document."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name: str | None = None
        data_lines: list[str] = []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data_lines.append(value)
            else:
                raise ValueError(f"unexpected SSE field {field!r} in {block!r}")
        if data_lines:
            events.append(SseEvent(name, json.loads("\n".join(data_lines))))
        elif name is not None:
            raise ValueError(f"SSE event {name!r} without data")
    return events
