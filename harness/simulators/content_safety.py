"""``ContentSafetySimulator``: Azure AI Content Safety's ``text:analyze`` and ``image:analyze``, and
Prompt Shields' ``text:shieldPrompt`` (:mod:`harness.simulators.prompt_shields`).

Severities are set on the service's 0-7 scale and reported as the request's ``outputType`` wants
them: ``FourSeverityLevels`` (the default) rounds down to 0, 2, 4 or 6, as the service does;
``EightSeverityLevels`` reports them as they are. What a call gets, per category, is the first of:
the severities primed for the next calls (:meth:`~ContentSafetySimulator.answer_next`), the last
matching rule (text containing a phrase), the test's :meth:`~ContentSafetySimulator.set_severities`,
the ``severities`` option, 0.

Options (``[tool.harness.services.<name>.options]``)::

    subscription_key = "test-safety-key"             # or a list; unset: any non-empty key
    severities = { Hate = 0, Violence = 2 }            # defaults, 0-7
    blocklists = { banned = ["forbidden phrase"] }     # name -> items
    rules = [{ contains = "attack", severities = { Violence = 6 } }]
    attack_phrases = ["ignore all previous instructions"]   # Prompt Shields: what is an attack

See docs/simulators/content_safety.md.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.simulators.azure_common import (
    KEYS,
    PrimedFailures,
    Responder,
    ServiceError,
    accepted_keys,
    error_responder,
    error_response,
)
from harness.simulators.base import Simulator, json_response
from harness.simulators.checks import (
    HTTP_ERROR,
    STRING,
    TIMES,
    ArrayOf,
    Check,
    Schema,
    arguments,
    array_of,
    deprecated_alias,
    instance,
    integer,
    label,
    text,
)
from harness.simulators.content_safety_blocklists import PREFIX as BLOCKLISTS
from harness.simulators.content_safety_blocklists import Blocklists
from harness.simulators.prompt_shields import PHRASES, Attack, PromptShields

CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")
#: The longest text ``text:analyze`` accepts, in characters.
MAX_TEXT_LENGTH = 10_000
OPERATIONS = ("text", "image", "shield", "blocklists")

_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
    "key for an active subscription and use a correct regional API endpoint for your resource."
)
_ROUTES = {
    "/contentsafety/text:analyze": "text",
    "/contentsafety/image:analyze": "image",
    "/contentsafety/text:shieldPrompt": "shield",
}
#: How the journal names each operation.
_DESCRIBED = {
    "text": "text:analyze",
    "image": "image:analyze",
    "shield": "text:shieldPrompt",
    "blocklists": "blocklist management",
}

# -- what the options and the test API take -------------------------------------------------------------

_PHRASE = text(expected="a non-empty phrase", blank=True)
#: Category -> severity on the service's 0-7 scale (an option, and what set_/answer_next/add_rule take).
SEVERITIES = Schema(
    dict.fromkeys(
        CATEGORIES,
        integer(0, 7, expected="a severity 0-7 (reported as 0, 2, 4, 6 with FourSeverityLevels)"),
    ),
    expected="a table of category = severity",
    fix="{ Hate = 2 }",
)
OPTIONS = Schema(
    {
        "subscription_key": KEYS,
        "severities": SEVERITIES,
        "blocklists": Check(
            lambda value: (
                isinstance(value, dict)
                and all(isinstance(items, list) and all(map(_PHRASE, items)) for items in value.values())
            ),
            "a table of blocklist name -> array of non-empty strings",
            fix='blocklists = { banned = ["forbidden phrase"] }',
        ),
        "rules": ArrayOf(
            Schema(
                {"contains": _PHRASE, "severities": SEVERITIES},
                expected="a table with a non-empty 'contains' phrase",
                fix='{ contains = "attack", severities = { Violence = 6 } }',
                required=("contains",),
            ),
            expected="an array of tables",
        ),
        "attack_phrases": PHRASES,
    }
)
_ITEMS = array_of(_PHRASE, expected="a list of non-empty strings")
_INDEX = integer(0)
_DOCUMENTS = Check(
    lambda value: (
        isinstance(value, Collection) and not isinstance(value, (str, bytes)) and all(map(_INDEX, value))
    ),
    "the indexes of the attacking documents, e.g. [0, 2]",
)


@dataclass(frozen=True)
class _Rule:
    phrase: str
    severities: dict[str, int]


@dataclass
class _State:
    """What every call gets: the options, then the test's ``set_severities`` and ``add_*`` calls."""

    severities: dict[str, int]
    blocklists: Blocklists
    rules: list[_Rule]
    phrases: list[str]


