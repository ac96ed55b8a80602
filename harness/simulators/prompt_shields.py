"""Prompt Shields (``POST /contentsafety/text:shieldPrompt``) for the Content Safety simulator.

The service answers whether the user prompt, and each document (retrieved text an app puts in front
of its model), is an attack: ``{"userPromptAnalysis": {"attackDetected": bool}, "documentsAnalysis":
[{"attackDetected": bool}, ...]}``. Here the test decides. A text is an attack when it contains one of
the attack phrases (options and :meth:`PromptShields.add_phrase`, case-insensitive). A primed call
is answered exactly as primed instead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_common import ServiceError, check_times, describe
from harness.simulators.base import SimulatorError

#: The longest user prompt, and the most characters all documents may have together.
MAX_LENGTH = 10_000


@dataclass
class _PrimedAttack:
    user_prompt: bool
    documents: frozenset[int]
    remaining: int


def phrase_problems(value: object, where: str) -> list[str]:
    """What is wrong with an ``attack_phrases`` option ([] when it is a list of non-empty strings)."""
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return []
    return [
        f"{where}: expected an array of non-empty phrases, found {describe(value)}; "
        'fix: attack_phrases = ["ignore all previous instructions"]'
    ]


class PromptShields:
    """Attack phrases and primed answers; the simulator holds its lock around every call."""

    def __init__(self, phrases: list[str]) -> None:
        self._default_phrases = list(phrases)
        self._phrases: list[str] = []
        self._primed: list[_PrimedAttack] = []

    def add_phrase(self, phrase: str) -> None:
        if not isinstance(phrase, str) or not phrase:
            raise SimulatorError(f"add_attack_phrase: expected a non-empty phrase, got {phrase!r}")
        self._phrases.append(phrase)

    def prime(self, user_prompt: bool, documents: Collection[int], times: int) -> None:
        check_times(times)
        if not isinstance(user_prompt, bool):
            raise SimulatorError(f"prime_attack(user_prompt): expected True or False, got {user_prompt!r}")
        if isinstance(documents, (str, bytes)) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in documents
        ):
            raise SimulatorError(
                f"prime_attack(documents): expected the indexes of the attacking documents, e.g. [0, 2], "
                f"got {documents!r}"
            )
        self._primed.append(_PrimedAttack(user_prompt, frozenset(documents), times))

    def clear(self) -> None:
        self._phrases.clear()
        self._primed.clear()

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
        if self._primed:
            primed = self._primed[0]
            primed.remaining -= 1
            if primed.remaining == 0:
                self._primed.pop(0)
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
        return any(phrase.lower() in lowered for phrase in [*self._default_phrases, *self._phrases])


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequestBody", f"{message} (field: {field})")
