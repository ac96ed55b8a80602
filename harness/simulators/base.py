"""What every service simulator shares: the answering hook, the per-test reset rule, the queue of
one-shot primes, the option checks.

A simulator is the *fallback* of a mock service: a request that no ``expect_request`` expectation
matches is offered to it, so a test's own priming always wins over the simulator's defaults. It
answers the routes of the service it imitates (a werkzeug Response, or a raised wire fault from
:mod:`harness.faults`), and returns ``None`` for a path the service does not have, which the mock
then treats as unmatched (a strict service fails the test) while still answering with
:meth:`Simulator.not_found`, the service's own 404.

**The priming vocabulary** (docs/simulators.md) every simulator's test API follows:

* ``<verb>_next(..., times=1)`` -- a one-shot prime: the next ``times`` calls it fits get it, first
  primed first used (:class:`NextCalls`), e.g. ``answer_next``, ``fail_next``, ``fault_next``;
* ``set_<thing>(...)`` -- a setting every call gets until the test ends, e.g. ``set_latency``;
* ``add_<thing>(...)`` -- one more item of a collection until the test ends, e.g. ``add_rule``.

**The per-test reset rule** (:meth:`Simulator.begin_test`, :meth:`Simulator.end_test`): when a test
begins, whatever the simulator holds -- its options, what the app did at start-up, what a session or
module fixture primed or set -- is the baseline; when it ends, the simulator returns to exactly that
baseline, and the test's calls are forgotten. The mock's expectations follow the same rule.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from werkzeug.wrappers import Request, Response

from harness.simulators.checks import TIMES, Schema, SimulatorError

__all__ = ["NextCalls", "Primed", "Simulator", "SimulatorError", "json_response"]

T = TypeVar("T")


@dataclass
class Primed(Generic[T]):
    """One entry of a :class:`NextCalls` queue: ``value`` for ``times`` more calls that fit ``target``."""

    value: T
    times: int
    description: str
    #: What a call must be to use this entry (``operation="search"``, ``deployment="gpt-4o"``); a
    #: call's own value may be a frozenset of the values it counts as (a Responses call is "chat" too).
    target: dict[str, object] = field(default_factory=dict)

    def fits(self, call: Mapping[str, object]) -> bool:
        for key, wanted in self.target.items():
            got = call.get(key)
            if not (wanted in got if isinstance(got, frozenset) else wanted == got):
                return False
        return True


class NextCalls(Generic[T]):
    """The queue behind every ``<verb>_next`` method: values for the next calls, each entry used by
    the next ``times`` calls that fit its target, in the order they were primed. Thread-safe.

    ``add(value, times=2, operation="search")`` primes; ``take(operation="search", index="docs")``
    returns the value of the first entry that fits the call (using it once) or None. Make queues with
    :meth:`Simulator.next_calls`: they are then part of the baseline (see the module's reset rule)
    and of :attr:`Simulator.pending`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Primed[T]] = []

    def add(self, value: T, *, times: int = 1, description: str = "", **target: object) -> None:
        """Prime ``value`` for the next ``times`` calls that fit ``target`` (None values: any)."""
        TIMES.argument(times, "times")
        wanted = {key: value for key, value in target.items() if value is not None}
        with self._lock:
            self._items.append(Primed(value, times, description or repr(value), wanted))

    def take(self, *, accept: Callable[[T], bool] | None = None, **call: object) -> T | None:
        """The value of the first entry that fits ``call``, used once; None if none fits. With
        ``accept`` (a predicate on the value), None as well when the first fitting entry's value is
        not accepted: it is left for a later step of the same call."""
        with self._lock:
            for item in self._items:
                if item.fits(call):
                    if accept is not None and not accept(item.value):
                        return None
                    item.times -= 1
                    if item.times <= 0:
                        self._items.remove(item)
                    return item.value
        return None

    def pending(self) -> list[str]:
        """What is primed and not used yet, described (``fail 503 for search (x2)``)."""
        with self._lock:
            return [f"{p.description} (x{p.times})" if p.times > 1 else p.description for p in self._items]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def save(self) -> list[Primed[T]]:
        """A copy of the queue, for :meth:`restore`."""
        with self._lock:
            return [replace(item) for item in self._items]

    def restore(self, saved: list[Primed[T]]) -> None:
        with self._lock:
            self._items = [replace(item) for item in saved]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass
class _Baseline:
    state: object
    queues: list[list[Primed[Any]]]