class ContentSafetySimulator(PrimedFailures, Simulator):
    """Azure AI Content Safety: category severities and blocklist matches the test decides."""

    kind: ClassVar[str] = "azure_content_safety"
    OPERATIONS: ClassVar[tuple[str, ...]] = OPERATIONS
    options_schema: ClassVar[Schema] = OPTIONS

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)
        self._lock = threading.Lock()
        self._keys = accepted_keys(self.options.get("subscription_key"))
        # The options are where the state starts; the base class's reset rule keeps each test's
        # changes to itself.
        self._severities: dict[str, int] = dict(self.options.get("severities", {}))
        configured = self.options.get("blocklists", {})
        self._blocklists = Blocklists({name: list(map(str, items)) for name, items in configured.items()})
        self._rules = [
            _Rule(str(rule["contains"]), dict(rule.get("severities", {})))
            for rule in self.options.get("rules", [])
        ]
        self._answers = self.next_calls()
        self._attacks = self.next_calls()
        self._failures = self.next_calls()
        self._shields = PromptShields(
            [str(phrase) for phrase in self.options.get("attack_phrases", [])], self._attacks
        )

    # -- test API ----------------------------------------------------------------------------------

    def set_severities(self, severities: Mapping[str, int] | None = None, **by_category: int) -> None:
        """Severities (0-7) of every call for the rest of the test, e.g. ``set_severities(Hate=4)``;
        categories not named keep their defaults."""
        checked = SEVERITIES.argument({**(severities or {}), **by_category}, label("set_severities"))
        with self._lock:
            self._severities.update(checked)

    @arguments(times=TIMES)
    def answer_next(
        self, severities: Mapping[str, int] | None = None, *, times: int = 1, **by_category: int
    ) -> None:
        """Severities (0-7) of the next ``times`` analyses (text or image) only; they win over rules
        and ``set_severities``."""
        checked = SEVERITIES.argument({**(severities or {}), **by_category}, label("answer_next"))
        self._answers.add(checked, times=times, description=f"answer {checked}")

    @arguments(contains=_PHRASE)
    def add_rule(
        self, contains: str, severities: Mapping[str, int] | None = None, **by_category: int
    ) -> None:
        """Text containing ``contains`` (case-insensitive) gets these severities (0-7)."""
        checked = SEVERITIES.argument({**(severities or {}), **by_category}, label("add_rule"))
        with self._lock:
            self._rules.append(_Rule(contains, checked))

    @arguments(name=text(expected="a blocklist name", blank=True))
    def add_blocklist(self, name: str, items: Iterable[str]) -> None:
        """A blocklist (or more items for one) that requests can name in ``blocklistNames``."""
        listed = _ITEMS.argument(list(items), label("add_blocklist", "items"))
        with self._lock:
            self._blocklists.add(name, listed)

    @arguments(phrase=_PHRASE)
    def add_attack_phrase(self, phrase: str) -> None:
        """Prompt Shields: a user prompt or document containing ``phrase`` (case-insensitive) is an
        attack, for the rest of the test."""
        with self._lock:
            self._shields.phrases.append(phrase)

    @arguments(user_prompt=instance(bool, expected="True or False"), documents=_DOCUMENTS, times=TIMES)
    def detect_attack_next(
        self, *, user_prompt: bool = True, documents: Collection[int] = (), times: int = 1
    ) -> None:
        """Prompt Shields: the next ``times`` calls answer exactly this: the user prompt is an
        attack or not, and so are the documents at the indexes in ``documents`` (the others not)."""
        attack = Attack(user_prompt, frozenset(documents))
        self._attacks.add(attack, times=times, description=str(attack))

    @arguments(status=HTTP_ERROR, code=STRING, message=STRING, times=TIMES)
    def fail_next(
        self,
        status: int = 500,
        code: str = "InternalServerError",
        message: str = "Internal server error (primed by the test).",
        *,
        times: int = 1,
        operation: str | None = None,
    ) -> None:
        """The next ``times`` calls (``operation`` "text", "image" or "shield", when given) answer ``status``
        with the service's error envelope. Checked after the subscription key."""
        self._prime_failure(
            error_responder(status, code, message), f"fail {status}", times, operation, "fail_next"
        )

    # Deprecated names, kept for one release (CHANGELOG.md).
    prime_severities = deprecated_alias(answer_next, "prime_severities")
    prime_attack = deprecated_alias(detect_attack_next, "prime_attack")
    prime_failure = deprecated_alias(fail_next, "prime_failure")

    # -- per-test state ----------------------------------------------------------------------------

    def save_state(self) -> _State:
        with self._lock:
            return _State(
                dict(self._severities),
                self._blocklists.copy(),
                list(self._rules),
                list(self._shields.phrases),
            )

    def restore_state(self, saved: object) -> None:
        assert isinstance(saved, _State)
        with self._lock:
            self._severities = saved.severities
            self._blocklists = saved.blocklists
            self._rules = saved.rules
            self._shields.phrases = saved.phrases

    # -- serving -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        operation = _operation(request)
        if operation is None or (operation != "blocklists" and request.method != "POST"):
            return None
        key = request.headers.get("Ocp-Apim-Subscription-Key")
        bearer = request.headers.get("Authorization", "")
        if not key and not (bearer.lower().startswith("bearer ") and bearer[7:].strip()):
            return error_response(401, "401", _ACCESS_DENIED)
        if key and self._keys and key not in self._keys:
            return error_response(401, "401", _ACCESS_DENIED)
        if not request.args.get("api-version"):
            return error_response(404, "404", "Resource not found")  # what Cognitive Services answer
        primed: Responder | None = self._failures.take(operation=operation)
        if primed is not None:
            return primed(request)
        try:
            if operation == "blocklists":
                body = _body(request) if request.method in {"PATCH", "POST"} else None
                with self._lock:
                    return self._blocklists.handle(request, body)
            body = _body(request)
            if operation == "text":
                return json_response(self._analyze_text(body))
            if operation == "shield":
                with self._lock:
                    return json_response(self._shields.analyze(body))
            return json_response(self._analyze_image(body))
        except ServiceError as error:
            return error.response()

    def describe(self, request: Request) -> str:
        operation = _operation(request)
        return f"simulator {self.kind}" + (f" {_DESCRIBED[operation]}" if operation else "")

    def not_found(self, request: Request) -> Response:
        return error_response(404, "404", "Resource not found")

    def _analyze_text(self, body: dict[str, Any]) -> dict[str, Any]:
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise _invalid("text", "The text field is required and must be a non-empty string.")
        if len(text) > MAX_TEXT_LENGTH:
            raise _invalid(
                "text", f"The text is too long: {len(text)} characters, the maximum is {MAX_TEXT_LENGTH}."
            )
        categories = _categories(body.get("categories"))
        output_type = body.get("outputType", "FourSeverityLevels")
        if output_type not in OUTPUT_TYPES:
            raise _invalid(
                "outputType", f"outputType must be one of {', '.join(OUTPUT_TYPES)}, found {output_type!r}."
            )
        names = body.get("blocklistNames") or []
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise _invalid("blocklistNames", "blocklistNames must be an array of strings.")
        with self._lock:
            matches = self._blocklists.matches(text, names)
            severities = self._severities_for(text)
        halt = body.get("haltOnBlocklistHit", False) is True
        analysis = [] if halt and matches else _analysis(categories, severities, output_type)
        return {"blocklistsMatch": matches, "categoriesAnalysis": analysis}

    def _analyze_image(self, body: dict[str, Any]) -> dict[str, Any]:
        image = body.get("image")
        if not isinstance(image, dict) or not (image.get("content") or image.get("blobUrl")):
            raise _invalid("image", "The image field needs 'content' (base64) or 'blobUrl'.")
        categories = _categories(body.get("categories"))
        output_type = body.get("outputType", "FourSeverityLevels")
        if output_type != "FourSeverityLevels":
            raise _invalid("outputType", "Image analysis supports outputType FourSeverityLevels only.")
        with self._lock:
            severities = self._severities_for("")
        return {"categoriesAnalysis": _analysis(categories, severities, output_type)}

    def _severities_for(self, text: str) -> dict[str, int]:
        # Later layers win, category by category (the order is the module docstring's).
        severities = dict(self._severities)
        lowered = text.lower()
        for rule in self._rules:
            if rule.phrase.lower() in lowered:
                severities.update(rule.severities)
        primed: dict[str, int] | None = self._answers.take()
        if primed is not None:
            severities.update(primed)
        return severities


def _operation(request: Request) -> str | None:
    """Which operation a path is (None: a path the service does not have)."""
    if request.path.startswith(BLOCKLISTS):
        return "blocklists"
    return _ROUTES.get(request.path.rstrip("/"))


def _analysis(categories: list[str], severities: Mapping[str, int], output_type: str) -> list[dict[str, Any]]:
    def reported(severity: int) -> int:
        # FourSeverityLevels: 0-1 -> 0, 2-3 -> 2, 4-5 -> 4, 6-7 -> 6, as the service buckets them.
        return severity if output_type == "EightSeverityLevels" else severity - severity % 2

    return [
        {"category": category, "severity": reported(severities.get(category, 0))} for category in categories
    ]


def _categories(value: Any) -> list[str]:
    if value is None or value == []:
        return list(CATEGORIES)
    if not isinstance(value, list) or not all(category in CATEGORIES for category in value):
        raise _invalid(
            "categories", f"categories must be an array of {', '.join(CATEGORIES)}, found {value!r}."
        )
    return list(dict.fromkeys(value))


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError):
        raise _invalid("body", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _invalid("body", "The request body must be a JSON object.")
    return body


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequestBody", f"{message} (field: {field})")
