"""Token log-probabilities of an answer (``logprobs: true``, ``top_logprobs: k``): deterministic,
so a test can assert them, and shaped as the service's.

Each token of the answer (the same pieces the stream sends and usage counts) gets a log-probability
in (-1.5, 0] derived from a hash of its position and text: the same answer has the same figures on
every run and machine. ``top_logprobs`` lists the token itself first, then k - 1 alternatives from
a fixed set of common tokens, each less likely than the one before (descending, as the service
sorts them). Every entry carries the token's UTF-8 ``bytes``.
"""

from __future__ import annotations

import hashlib
from typing import Any

#: The most ``top_logprobs`` the service allows.
MAX_TOP = 20
#: Tokens offered as the alternatives in ``top_logprobs`` (never the chosen token itself).
_ALTERNATIVES = (
    " the", " a", ".", ",", " and", " of", " to", " is", " in", " that",
    " it", " for", " on", " with", " as", " this", " be", " at", " by", " or", " not",
)  # fmt: skip


def _fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _item(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": round(logprob, 6), "bytes": list(token.encode("utf-8"))}


def entry(token: str, position: int, top: int) -> dict[str, Any]:
    """The ``logprobs.content`` entry of the answer's token number ``position``."""
    chosen = -1.5 * _fraction(position, token) ** 2
    alternatives = [candidate for candidate in _ALTERNATIVES if candidate != token]
    start = int(_fraction("alternatives", position, token) * len(alternatives))
    tops = [_item(token, chosen)] if top > 0 else []  # none asked for: an empty list, as the service'
    logprob = chosen
    for number in range(1, top):
        logprob -= 0.5 + 2.0 * _fraction("gap", position, token, number)
        tops.append(_item(alternatives[(start + number) % len(alternatives)], logprob))
    return {**_item(token, chosen), "top_logprobs": tops}


def content(pieces: list[str], top: int, *, first_position: int = 0) -> dict[str, Any]:
    """A choice's ``logprobs`` for ``pieces`` (the whole answer, or one streamed chunk's tokens
    starting at ``first_position``)."""
    return {
        "content": [entry(piece, first_position + index, top) for index, piece in enumerate(pieces)],
        "refusal": None,
    }
