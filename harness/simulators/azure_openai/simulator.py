"""The Azure OpenAI simulator: routes a request through auth, priming, checks, rate limits and
latency to an answer shaped exactly like the service's."""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.faults import wire
from harness.faults.base import Fault, misuse_hint
from harness.faults.sse import RESET, Marker
from harness.simulators.azure_common import check_times
from harness.simulators.azure_openai import chat, embeddings, errors, responses, routes, streaming
from harness.simulators.azure_openai.calls import Call, Usage
from harness.simulators.azure_openai.clock import SimClock
from harness.simulators.azure_openai.latency import Latency, Pacer
from harness.simulators.azure_openai.options import Deployment, adhoc_deployment, parse
from harness.simulators.azure_openai.options import check as check_settings
from harness.simulators.azure_openai.priming import (
    FAILURES,
    Answerer,
    Failure,
    FaultOutcome,
    Filtered,
    Outcome,
    Prime,
    Reply,
    StreamBreak,
    TestState,
    Throttle,
    ToolCall,
    check_target,
)
from harness.simulators.azure_openai.ratelimit import Decision, Limits, RateLimiter
from harness.simulators.base import Simulator, SimulatorError, json_response

#: environ key marking a request the simulator already recorded a Call for (a fault wrapping the
#: simulator, ``faults.delay(1, sim)``, must not record the same request twice).
_RECORDED = "harness.azure_openai.recorded"
#: The call a request was answered as, for the journal's description.
_ANSWERED = "harness.azure_openai.answered"
_FILTER_CATEGORIES = ("hate", "self_harm", "sexual", "violence", "jailbreak")
_SEVERITIES = ("low", "medium", "high")


