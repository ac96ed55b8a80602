"""The sample app's configuration, its downstream endpoints, and small helpers to inspect what they got.

The downstreams are simulators (``[tool.harness.services.*]`` in pyproject.toml): they answer every call
a test does not prime, so these constants mirror that configuration and ``[tool.harness.env]``. A
request carrying any other key, deployment or path is a bug of the app (the simulators refuse it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.mocks import JournalEntry, MockService

# -- configuration of the app under test (pyproject.toml, [tool.harness.env]) --------------------------

OPENAI_KEY = "test-openai-key"
OPENAI_API_VERSION = "2024-10-21"
CHAT_DEPLOYMENT = "gpt-4o"
EMBEDDING_DEPLOYMENT = "text-embedding-3-small"
EMBEDDING_DIMENSIONS = 16  # [tool.harness.services.openai.options.deployments]
SEARCH_KEY = "test-search-key"
SEARCH_INDEX = "docs"
SAFETY_KEY = "test-safety-key"
DOWNSTREAM_TIMEOUT = 2.0
#: DOWNSTREAM_TIMEOUT in the short_timeout profile: the tests that wait a timeout out use it, so the
#: suite's time is harness's own, not the sample app's waiting.
SHORT_TIMEOUT = 0.3

# -- the downstream endpoints ---------------------------------------------------------------------------

CHAT_PATH = f"/openai/deployments/{CHAT_DEPLOYMENT}/chat/completions"
EMBEDDINGS_PATH = f"/openai/deployments/{EMBEDDING_DEPLOYMENT}/embeddings"
SEARCH_PATH = f"/indexes/{SEARCH_INDEX}/docs/search"
SAFETY_PATH = "/contentsafety/text:analyze"

# -- test data --------------------------------------------------------------------------------------------

QUESTION = "How much can I spend on meals during a business trip?"
# The Azure OpenAI simulator's default answer echoes the last user message.
ANSWER = f"This is a simulated answer to: {QUESTION}"
# The search simulator's "docs" index (options.indexes.docs.documents): both documents come back for
# QUESTION, the expense policy first (it shares words with the question, and hybrid search fuses that
# text ranking with the vector ranking, where both documents are among the k nearest).
DOCUMENTS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "docs.json").read_text(encoding="utf-8")
)
CITATIONS = [{"id": doc["id"], "title": doc["title"], "url": doc["url"]} for doc in DOCUMENTS]


def conversation(question: str = QUESTION, **extra: Any) -> dict[str, Any]:
    """The body of ``POST /api/conversation`` with one user message."""
    return {"messages": [{"role": "user", "content": question}], **extra}


# -- inspecting the journal -------------------------------------------------------------------------------


def requests_to(service: MockService, path: str) -> list[JournalEntry]:
    return [entry for entry in service.requests if entry.path == path]


def single_request(service: MockService, path: str) -> JournalEntry:
    """The one request ``service`` received on ``path``; fails if there were none or several."""
    entries = requests_to(service, path)
    assert len(entries) == 1, f"expected exactly one request to {service.name} {path}, got: {entries}"
    return entries[0]


def json_body(entry: JournalEntry) -> Any:
    return json.loads(entry.body)


def header(entry: JournalEntry, name: str) -> str | None:
    """A request header (case-insensitive), None when absent."""
    values = [value for key, value in entry.headers if key.lower() == name.lower()]
    return values[0] if values else None


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
