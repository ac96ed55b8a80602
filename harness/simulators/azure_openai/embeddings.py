"""Embeddings: deterministic vectors of the deployment's size, as floats or base64.

A vector is a function of its input string only: the same text always gets the same unit vector,
on every run and machine (seeded from a BLAKE2 hash, never Python's randomised ``hash``). Texts
that share words get a higher cosine similarity than unrelated ones (each word adds a fixed sparse
signature), which keeps "the nearest document" tests meaningful without any real model.

``dimensions`` (text-embedding-3 models) shortens the native vector and re-normalises it, as the
service does; ``encoding_format="base64"`` (what the openai SDK asks for by default) sends the
little-endian float32 bytes, base64-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_openai import tokens
from harness.simulators.azure_openai.chat import InvalidRequest
from harness.simulators.azure_openai.options import Deployment

#: The most inputs one request may carry.
MAX_INPUTS = 2048
#: How many (index, sign) pairs a word adds (its signature has length sqrt(8)), and the length of
#: the per-text noise: about one word's worth, so one shared word in short texts matters.
_WORD_FEATURES = 8
_NOISE_LENGTH = 2.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EmbeddingsRequest:
    """A checked embeddings request: its inputs as text, the size and format wanted."""

    inputs: tuple[str, ...]
    dimensions: int
    encoding: str

    @property
    def prompt_tokens(self) -> int:
        return sum(tokens.count(text) for text in self.inputs)


def _invalid_input() -> InvalidRequest:
    return InvalidRequest(
        "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        "input",
    )


def _as_text(item: object) -> str:
    # Token arrays (lists of ints) are embedded by their text form: still deterministic per input.
    if isinstance(item, str):
        if not item:
            raise _invalid_input()
        return item
    if isinstance(item, list) and item and all(isinstance(t, int) and not isinstance(t, bool) for t in item):
        return " ".join(map(str, item))
    raise _invalid_input()


def parse(deployment: Deployment, body: Mapping[str, Any]) -> EmbeddingsRequest:
    """Check ``body`` as the service does; :class:`InvalidRequest` names the first problem."""
    raw = body.get("input")
    if raw is None:
        raise InvalidRequest("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    if isinstance(raw, list) and raw and all(isinstance(t, int) and not isinstance(t, bool) for t in raw):
        items: list[object] = [raw]  # one token array
    else:
        items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _invalid_input()
    if len(items) > MAX_INPUTS:
        raise InvalidRequest(
            f"Too many inputs. The max number of inputs is {MAX_INPUTS}. We recommend batching your inputs.",
            "input",
        )
    inputs = tuple(_as_text(item) for item in items)
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if not deployment.flexible_dimensions:
            raise InvalidRequest("This model does not support specifying dimensions.", "dimensions")
        valid = isinstance(dimensions, int) and not isinstance(dimensions, bool)
        if not valid or not 1 <= dimensions <= deployment.dimensions:
            raise InvalidRequest(
                f"Invalid value for 'dimensions' = {dimensions}. "
                f"Must be between 1 and {deployment.dimensions}.",
                "dimensions",
                "invalid_value",
            )
    encoding = body.get("encoding_format", "float")
    if encoding not in {"float", "base64"}:
        raise InvalidRequest(
            f"Invalid value: '{encoding}'. Supported values are: 'float' and 'base64'.",
            "encoding_format",
            "invalid_value",
        )
    return EmbeddingsRequest(
        inputs, dimensions if isinstance(dimensions, int) else deployment.dimensions, str(encoding)
    )


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=32).digest()


def vector(text: str, native: int, dimensions: int | None = None) -> list[float]:
    """The unit vector for ``text`` in a ``native``-dimensional model, shortened to ``dimensions``."""
    rng = random.Random(int.from_bytes(_digest(text), "big"))
    scale = _NOISE_LENGTH / math.sqrt(native)
    values = [rng.gauss(0.0, scale) for _ in range(native)]
    for word in _WORD.findall(text.lower()):
        digest = _digest("word:" + word)
        for k in range(_WORD_FEATURES):
            chunk = int.from_bytes(digest[k * 4 : k * 4 + 4], "big")
            values[(chunk >> 1) % native] += 1.0 if chunk & 1 else -1.0
    values = values[: dimensions or native]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def encode(values: list[float], encoding: str) -> list[float] | str:
    """``values`` as JSON floats, or base64 of little-endian float32 (``encoding="base64"``)."""
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
    return values


def response(model: str, vectors: list[list[float]], encoding: str, prompt_tokens: int) -> dict[str, Any]:
    """The embeddings response body."""
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": index, "embedding": encode(values, encoding)}
            for index, values in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
