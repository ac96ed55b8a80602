"""What a test primes: the outcomes ``<verb>_next`` methods queue, and the ``set_*`` settings.

The outcomes sit in one :class:`~harness.simulators.base.NextCalls` queue (not one per kind), which
keeps the test's order: ``answer_next("A"); throttle_next()`` answers the first call with A and
throttles the second. Failures (errors, throttles, faults) apply as soon as a call is routed; answers
wait until the call passed validation and the rate limiter, so a call that is refused does not use up
the answer meant for its retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault
from harness.faults.sse import Marker
from harness.simulators.base import SimulatorError
from harness.simulators.checks import one_of, text

#: The operations a prime can aim at (None: any). "chat" means a model's answer through either API,
#: chat completions or Responses; "responses" only the Responses API.
OPERATIONS = ("chat", "responses", "embeddings")
#: ``operation=`` and ``deployment=`` of a priming method.
OPERATION = one_of(OPERATIONS, expected="one of " + ", ".join(map(repr, OPERATIONS))).or_none()
DEPLOYMENT = text(expected="a deployment name", blank=True).or_none()
#: The operation a call's primes may also be aimed at.
_FAMILY = {"responses": "chat"}


@dataclass(frozen=True)
class ToolCall:
    """One function call in an answer: ``arguments`` is the JSON text the model produced."""

    name: str
    arguments: str = "{}"
    id: str | None = None

    @classmethod
    def of(cls, name: object, arguments: object = None, call_id: object = None, *, where: str) -> ToolCall:
        """A checked tool call; ``arguments`` a dict (sent as JSON) or JSON text."""
        if not isinstance(name, str) or not name:
            raise SimulatorError(f"{where}: name must be a non-empty string, got {name!r}")
        if arguments is None:
            text = "{}"
        elif isinstance(arguments, Mapping):
            try:
                text = json.dumps(arguments)
            except (TypeError, ValueError) as error:
                raise SimulatorError(f"{where}: arguments must be JSON-serialisable: {error}") from None
        elif isinstance(arguments, str):
            text = arguments  # deliberately unchecked: a test may prime malformed JSON on purpose
        else:
            raise SimulatorError(
                f"{where}: arguments must be a dict or JSON text, got {type(arguments).__name__}"
            )
        if call_id is not None and not isinstance(call_id, str):
            raise SimulatorError(f"{where}: call_id must be a string, got {call_id!r}")
        return cls(name, text, call_id)


@dataclass(frozen=True)
class Reply:
    """A chat answer: text ``content`` and/or ``tool_calls``; ``finish_reason`` defaults to
    ``"tool_calls"`` when there are calls, else ``"stop"``."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None

    @property
    def finish(self) -> str:
        return self.finish_reason or ("tool_calls" if self.tool_calls else "stop")


@dataclass(frozen=True)
class Failure:
    """Answer with an error envelope."""

    status: int
    code: str | None
    message: str
    param: str | None = None
    type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Throttle:
    """Answer 429 as the rate limiter would, retry after ``retry_after`` seconds."""

    retry_after: float


@dataclass(frozen=True)
class Filtered:
    """The content filter blocks the prompt (400 ``content_filter``)."""

    categories: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FaultOutcome:
    """Answer with a fault (or any responder): a reset, a hang, a delay..."""

    fault: Fault | Callable[[Request], Response]


@dataclass(frozen=True)
class StreamBreak:
    """Stream the answer (``reply`` or the default), but break off after ``after_chunks`` events."""

    after_chunks: int
    then: Marker | Fault
    reply: Reply | None = None


Outcome = Reply | Failure | Throttle | Filtered | FaultOutcome | StreamBreak
#: Outcomes that replace the call's processing at once (the others are answers).
FAILURES = (Failure, Throttle, Filtered, FaultOutcome)


def call_target(operation: str, deployment: str, stream: bool) -> dict[str, object]:
    """What a call is, for the queue: a Responses call also takes outcomes aimed at "chat"."""
    family = _FAMILY.get(operation)
    return {
        "operation": frozenset({operation, family}) if family else operation,
        "deployment": deployment,
        "stream": stream,
    }


# -- the test's settings ----------------------------------------

#: A dynamic answerer: called with the chat request, returns the answer text, a Reply, a ToolCall,
#: or None for the default answer.
Answerer = Callable[..., object]


@dataclass
class TestState:
    """What a test can set for every call (the ``set_*`` methods); the simulator's baseline."""

    __test__ = False  # not a pytest test class, despite the name

    #: (deployment or None, answerer); the last matching registration wins.
    answerers: list[tuple[str | None, Answerer]] = field(default_factory=list)
    #: Rate-limit overrides by deployment (None: every deployment), each {field: value or None}.
    limits: dict[str | None, dict[str, int | None]] = field(default_factory=dict)
    #: Latency override fields (time_to_first_token, per_token_delay, jitter).
    latency: dict[str, float] = field(default_factory=dict)
    #: Vectors to return for exact input strings.
    embeddings: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def copy(self) -> TestState:
        return TestState(
            list(self.answerers),
            {key: dict(value) for key, value in self.limits.items()},
            dict(self.latency),
            dict(self.embeddings),
        )
