"""An approximate tokenizer: close enough to cl100k/o200k for usage figures, with no dependency.

The real tokenizers (tiktoken) need a download of their vocabulary, which a hermetic test run cannot
do. This one cuts text into *pieces* -- a word with the whitespace before it, or one punctuation
mark -- and splits long words, so English text comes out at about the real count (within ~20 %),
and the pieces concatenate back to the exact text. Streaming sends one piece per chunk, so a
stream has as many content chunks as ``usage.completion_tokens`` says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

#: A word (with its leading whitespace), one punctuation mark (with its leading whitespace), or
#: trailing whitespace. Every character of a text is in exactly one match.
_PIECE = re.compile(r"\s*\w+|\s*[^\w\s]|\s+")

#: Longest run of characters one token covers: ASCII words average about 4-6 characters a token;
#: other scripts (accents, CJK) are far denser in tokens.
_ASCII_SPAN = 6
_OTHER_SPAN = 2

#: What the chat format adds per message and per reply (OpenAI's published counting recipe).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3


def pieces(text: str) -> list[str]:
    """``text`` cut into approximate tokens; ``"".join(pieces(text)) == text``."""
    out: list[str] = []
    for match in _PIECE.findall(text):
        word = match.lstrip()
        lead = match[: len(match) - len(word)]
        span = _ASCII_SPAN if word.isascii() else _OTHER_SPAN
        if len(word) <= span:
            out.append(match)
            continue
        parts = [word[i : i + span] for i in range(0, len(word), span)]
        out.append(lead + parts[0])
        out += parts[1:]
    return out


def count(text: str) -> int:
    """Approximate number of tokens in ``text``."""
    return len(pieces(text))


def content_text(content: object) -> str:
    # Content is a string or a list of parts ({"type": "text", "text": ...}, images...).
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text", "") for part in content if isinstance(part, Mapping)]
        return " ".join(text for text in texts if isinstance(text, str))
    return ""


def message_text(message: Mapping[str, object]) -> str:
    """The text a message carries (its content, tool calls' names and arguments)."""
    text = content_text(message.get("content"))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        text += " " + json.dumps(calls, separators=(",", ":"))
    return text


def prompt_tokens(messages: Iterable[Mapping[str, object]], tools: object = None) -> int:
    """Approximate prompt tokens of a chat request: per-message overhead plus contents, plus the
    tool definitions (counted from their JSON, as the service folds them into the prompt)."""
    total = TOKENS_PER_REPLY
    for message in messages:
        total += TOKENS_PER_MESSAGE + count(message_text(message))
        if message.get("name"):
            total += TOKENS_PER_NAME
    if tools:
        total += count(json.dumps(tools, separators=(",", ":")))
    return total
