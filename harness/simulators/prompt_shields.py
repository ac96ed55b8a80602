"""Prompt Shields (``POST /contentsafety/text:shieldPrompt``) for the Content Safety simulator.

The service answers whether the user prompt, and each document (retrieved text an app puts in front
of its model), is an attack: ``{"userPromptAnalysis": {"attackDetected": bool}, "documentsAnalysis":
[{"attackDetected": bool}, ...]}``. Here the test decides. A text is an attack when it contains one of
the attack phrases (the ``attack_phrases`` option and the test's ``add_attack_phrase``,
case-insensitive). A call primed with ``detect_attack_next`` is answered exactly as primed instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_common import ServiceError
from harness.simulators.base import NextCalls
from harness.simulators.checks import array_of

#: The longest user prompt, and the most characters all documents may have together.
MAX_LENGTH = 10_000

#: The ``attack_phrases`` option.
PHRASES = array_of(
    lambda item: isinstance(item, str) and bool(item),
    expected="an array of non-empty phrases",
    fix='attack_phrases = ["ignore all previous instructions"]',
)


@dataclass(frozen=True)
class Attack:
    """A primed answer: whether the user prompt is an attack, and the indexes of the documents that are."""

    user_prompt: bool
    documents: frozenset[int]

    def __str__(self) -> str:
        return f"attack: user prompt {self.user_prompt}, documents {sorted(self.documents)}"


class PromptShields:
    """Attack phrases (the options' and the test's) and the primed answers (``detect_attack_next``);
    the simulator holds its lock around every call."""

    def __init__(self, phrases: list[str], primed: NextCalls[Attack]) -> None:
        #: What makes a text an attack; the simulator's baseline keeps and restores it.
        self.phrases = list(phrases)
        self._primed = primed

    def analyze(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The service's answer to ``body``; :class:`ServiceError` (400) for a body it refuses."""
        prompt = body.get("userPrompt")
        documents = body.get("documents")
        if prompt is not None and not isinstance(prompt, str):
            raise _invalid("userPrompt", "userPrompt must be a string.")
        if documents is not None and not (
            isinstance(documents, list) and all(isinstance(d, str) for d in documents)
        ):
            raise _invalid("documents", "documents must be an array of strings.")
        documents = documents or []
        if not prompt and not any(documents):
            raise _invalid("userPrompt", "Give a non-empty userPrompt, documents, or both.")
        if prompt is not None and len(prompt) > MAX_LENGTH:
            raise _invalid(
                "userPrompt",
                f"The userPrompt is too long: {len(prompt)} characters, the maximum is {MAX_LENGTH}.",
            )
        if sum(map(len, documents)) > MAX_LENGTH:
            raise _invalid(
                "documents", f"The documents are too long together: the maximum is {MAX_LENGTH} characters."
            )
        primed = self._primed.take()
        if primed is not None:
            prompt_attack = primed.user_prompt
            document_attacks = [index in primed.documents for index in range(len(documents))]
        else:
            prompt_attack = self._attack(prompt or "")
            document_attacks = [self._attack(document) for document in documents]
        answer: dict[str, Any] = {}
        if prompt is not None:
            answer["userPromptAnalysis"] = {"attackDetected": prompt_attack}
        answer["documentsAnalysis"] = [{"attackDetected": attack} for attack in document_attacks]
        return answer

    def _attack(self, text: str) -> bool:
        lowered = text.lower()
        return any(phrase.lower() in lowered for phrase in self.phrases)


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequestBody", f"{message} (field: {field})")
