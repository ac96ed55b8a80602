"""``ContentSafetySimulator``: Azure AI Content Safety's ``text:analyze`` and ``image:analyze``, and
Prompt Shields' ``text:shieldPrompt`` (:mod:`harness.simulators.prompt_shields`).

Severities are set on the service's 0-7 scale and reported as the request's ``outputType`` wants
them: ``FourSeverityLevels`` (the default) rounds down to 0, 2, 4 or 6, as the service does;
``EightSeverityLevels`` reports them as they are. What a call gets, per category, is the first of:
the severities primed for the next calls, the last matching rule (text containing a phrase), the
test's :meth:`~ContentSafetySimulator.set_severities`, the ``severities`` option, 0.

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
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault
from harness.simulators.azure_common import (
    PrimedCalls,
    ServiceError,
    accepted_keys,
    check_times,
    describe,
    error_response,
    key_option_problems,
    unknown_option_problems,
)
from harness.simulators.base import Simulator, SimulatorError, json_response
from harness.simulators.prompt_shields import PromptShields, phrase_problems

CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")
#: The longest text ``text:analyze`` accepts, in characters.
MAX_TEXT_LENGTH = 10_000
OPERATIONS = ("text", "image", "shield")
OPTIONS = ("subscription_key", "severities", "blocklists", "rules", "attack_phrases")

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
_DESCRIBED = {"text": "text:analyze", "image": "image:analyze", "shield": "text:shieldPrompt"}


@dataclass(frozen=True)
class _Rule:
    phrase: str
    severities: dict[str, int]


@dataclass
class _Primed:
    severities: dict[str, int]
    remaining: int


class ContentSafetySimulator(Simulator):
    """Azure AI Content Safety: category severities and blocklist matches the test decides."""

    kind: ClassVar[str] = "azure_content_safety"

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)
        self._lock = threading.Lock()
        self._keys = accepted_keys(self.options.get("subscription_key"))
        # From the options: the baseline every test returns to.
        self._default_severities = _checked_severities(self.options.get("severities", {}), "severities")
        self._default_blocklists = {
            name: [str(item) for item in items]
            for name, items in dict(self.options.get("blocklists", {})).items()
        }
        self._default_rules = [
            _Rule(str(rule["contains"]), _checked_severities(rule.get("severities", {}), "rules"))
            for rule in self.options.get("rules", [])
        ]
        # What the current test primed.
        self._severities: dict[str, int] = {}
        self._blocklists: dict[str, list[str]] = {}
        self._rules: list[_Rule] = []
        self._primed_severities: list[_Primed] = []
        self._primed = PrimedCalls(OPERATIONS)
        self._shields = PromptShields([str(phrase) for phrase in self.options.get("attack_phrases", [])])

    # -- options -----------------------------------------------------------------------------------

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str, root: Path) -> list[str]:
        problems = unknown_option_problems(options, OPTIONS, where)
        problems += key_option_problems(options, "subscription_key", where)
        if "severities" in options:
            problems += _severity_problems(options["severities"], f"{where}.severities")
        blocklists = options.get("blocklists", {})
        if not isinstance(blocklists, dict) or not all(
            isinstance(items, list) and all(isinstance(item, str) and item for item in items)
            for items in blocklists.values()
        ):
            problems.append(
                f"{where}.blocklists: expected a table of blocklist name -> array of non-empty strings, "
                f'found {describe(blocklists)}; fix: blocklists = {{ banned = ["forbidden phrase"] }}'
            )
        rules = options.get("rules", [])
        if not isinstance(rules, list):
            problems.append(f"{where}.rules: expected an array of tables, found {describe(rules)}")
            rules = []
        for position, rule in enumerate(rules):
            rule_where = f"{where}.rules[{position}]"
            if (
                not isinstance(rule, dict)
                or not isinstance(rule.get("contains"), str)
                or not rule["contains"]
            ):
                problems.append(
                    f"{rule_where}: expected a table with a non-empty 'contains' phrase, "
                    f'found {describe(rule)}; fix: {{ contains = "attack", severities = {{ Violence = 6 }} }}'
                )
                continue
            problems += unknown_option_problems(rule, ("contains", "severities"), rule_where)
            problems += _severity_problems(rule.get("severities", {}), f"{rule_where}.severities")
        if "attack_phrases" in options:
            problems += phrase_problems(options["attack_phrases"], f"{where}.attack_phrases")
        return problems

    # -- test API ----------------------------------------------------------------------------------

    def set_severities(self, severities: Mapping[str, int] | None = None, **by_category: int) -> None:
        """Severities (0-7) of every call for the rest of the test, e.g. ``set_severities(Hate=4)``;
        categories not named keep their defaults."""
        checked = _checked_severities({**(severities or {}), **by_category}, "set_severities")
        with self._lock:
            self._severities.update(checked)

    def prime_severities(
        self, severities: Mapping[str, int] | None = None, *, times: int = 1, **by_category: int
    ) -> None:
        """Severities (0-7) of the next ``times`` calls only; they win over rules and defaults."""
        check_times(times)
        checked = _checked_severities({**(severities or {}), **by_category}, "prime_severities")
        with self._lock:
            self._primed_severities.append(_Primed(checked, times))

    def add_rule(
        self, contains: str, severities: Mapping[str, int] | None = None, **by_category: int
    ) -> None:
        """Text containing ``contains`` (case-insensitive) gets these severities (0-7)."""
        if not isinstance(contains, str) or not contains:
            raise SimulatorError(f"add_rule: contains must be a non-empty phrase, got {contains!r}")
        checked = _checked_severities({**(severities or {}), **by_category}, "add_rule")
        with self._lock:
            self._rules.append(_Rule(contains, checked))

    def add_blocklist(self, name: str, items: Iterable[str]) -> None:
        """A blocklist (or more items for one) that requests can name in ``blocklistNames``."""
        items = list(items)
        if not name or not all(isinstance(item, str) and item for item in items):
            raise SimulatorError("add_blocklist takes a name and non-empty string items")
        with self._lock:
            self._blocklists.setdefault(name, []).extend(items)

    def add_attack_phrase(self, phrase: str) -> None:
        """Prompt Shields: a user prompt or document containing ``phrase`` (case-insensitive) is an
        attack, for the rest of the test."""
        with self._lock:
            self._shields.add_phrase(phrase)

    def prime_attack(
        self, *, user_prompt: bool = True, documents: Collection[int] = (), times: int = 1
    ) -> None:
        """Prompt Shields: the next ``times`` calls answer exactly this: the user prompt is an
        attack or not, and so are the documents at the indexes in ``documents`` (the others not)."""
        with self._lock:
            self._shields.prime(user_prompt, documents, times)

    def prime_failure(
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
        self._primed.failure(status, code, message, times=times, operation=operation)

    def prime_fault(self, fault: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """The next ``times`` calls are answered by ``fault`` from :mod:`harness.faults`."""
        self._primed.fault(fault, times=times, operation=operation)

    def end_test(self) -> None:
        with self._lock:
            self._severities.clear()
            self._blocklists.clear()
            self._rules.clear()
            self._primed_severities.clear()
            self._shields.clear()
        self._primed.clear()

    # -- serving -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        operation = _ROUTES.get(request.path.rstrip("/"))
        if operation is None or request.method != "POST":
            return None
        key = request.headers.get("Ocp-Apim-Subscription-Key")
        bearer = request.headers.get("Authorization", "")
        if not key and not (bearer.lower().startswith("bearer ") and bearer[7:].strip()):
            return error_response(401, "401", _ACCESS_DENIED)
        if key and self._keys and key not in self._keys:
            return error_response(401, "401", _ACCESS_DENIED)
        if not request.args.get("api-version"):
            return error_response(404, "404", "Resource not found")  # what Cognitive Services answer
        primed = self._primed.take(operation)
        if primed is not None:
            return primed(request)
        try:
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
        operation = _ROUTES.get(request.path.rstrip("/"))
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
            matches = self._blocklist_matches(text, names)
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

    def _blocklist_matches(self, text: str, names: list[str]) -> list[dict[str, str]]:
        lowered = text.lower()
        matches = []
        for name in names:
            items = self._blocklists.get(name, self._default_blocklists.get(name))
            if items is None:
                raise ServiceError(404, "NotFound", f"Blocklist '{name}' was not found.")
            for item in items:
                if item.lower() in lowered:
                    item_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"blocklist:{name}:{item}"))
                    matches.append(
                        {"blocklistName": name, "blocklistItemId": item_id, "blocklistItemText": item}
                    )
        return matches

    def _severities_for(self, text: str) -> dict[str, int]:
        # Later layers win, category by category (the order is the module docstring's).
        severities = {**self._default_severities, **self._severities}
        lowered = text.lower()
        for rule in [*self._default_rules, *self._rules]:
            if rule.phrase.lower() in lowered:
                severities.update(rule.severities)
        if self._primed_severities:
            primed = self._primed_severities[0]
            severities.update(primed.severities)
            primed.remaining -= 1
            if primed.remaining == 0:
                self._primed_severities.pop(0)
        return severities


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


def _severity_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [
            f"{where}: expected a table of category = severity, found {describe(value)}; fix: {{ Hate = 2 }}"
        ]
    problems = unknown_option_problems(value, CATEGORIES, where)
    for category, severity in value.items():
        if category in CATEGORIES and (
            not isinstance(severity, int) or isinstance(severity, bool) or not 0 <= severity <= 7
        ):
            problems.append(
                f"{where}.{category}: expected a severity 0-7 (reported as 0, 2, 4, 6 with "
                f"FourSeverityLevels), found {describe(severity)}"
            )
    return problems


def _checked_severities(value: Any, where: str) -> dict[str, int]:
    problems = _severity_problems(value, where)
    if problems:
        raise SimulatorError("; ".join(problems))
    return dict(value)