class _Keep:
    """Marks a ``set_*`` argument that was not given (None means "unlimited"/"none")."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def _check_seconds(name: str, value: object) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or float(value) < 0:  # type: ignore[arg-type]
        raise SimulatorError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)  # type: ignore[arg-type]


class AzureOpenAISimulator(Simulator):
    """Answers chat completions (plain, streamed, tool calls) and embeddings like Azure OpenAI.

    Options (``[tool.harness.services.<name>.options]``) are described in
    docs/simulators/azure_openai.md. Tests prime it through the ``*_next`` methods (FIFO, ``times=``
    repeats), :meth:`answer_with`, :meth:`set_embedding`, :meth:`set_rate_limits` and
    :meth:`set_latency`; all of it is dropped when the test ends. Thread-safe.
    """

    kind: ClassVar[str] = "azure_openai"

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)
        problems = self.check_options(self.options, "options", self.root)
        if problems:
            raise SimulatorError("invalid azure_openai options: " + "; ".join(problems))
        self.settings = parse(self.options)
        #: The clock rate limits are metered on: ``clock.advance(60)`` starts a fresh minute.
        self.clock = SimClock()
        self._limiter = RateLimiter(self.clock)
        self._pacer = Pacer(self.settings.seed)
        self._lock = threading.RLock()
        self._state = TestState()
        self._baseline: TestState | None = None
        self._calls: list[Call] = []

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str, root: Path) -> list[str]:
        """One message per problem in ``options`` (see docs/simulators/azure_openai.md)."""
        return check_settings(options, where)

    # -- per-test state ----------------------------------------------------------------------------

    def begin_test(self) -> None:
        """What is primed so far is the baseline; the test starts with a full rate-limit minute."""
        with self._lock:
            self._baseline = self._state.copy()
            self._calls = []
        self._limiter.clear()

    def end_test(self) -> None:
        """Drop the test's priming, overrides, calls and rate-limit usage; unfreeze the clock."""
        with self._lock:
            self._state = self._baseline.copy() if self._baseline is not None else TestState()
            self._baseline = None
            self._calls = []
        self._limiter.clear()
        self.clock.unfreeze()

    # -- what tests assert on ----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """The calls of the current test, in order of arrival (answered, refused or failed)."""
        with self._lock:
            return list(self._calls)

    @property
    def last_call(self) -> Call:
        """The latest call of the current test (AssertionError if there was none)."""
        calls = self.calls
        if not calls:
            raise AssertionError(f"the {self.service_name} simulator received no call in this test")
        return calls[-1]

    @property
    def usage(self) -> Usage:
        """Token totals of the current test's successful calls."""
        done = [call for call in self.calls if call.status == 200]
        return Usage(sum(c.prompt_tokens for c in done), sum(c.completion_tokens for c in done), len(done))

    @property
    def pending(self) -> list[str]:
        """Primed outcomes no call has used yet (a test can assert this is empty)."""
        with self._lock:
            return self._state.primes.describe()

    # -- priming -----------------------------------------------------------------------------------

    def _prime(
        self,
        outcome: Outcome,
        description: str,
        *,
        times: int,
        operation: str | None,
        deployment: str | None,
        stream: bool | None = None,
    ) -> None:
        check_target(operation, deployment)
        target = "".join(
            f" {label} {value}" for label, value in (("on", deployment), ("for", operation)) if value
        )
        check_times(times)
        prime = Prime(outcome, operation, deployment, times, description + target, stream)
        with self._lock:
            self._state.primes.add(prime)

    def answer_next(
        self, content: str, *, times: int = 1, deployment: str | None = None, finish_reason: str | None = None
    ) -> None:
        """The next chat call (``times`` calls) answers ``content``, streamed or not."""
        if not isinstance(content, str):
            raise SimulatorError(f"answer_next(content): expected a string, got {type(content).__name__}")
        if finish_reason is not None and not isinstance(finish_reason, str):
            raise SimulatorError(f"answer_next(finish_reason): expected a string, got {finish_reason!r}")
        reply = Reply(content=content, finish_reason=finish_reason)
        self._prime(reply, f"answer {content[:40]!r}", times=times, operation="chat", deployment=deployment)

    def call_tool_next(
        self,
        name: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        call_id: str | None = None,
        times: int = 1,
        deployment: str | None = None,
    ) -> None:
        """The next chat call asks for tool (function) ``name`` with ``arguments`` (a dict, sent as
        JSON, or raw JSON text -- malformed on purpose if you like)."""
        call = ToolCall.of(name, arguments, call_id, where="call_tool_next")
        self._prime(
            Reply(tool_calls=(call,)),
            f"call tool {name}",
            times=times,
            operation="chat",
            deployment=deployment,
        )

    def call_tools_next(
        self,
        calls: Sequence[ToolCall | tuple[str, Mapping[str, Any] | str]],
        *,
        times: int = 1,
        deployment: str | None = None,
    ) -> None:
        """The next chat call asks for several tools at once (parallel tool calls): ``calls`` is a
        list of ``(name, arguments)`` pairs or :class:`ToolCall`."""
        if isinstance(calls, (str, bytes)) or not isinstance(calls, Sequence) or not calls:
            raise SimulatorError(
                "call_tools_next(calls): expected a non-empty list of (name, arguments) pairs"
            )
        checked = []
        for index, item in enumerate(calls):
            where = f"call_tools_next(calls[{index}])"
            if isinstance(item, ToolCall):
                checked.append(ToolCall.of(item.name, item.arguments, item.id, where=where))
            elif isinstance(item, tuple) and len(item) == 2:
                checked.append(ToolCall.of(item[0], item[1], where=where))
            else:
                raise SimulatorError(f"{where}: expected a (name, arguments) pair or ToolCall, got {item!r}")
        names = ", ".join(call.name for call in checked)
        self._prime(
            Reply(tool_calls=tuple(checked)),
            f"call tools {names}",
            times=times,
            operation="chat",
            deployment=deployment,
        )

    def throttle_next(
        self,
        times: int = 1,
        *,
        retry_after: float = 1.0,
        operation: str | None = None,
        deployment: str | None = None,
    ) -> None:
        """The next ``times`` calls get 429 with ``Retry-After``/``retry-after-ms`` of ``retry_after``
        seconds (the openai SDK waits exactly that, from retry-after-ms, before retrying)."""
        seconds = _check_seconds("throttle_next(retry_after)", retry_after)
        self._prime(
            Throttle(seconds),
            f"throttle {seconds:g} s",
            times=times,
            operation=operation,
            deployment=deployment,
        )

    def fail_next(
        self,
        status: int = 500,
        code: str | None = None,
        message: str | None = None,
        *,
        param: str | None = None,
        type: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        operation: str | None = None,
        deployment: str | None = None,
    ) -> None:
        """The next call fails with ``status`` and the service's error envelope (``code``,
        ``message``, ``param``, ``type``); ``headers`` are added (e.g. ``x-should-retry``)."""
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise SimulatorError(f"fail_next(status): expected an HTTP error status 400-599, got {status!r}")
        for label, value in (("code", code), ("message", message), ("param", param), ("type", type)):
            if value is not None and not isinstance(value, str):
                raise SimulatorError(f"fail_next({label}): expected a string, got {value!r}")
        if headers is not None and not (
            isinstance(headers, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            raise SimulatorError(f"fail_next(headers): expected a dict of strings, got {headers!r}")
        failure = Failure(
            status,
            code if code is not None else str(status),
            message if message is not None else _default_message(status),
            param,
            type,
            tuple((headers or {}).items()),
        )
        self._prime(failure, f"fail {status}", times=times, operation=operation, deployment=deployment)

    def filter_next(
        self, categories: Mapping[str, str] | None = None, *, times: int = 1, deployment: str | None = None
    ) -> None:
        """The content filter blocks the next chat call's prompt (400 ``content_filter``, with
        ``innererror.content_filter_result``); ``categories`` maps hate/self_harm/sexual/violence to
        a severity (low/medium/high), or jailbreak to anything (default: ``{"hate": "high"}``)."""
        chosen = dict(categories) if categories is not None else {"hate": "high"}
        for name, severity in chosen.items():
            if name not in _FILTER_CATEGORIES:
                raise SimulatorError(
                    f"filter_next(categories): unknown category {name!r}; use {_FILTER_CATEGORIES}"
                )
            if name != "jailbreak" and severity not in _SEVERITIES:
                raise SimulatorError(
                    f"filter_next(categories[{name!r}]): severity must be one of {_SEVERITIES}"
                )
        if not chosen:
            raise SimulatorError("filter_next(categories): name at least one category")
        self._prime(
            Filtered(tuple(chosen.items())),
            f"content filter {chosen}",
            times=times,
            operation="chat",
            deployment=deployment,
        )

    def fault_next(
        self, fault: Fault, *, times: int = 1, operation: str | None = None, deployment: str | None = None
    ) -> None:
        """The next call gets ``fault`` from :mod:`harness.faults` (``faults.reset()``,
        ``faults.hang()``, ``faults.delay(2, sim)``: two seconds late, then the simulator's answer)."""
        if not isinstance(fault, Fault):
            hint = misuse_hint(fault)  # faults.reset for faults.reset(), or faults.RESET
            raise SimulatorError(
                f"fault_next(fault): {hint}"
                if hint
                else f"fault_next(fault): expected a fault from harness.faults, got {fault!r}"
            )
        description = getattr(fault, "description", repr(fault))
        self._prime(
            FaultOutcome(fault),
            f"fault {description}",
            times=times,
            operation=operation,
            deployment=deployment,
        )

    def break_stream_next(
        self,
        after_chunks: int,
        *,
        then: Marker | Fault = RESET,
        content: str | None = None,
        times: int = 1,
        deployment: str | None = None,
    ) -> None:
        """The next *streamed* chat call sends ``after_chunks`` events (counting the first,
        prompt-filter, chunk) and then breaks with ``then``: ``faults.RESET`` (default),
        ``faults.CLOSE``, ``faults.STALL`` or ``faults.BAD_CHUNK``. ``content``: the answer streamed
        (default: the usual answer)."""
        if not isinstance(after_chunks, int) or isinstance(after_chunks, bool) or after_chunks < 0:
            raise SimulatorError(
                f"break_stream_next(after_chunks): expected a whole number >= 0, got {after_chunks!r}"
            )
        if not isinstance(then, (Marker, Fault)):
            hint = misuse_hint(then, in_stream=True)  # faults.reset for faults.reset()
            raise SimulatorError(
                f"break_stream_next(then): {hint}"
                if hint
                else f"break_stream_next(then): expected faults.RESET/CLOSE/STALL/BAD_CHUNK, got {then!r}"
            )
        if content is not None and not isinstance(content, str):
            raise SimulatorError(f"break_stream_next(content): expected a string, got {content!r}")
        outcome = StreamBreak(after_chunks, then, None if content is None else Reply(content=content))
        self._prime(
            outcome,
            f"break stream after {after_chunks} chunks",
            times=times,
            operation="chat",
            deployment=deployment,
            stream=True,
        )

    def answer_with(self, answerer: Answerer, *, deployment: str | None = None) -> None:
        """Answer chat calls (not primed otherwise) with ``answerer(request)``: it gets a
        :class:`~harness.simulators.azure_openai.chat.ChatRequest` and returns the answer text, a
        :class:`Reply`, a :class:`ToolCall` (or a list of them), or None for the default answer."""
        if not callable(answerer):
            raise SimulatorError(f"answer_with(answerer): expected a callable, got {answerer!r}")
        check_target(None, deployment)
        with self._lock:
            self._state.answerers.append((deployment, answerer))

    def set_embedding(self, text: str, vector: Sequence[float]) -> None:
        """Embeddings of exactly ``text`` are ``vector`` (sent as given: match the deployment's size)."""
        if not isinstance(text, str) or not text:
            raise SimulatorError(f"set_embedding(text): expected a non-empty string, got {text!r}")
        ok = isinstance(vector, Sequence) and not isinstance(vector, (str, bytes)) and len(vector) > 0
        if not ok or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vector):
            raise SimulatorError("set_embedding(vector): expected a non-empty list of numbers")
        with self._lock:
            self._state.embeddings[text] = tuple(float(v) for v in vector)

    def set_rate_limits(
        self,
        *,
        tokens_per_minute: int | None = KEEP,
        requests_per_minute: int | None = KEEP,
        deployment: str | None = None,
    ) -> None:
        """Rate limits for this test (all deployments, or ``deployment``); None lifts a limit."""
        check_target(None, deployment)
        changes: dict[str, int | None] = {}
        for name, value in (
            ("tokens_per_minute", tokens_per_minute),
            ("requests_per_minute", requests_per_minute),
        ):
            if value is KEEP:
                continue
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise SimulatorError(
                    f"set_rate_limits({name}): expected a positive integer or None, got {value!r}"
                )
            changes[name] = value
        with self._lock:
            self._state.limits.setdefault(deployment, {}).update(changes)

    def set_latency(
        self,
        *,
        time_to_first_token: float | None = None,
        per_token_delay: float | None = None,
        jitter: float | None = None,
    ) -> None:
        """Latency for this test: seconds before the first token, seconds per further token, and
        a ``jitter`` fraction (0-1); arguments left out keep the configured value."""
        changes: dict[str, float] = {}
        for name, value in (
            ("time_to_first_token", time_to_first_token),
            ("per_token_delay", per_token_delay),
        ):
            if value is not None:
                changes[name] = _check_seconds(f"set_latency({name})", value)
        if jitter is not None:
            if _check_seconds("set_latency(jitter)", jitter) > 1:
                raise SimulatorError(f"set_latency(jitter): expected a fraction from 0 to 1, got {jitter!r}")
            changes["jitter"] = float(jitter)
        with self._lock:
            self._state.latency.update(changes)

    # -- serving -----------------------------------------------------------------------------------

    def not_found(self, request: Request) -> Response:
        """Azure's 404 for a path it does not have."""
        return errors.resource_not_found()

    def describe(self, request: Request) -> str:
        """``simulator azure_openai``, plus how the request was answered once it was (e.g.
        ``chat, primed: throttle``), for the journal and the failure report."""
        call = request.environ.get(_ANSWERED)
        if not isinstance(call, Call):
            return f"simulator {self.kind}"
        how = f", {call.answered_by}" if call.answered_by else ""
        return f"simulator {self.kind} {call.operation}{how}"

    def handle(self, request: Request) -> Response | None:
        """Answer ``request`` like Azure OpenAI; None for a path the service does not have."""
        route = routes.match(request)
        if route is None:
            return None
        if route.needs_api_version and not request.args.get("api-version"):
            return errors.resource_not_found()
        if not self._authorised(request):
            return errors.unauthorized()
        try:
            body = json.loads(request.get_data() or b"null")
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            return errors.bad_json()
        name = route.deployment or body.get("model")
        if not isinstance(name, str) or not name:
            return errors.invalid_request(
                "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
            )
        deployment = self._deployment(name)
        if deployment is None:
            return self._record(
                request,
                Call(route.operation, name, 404, "unknown deployment", body),
                errors.deployment_not_found(),
            )
        # A chat deployment answers through both APIs, chat completions and Responses.
        needed = "embeddings" if route.operation == "embeddings" else "chat"
        if deployment.kind not in {"any", needed}:
            response = errors.operation_not_supported(route.operation, deployment.model)
            return self._record(request, Call(route.operation, name, 400, "wrong operation", body), response)
        stream = route.operation != "embeddings" and body.get("stream") is True
        failure = self._take(route.operation, name, stream, failures=True)
        if failure is not None:
            return self._fail(request, failure, Call(route.operation, name, None, "", body, stream))
        if route.operation == "embeddings":
            return self._embeddings(request, deployment, body)
        return self._generate(request, deployment, body, route.operation)

    # -- steps -------------------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        key = request.headers.get("api-key", "").strip()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else ""
        offered = [value for value in (key, bearer) if value]
        if self.settings.api_keys is None:
            return bool(offered)
        return any(value in self.settings.api_keys for value in offered)

    def _deployment(self, name: str) -> Deployment | None:
        if self.settings.deployments is None:
            return adhoc_deployment(name)
        return self.settings.deployments.get(name)

    def _take(self, operation: str, deployment: str, stream: bool, *, failures: bool) -> Outcome | None:
        # Failures are taken on routing; answers only once the call passed checks and limits.
        with self._lock:
            prime = self._state.primes.peek(operation, deployment, stream)
            if prime is None or isinstance(prime.outcome, FAILURES) != failures:
                return None
            return self._state.primes.take(prime)

    def _record(self, request: Request, call: Call, response: Response) -> Response:
        request.environ[_RECORDED] = True
        request.environ[_ANSWERED] = call
        with self._lock:
            self._calls.append(call)
        return response

    def _fail(self, request: Request, outcome: Outcome, call: Call) -> Response:
        api_version = request.args.get("api-version")
        if isinstance(outcome, Throttle):
            limits = self._limits(call.deployment)
            headers = self._headers(call.deployment, limits, exhausted=True)
            response = errors.too_many_requests(outcome.retry_after, call.operation, api_version, headers)
            return self._record(request, _with(call, 429, "primed: throttle"), response)
        if isinstance(outcome, Failure):
            response = errors.error(
                outcome.status,
                outcome.message,
                code=outcome.code,
                param=outcome.param,
                type=outcome.type,
                headers=dict(outcome.headers),
            )
            return self._record(
                request, _with(call, outcome.status, f"primed: fail {outcome.status}"), response
            )
        if isinstance(outcome, Filtered):
            response = errors.content_filtered(dict(outcome.categories))
            return self._record(request, _with(call, 400, "primed: content filter"), response)
        assert isinstance(outcome, FaultOutcome)
        description = getattr(outcome.fault, "description", "fault")
        try:
            response = outcome.fault(request)
        except wire.WireTakeover:
            self._record(request, _with(call, None, f"primed: {description}"), Response())
            raise
        if request.environ.get(_RECORDED):  # the fault wrapped the simulator, which recorded the call
            return response
        return self._record(request, _with(call, response.status_code, f"primed: {description}"), response)

    def _limits(self, name: str) -> Limits:
        configured = self.settings.deployments.get(name) if self.settings.deployments else None
        tpm = self.settings.limits.tokens_per_minute
        rpm = self.settings.limits.requests_per_minute
        if configured is not None:
            tpm = configured.limits.tokens_per_minute or tpm
            rpm = configured.limits.requests_per_minute or rpm
        with self._lock:
            for key in (None, name):
                override = self._state.limits.get(key, {})
                tpm = override.get("tokens_per_minute", tpm)
                rpm = override.get("requests_per_minute", rpm)
        return Limits(tpm, rpm)

    def _headers(self, name: str, limits: Limits, *, exhausted: bool = False) -> dict[str, str]:
        ident = str(uuid.uuid4())
        headers = {"apim-request-id": ident, "x-request-id": ident, "x-ms-region": "harness"}
        remaining = self._limiter.remaining(name, limits)
        for label, value in (("requests", remaining.requests), ("tokens", remaining.tokens)):
            if value is not None or exhausted:
                headers[f"x-ratelimit-remaining-{label}"] = "0" if exhausted else str(value)
        return headers

    def _admit(self, request: Request, call: Call, limits: Limits, estimate: int) -> Decision | Response:
        decision = self._limiter.admit(call.deployment, limits, estimate)
        if decision.admitted:
            return decision
        headers = self._headers(call.deployment, limits)
        headers[f"x-ratelimit-remaining-{decision.exceeded}"] = "0"
        response = errors.too_many_requests(
            decision.retry_after, call.operation, request.args.get("api-version"), headers
        )
        return self._record(
            request, _with(call, 429, f"rate limit ({decision.exceeded} per minute)"), response
        )

    def _latency(self) -> Latency:
        base = self.settings.latency
        with self._lock:
            override = dict(self._state.latency)
        return Latency(
            override.get("time_to_first_token", base.time_to_first_token),
            override.get("per_token_delay", base.per_token_delay),
            override.get("jitter", base.jitter),
        )

    def _wait(self, request: Request, seconds: float, jitter: float) -> None:
        # A test that ends while its call waits: close the connection instead of answering late.
        if self._pacer.wait(request, self._pacer.jittered(seconds, jitter)):
            wire.take_over(request, "simulated latency (released at test end)", [wire.Close()])

    def _answer(self, request: chat.ChatRequest) -> tuple[Reply, str]:
        with self._lock:
            answerer = next(
                (fn for key, fn in reversed(self._state.answerers) if key in {None, request.deployment}), None
            )
        if answerer is not None:
            produced = _as_reply(answerer(request))
            if produced is not None:
                return produced, "answerer"
        return chat.default_reply(request, self.settings.default_answer), "default"

    def _generate(
        self, request: Request, deployment: Deployment, body: dict[str, Any], operation: str
    ) -> Response:
        """A model's answer through chat completions or the Responses API (``operation``)."""
        name = deployment.name
        parse = responses.parse if operation == "responses" else chat.parse
        try:
            parsed = parse(name, deployment.model, body)
        except chat.InvalidRequest as invalid:
            response = errors.invalid_request(invalid.message, param=invalid.param, code=invalid.code)
            return self._record(request, Call(operation, name, 400, "invalid request", body), response)
        call = Call(operation, name, None, "", body, parsed.stream)
        prompt = parsed.prompt_tokens
        limits = self._limits(name)
        admitted = self._admit(request, call, limits, prompt + (parsed.max_tokens or 0))
        if isinstance(admitted, Response):
            return admitted
        outcome = self._take(operation, name, parsed.stream, failures=False)
        broken = outcome if isinstance(outcome, StreamBreak) else None
        primed = broken.reply if broken is not None else outcome if isinstance(outcome, Reply) else None
        reply, how = (primed, "primed answer") if primed is not None else self._answer(parsed)
        reply = chat.truncated(reply, parsed.max_tokens)
        completion = chat.completion_tokens(reply)
        self._limiter.settle(admitted.use, prompt + completion * parsed.choices)
        headers = self._headers(name, limits)
        latency = self._latency()
        done = Call(
            operation,
            name,
            200,
            how,
            body,
            parsed.stream,
            prompt,
            completion * parsed.choices,
            reply.content,
            reply.tool_calls,
        )
        self._record(request, done, Response())
        self._wait(request, latency.time_to_first_token, latency.jitter)
        answer = responses.Answer(parsed, reply, body) if operation == "responses" else None
        if parsed.stream:

            def delay() -> float:
                return self._pacer.jittered(latency.per_token_delay, latency.jitter)

            items: list[streaming.Item] = (
                list(responses.events(answer, prompt, completion, delay))
                if answer is not None
                else streaming.events(parsed, reply, prompt, completion, delay)
            )
            if broken is not None:
                return streaming.respond_broken(request, items, headers, broken.after_chunks, broken.then)
            return streaming.respond(request, items, headers)
        self._wait(request, latency.per_token_delay * max(0, completion - 1), latency.jitter)
        if answer is not None:
            return json_response(answer.response(prompt, completion), headers=headers)
        return json_response(chat.completion(parsed, reply, prompt, completion), headers=headers)

    def _embeddings(self, request: Request, deployment: Deployment, body: dict[str, Any]) -> Response:
        name = deployment.name
        try:
            parsed = embeddings.parse(deployment, body)
        except chat.InvalidRequest as invalid:
            response = errors.invalid_request(invalid.message, param=invalid.param, code=invalid.code)
            return self._record(request, Call("embeddings", name, 400, "invalid request", body), response)
        call = Call("embeddings", name, None, "", body)
        limits = self._limits(name)
        admitted = self._admit(request, call, limits, parsed.prompt_tokens)
        if isinstance(admitted, Response):
            return admitted
        with self._lock:
            fixed = dict(self._state.embeddings)
        vectors = [
            list(fixed[text])
            if text in fixed
            else embeddings.vector(text, deployment.dimensions, parsed.dimensions)
            for text in parsed.inputs
        ]
        how = "primed embedding" if any(text in fixed for text in parsed.inputs) else "default"
        self._record(request, _with(call, 200, how, prompt_tokens=parsed.prompt_tokens), Response())
        self._wait(request, self._latency().time_to_first_token, self._latency().jitter)
        payload = embeddings.response(deployment.model, vectors, parsed.encoding, parsed.prompt_tokens)
        return json_response(payload, headers=self._headers(name, limits))


def _with(call: Call, status: int | None, how: str, *, prompt_tokens: int = 0) -> Call:
    return Call(call.operation, call.deployment, status, how, call.body, call.stream, prompt_tokens)


def _as_reply(value: object) -> Reply | None:
    """An answerer's return value as a Reply (None: use the default answer)."""
    if value is None or isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(content=value)
    if isinstance(value, ToolCall):
        return Reply(tool_calls=(value,))
    if isinstance(value, list) and value and all(isinstance(item, ToolCall) for item in value):
        return Reply(tool_calls=tuple(value))
    raise SimulatorError(
        f"an answer_with answerer returned {type(value).__name__}; return a str, Reply, ToolCall, a list of "
        "ToolCall, or None"
    )


def _default_message(status: int) -> str:
    if status >= 500:
        return "The server had an error while processing your request. Sorry about that!"
    return f"The request failed with status {status}."
