"""Chat completions through the official openai SDK (AzureOpenAI), plain and streamed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

import httpx2
import openai
from openai import AzureOpenAI, Stream
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from . import errors
from .downstream import LoggingTransport
from .search import Document
from .settings import Settings

Message = dict[str, str]

_WITH_SOURCES = (
    "You are a helpful assistant. Answer the user's question using only the sources below, and cite them "
    "as [doc1], [doc2], ... If the sources do not contain the answer, say that you don't know."
)
_NO_SOURCES = (
    "You are a helpful assistant. There are no sources for this conversation: answer from general "
    "knowledge and say so when you are unsure."
)


def make_client(settings: Settings) -> AzureOpenAI:
    """One client for the whole app: it is thread-safe and keeps a connection pool."""
    http_client = openai.DefaultHttpxClient(
        # Our own transport disables httpx2's env-proxy lookup, which is what we want for local mocks too.
        transport=LoggingTransport(httpx2.HTTPTransport(limits=openai.DEFAULT_CONNECTION_LIMITS)),
        timeout=settings.downstream_timeout,
    )
    return AzureOpenAI(
        azure_endpoint=settings.openai_endpoint,
        api_key=settings.openai_api_key,
        api_version=settings.openai_api_version,
        max_retries=settings.openai_max_retries,
        timeout=settings.downstream_timeout,
        http_client=http_client,
    )


def system_message(documents: Sequence[Document] | None) -> Message:
    """``documents`` is None when search is not configured, and possibly empty when it found nothing."""
    if documents is None:
        return {"role": "system", "content": _NO_SOURCES}
    if not documents:
        return {"role": "system", "content": f"{_WITH_SOURCES}\n\nSources:\n(no documents were found)"}
    sources = "\n".join(f"[doc{i}] {doc.title}: {doc.content}" for i, doc in enumerate(documents, start=1))
    return {"role": "system", "content": f"{_WITH_SOURCES}\n\nSources:\n{sources}"}


def _typed(messages: list[Message]) -> list[ChatCompletionMessageParam]:
    # Validated {"role", "content"} dicts are exactly what the API takes; mypy can't tell.
    return cast("list[ChatCompletionMessageParam]", messages)


def complete(settings: Settings, client: AzureOpenAI, messages: list[Message]) -> str:
    try:
        completion = client.chat.completions.create(
            model=settings.chat_deployment,
            messages=_typed(messages),
        )
        if not isinstance(completion, ChatCompletion):
            # The SDK hands back the raw text when the Content-Type is not JSON (e.g. a proxy's HTML page).
            raise errors.DownstreamFailure(
                "openai", 200, f"Azure OpenAI answered with a non-JSON body: {completion!r:.200}"
            )
        if not completion.choices:
            raise errors.DownstreamFailure("openai", 200, "the chat completion holds no choices")
        return completion.choices[0].message.content or ""
    except errors.ApiError:
        raise
    except Exception as exc:
        raise errors.from_openai(exc) from exc


def open_stream(
    settings: Settings, client: AzureOpenAI, messages: list[Message]
) -> Stream[ChatCompletionChunk]:
    """Start a streamed completion; failures before the first byte still raise, so they get a JSON error."""
    try:
        return client.chat.completions.create(
            model=settings.chat_deployment,
            messages=_typed(messages),
            stream=True,
        )
    except Exception as exc:
        raise errors.from_openai(exc) from exc


def deltas(stream: Stream[ChatCompletionChunk]) -> Iterator[str]:
    """The non-empty content pieces; raises whatever the SDK raises (the caller turns it into an event)."""
    for chunk in stream:
        # Azure sends chunks without choices (prompt filter results) and role-only / finish-only deltas.
        for choice in chunk.choices or []:
            content = choice.delta.content if choice.delta is not None else None
            if content:
                yield content
