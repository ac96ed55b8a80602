"""What the simulator records per call, for tests to assert on (beyond the mock's journal)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_openai import responses
from harness.simulators.azure_openai.priming import ToolCall


@dataclass(frozen=True)
class Call:
    """One call the simulator answered (or refused) during the current test."""

    #: "chat", "responses" (the Responses API) or "embeddings".
    operation: str
    #: The deployment named in the path (deployment style) or the body's ``model`` (v1 style).
    deployment: str
    #: The HTTP status answered (None: a fault that sent no status line).
    status: int | None
    #: How it was answered: "default", "primed answer", "answerer", "rate limit", "primed failure"...
    answered_by: str
    #: The parsed JSON body ({} if it was not JSON).
    body: Mapping[str, Any]
    stream: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: The chat answer's text, and its tool calls.
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def messages(self) -> list[Mapping[str, Any]]:
        """The chat request's messages ([] for embeddings); for a Responses call, its
        ``instructions`` and ``input`` as chat messages (system, user, assistant, tool)."""
        if self.operation == "responses":
            return responses.messages_of(self.body)
        messages = self.body.get("messages")
        return list(messages) if isinstance(messages, list) else []


@dataclass(frozen=True)
class Usage:
    """Token totals of the calls answered successfully in the current test."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
