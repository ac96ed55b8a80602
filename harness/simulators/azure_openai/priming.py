"""What a test primes: "next" outcomes in one FIFO queue, each aimed at an operation/deployment.

One queue (not one per kind) keeps the test's order: ``answer_next("A"); throttle_next()`` answers
the first call with A and throttles the second. Failures (errors, throttles, faults) apply as soon
as a call is routed; answers wait until the call passed validation and the rate limiter, so a call
that is refused does not use up the answer meant for its retry.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault
from harness.faults.sse import Marker
from harness.simulators.base import SimulatorError

#: The operations a prime can aim at (None: any). "chat" means a model's answer through either API,
#: chat completions or Responses; "responses" only the Responses API.
OPERATIONS = ("chat", "responses", "embeddings")
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


@dataclass
class Prime:
    """One queued outcome, ``times`` more uses, aimed at ``operation``/``deployment`` (None: any)."""

    outcome: Outcome
    operation: str | None
    deployment: str | None
    times: int
    description: str
    #: Only streamed calls (a stream break), only unstreamed, or either (None).
    stream: bool | None = None

    def matches(self, operation: str, deployment: str, stream: bool) -> bool:
        return (
            self.operation in {None, operation, _FAMILY.get(operation)}
            and self.deployment in {None, deployment}
            and self.stream in {None, stream}
        )


@dataclass
class PrimeQueue:
    """FIFO queue of primes. Not locked itself: the simulator holds its lock around every use."""

    items: list[Prime] = field(default_factory=list)

    def add(self, prime: Prime) -> None:
        self.items.append(prime)

    def peek(self, operation: str, deployment: str, stream: bool) -> Prime | None:
        """The first prime for such a call, left in the queue."""
        return next((p for p in self.items if p.matches(operation, deployment, stream)), None)

    def take(self, prime: Prime) -> Outcome:
        """Use ``prime`` once (it leaves the queue after its last use)."""
        prime.times -= 1
        if prime.times <= 0 and prime in self.items:
            self.items.remove(prime)
        return prime.outcome

    def describe(self) -> list[str]:
        return [f"{p.description} (x{p.times})" if p.times > 1 else p.description for p in self.items]

    def copy(self) -> PrimeQueue:
        return PrimeQueue([copy.copy(p) for p in self.items])


def check_target(operation: object, deployment: object) -> None:
    """``operation=`` and ``deployment=`` of a priming method."""
    if operation is not None and operation not in OPERATIONS:
        raise SimulatorError(
            f"operation must be one of {', '.join(map(repr, OPERATIONS))} or None, got {operation!r}"
        )
    if deployment is not None and (not isinstance(deployment, str) or not deployment):
        raise SimulatorError(f"deployment must be a deployment name or None, got {deployment!r}")


# -- the test's state: primed outcomes and per-test overrides ----------------------------------------

#: A dynamic answerer: called with the chat request, returns the answer text, a Reply, a ToolCall,
#: or None for the default answer.
Answerer = Callable[..., object]


@dataclass
class TestState:
    """Everything a test can set; copied at ``begin_test`` as the baseline ``end_test`` restores."""

    __test__ = False  # not a pytest test class, despite the name

    primes: PrimeQueue = field(default_factory=PrimeQueue)
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
            self.primes.copy(),
            list(self.answerers),
            {key: dict(value) for key, value in self.limits.items()},
            dict(self.latency),
            dict(self.embeddings),
        )