class Simulator:
    """Base class of the service simulators (``simulator = "<kind>"`` on a service).

    Subclasses set :attr:`kind`, implement :meth:`handle`, declare their options in
    :attr:`options_schema` (or override :meth:`check_options`), keep one-shot primes in queues from
    :meth:`next_calls`, and return what else a test can change from :meth:`save_state` (restored by
    :meth:`restore_state`): the base class then applies the reset rule of the module docstring.
    """

    #: The ``simulator`` value that selects this class in ``[tool.harness.services.<name>]``.
    kind: ClassVar[str] = ""
    #: The options it takes (``[tool.harness.services.<name>.options]``); None: it takes none.
    options_schema: ClassVar[Schema | None] = None

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        #: The validated options (from ``[tool.harness.services.<name>.options]`` or the caller).
        self.options: dict[str, Any] = dict(options or {})
        #: Directory relative option paths (documents files, say) are resolved against.
        self.root = root or Path.cwd()
        #: The service name, set when the simulator is attached to a mock service.
        self.service_name = self.kind
        self._queues: list[NextCalls[Any]] = []
        self._baseline: _Baseline | None = None
        problems = self.check_options(self.options, "options", self.root)
        if problems:
            raise SimulatorError(f"invalid {self.kind} options: " + "; ".join(problems))

    # -- options -----------------------------------------------------------------------------------

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str, root: Path) -> list[str]:
        """Every problem with ``options`` as one message each, naming ``where.key``, what was
        expected, what was found and the fix; empty when they are fine. Called at config load."""
        if cls.options_schema is not None:
            return cls.options_schema.problems(options, where, root)
        return [f"{where}.{key}: unknown option (the {cls.kind} simulator takes none)" for key in options]

    # -- serving -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:  # pragma: no cover - abstract
        """Answer ``request`` as the service would, or ``None`` if the service has no such route."""
        raise NotImplementedError

    @property
    def description(self) -> str:
        """How a fault wrapping the simulator names it (``delay 2 s, then simulator azure_openai``)."""
        return f"simulator {self.kind}"

    def __call__(self, request: Request) -> Response:
        """The simulator as a responder, so faults can wrap it:
        ``expect_request(...).respond_with_fault(faults.delay(2.0, simulator))`` answers as the
        simulator would, two seconds late."""
        response = self.handle(request)
        return self.not_found(request) if response is None else response

    def not_found(self, request: Request) -> Response:
        """The service's answer to a path it does not have (overridden per service)."""
        return json_response({"error": {"code": "404", "message": "Resource not found"}}, status=404)

    def describe(self, request: Request) -> str:
        """How the journal names the answer to ``request`` (e.g. ``simulator azure_openai``)."""
        return f"simulator {self.kind}"

    # -- priming -----------------------------------------------------------------------------------

    def next_calls(self) -> NextCalls[Any]:
        """A new queue for a ``<verb>_next`` method, reset with the test and listed in :attr:`pending`."""
        queue: NextCalls[Any] = NextCalls()
        self._queues.append(queue)
        return queue

    @property
    def pending(self) -> list[str]:
        """One-shot primes no call has used yet (a test can assert this is empty)."""
        return [entry for queue in self._queues for entry in queue.pending()]

    # -- per-test state ----------------------------------------------------------------------------

    def save_state(self) -> object:
        """A copy of what a test can change besides the :meth:`next_calls` queues (settings, data)."""
        return None

    def restore_state(self, saved: object) -> None:
        """Go back to what :meth:`save_state` returned."""

    def forget_calls(self) -> None:
        """Forget what never outlives a test: the calls it saw, rate-limit usage (at both ends of a test)."""

    def begin_test(self) -> None:
        """A test begins: everything the simulator holds now is the baseline."""
        self._baseline = _Baseline(self.save_state(), [queue.save() for queue in self._queues])
        self.forget_calls()

    def end_test(self) -> None:
        """The test ended: back to the baseline of :meth:`begin_test` (without one, the state is
        kept, as the mock keeps its expectations); its calls are forgotten."""
        baseline, self._baseline = self._baseline, None
        if baseline is not None:
            self.restore_state(baseline.state)
            for queue, saved in zip(self._queues, baseline.queues, strict=False):
                queue.restore(saved)
        self.forget_calls()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.service_name}>"


def json_response(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response as Azure services send it."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=utf-8",
        headers=dict(headers or {}),
    )
