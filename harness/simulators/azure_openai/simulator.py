"""The Azure OpenAI simulator: routes a request through auth, priming, checks, rate limits and
latency to an answer shaped exactly like the service's."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.faults import wire
from harness.faults.base import Fault
from harness.faults.sse import RESET, Marker
from harness.simulators.azure_openai import chat, embeddings, errors, responses, routes, streaming
from harness.simulators.azure_openai.calls import Call, Usage
from harness.simulators.azure_openai.clock import SimClock
from harness.simulators.azure_openai.latency import Latency, Pacer
from harness.simulators.azure_openai.options import OPTIONS, Deployment, adhoc_deployment, parse
from harness.simulators.azure_openai.priming import (
    DEPLOYMENT,
    FAILURES,
    OPERATION,
    Answerer,
    Failure,
    FaultOutcome,
    Filtered,
    Outcome,
    Reply,
    StreamBreak,
    TestState,
    Throttle,
    ToolCall,
    call_target,
)
from harness.simulators.azure_openai.ratelimit import Decision, Limits, RateLimiter
from harness.simulators.base import Simulator, SimulatorError, json_response
from harness.simulators.checks import (
    CALLABLE,
    FAULT,
    HTTP_ERROR,
    SECONDS,
    STREAM_BREAK,
    STRING,
    TIMES,
    Check,
    Schema,
    arguments,
    deprecated_alias,
    integer,
    number,
    text,
)

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


def _filter_problem(categories: object) -> str | None:
    """What is wrong with ``filter_next(categories)``, or None."""
    if not isinstance(categories, Mapping):
        return None  # the check's own "expected ..., got ..."
    if not categories:
        return "name at least one category"
    for name, severity in categories.items():
        if name not in _FILTER_CATEGORIES:
            return f"unknown category {name!r}; use {_FILTER_CATEGORIES}"
        if name != "jailbreak" and severity not in _SEVERITIES:
            return f"the severity of {name!r} must be one of {_SEVERITIES}, got {severity!r}"
    return None


_FILTERED = Check(
    lambda value: isinstance(value, Mapping) and bool(value) and _filter_problem(value) is None,
    f"a dict of category -> severity ({', '.join(_FILTER_CATEGORIES)})",
    explain=_filter_problem,
)
_HEADERS = Check(
    lambda value: (
        isinstance(value, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    ),
    "a dict of strings",
).or_none()
_NUMBER = number()
_VECTOR = Check(
    lambda value: (
        isinstance(value, Sequence)
        and not isinstance(value, (str, bytes))
        and len(value) > 0
        and all(map(_NUMBER, value))
    ),
    "a non-empty list of numbers",
)
_LIMIT = integer(1, expected="a positive integer").or_none()


class AzureOpenAISimulator(Simulator):
    """Answers chat completions (plain, streamed, tool calls) and embeddings like Azure OpenAI.

    Options (``[tool.harness.services.<name>.options]``) are described in
    docs/simulators/azure_openai.md. Tests prime it through the ``*_next`` methods (FIFO, ``times=``
    repeats) and set it through the ``set_*`` methods; the base class's reset rule drops all of it
    when the test ends. Thread-safe.
    """

    kind: ClassVar[str] = "azure_openai"
    options_schema: ClassVar[Schema] = OPTIONS

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)
        self.settings = parse(self.options)
        #: The clock rate limits are metered on: ``clock.advance(60)`` starts a fresh minute.
        self.clock = SimClock()
        self._limiter = RateLimiter(self.clock)
        self._pacer = Pacer(self.settings.seed)
        self._lock = threading.RLock()
        self._state = TestState()
        self._primes = self.next_calls()
        self._calls: list[Call] = []

    # -- per-test state ----------------------------------------------------------------------------

    def save_state(self) -> TestState:
        with self._lock:
            return self._state.copy()

    def restore_state(self, saved: object) -> None:
        assert isinstance(saved, TestState)
        with self._lock:
            self._state = saved

    def forget_calls(self) -> None:
        """A test begins or ends: no calls yet, and a full rate-limit minute."""
        with self._lock:
            self._calls = []
        self._limiter.clear()

    def end_test(self) -> None:
        """Back to the baseline (base class); the clock runs again."""
        super().end_test()
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

    # -- priming: the next calls -------------------------------------------------------------------

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
        target = "".join(
            f" {label} {value}" for label, value in (("on", deployment), ("for", operation)) if value
        )
        self._primes.add(
            outcome,
            times=times,
            description=description + target,
            operation=operation,
            deployment=deployment,
            stream=stream,
        )

    @arguments(content=STRING, times=TIMES, deployment=DEPLOYMENT, finish_reason=STRING.or_none())
    def answer_next(
        self, content: str, *, times: int = 1, deployment: str | None = None, finish_reason: str | None = None
    ) -> None:
        """The next chat call (``times`` calls) answers ``content``, streamed or not."""
        reply = Reply(content=content, finish_reason=finish_reason)
        self._prime(reply, f"answer {content[:40]!r}", times=times, operation="chat", deployment=deployment)

    @arguments(times=TIMES, deployment=DEPLOYMENT)
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

    @arguments(times=TIMES, deployment=DEPLOYMENT)
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

    @arguments(times=TIMES, retry_after=SECONDS, operation=OPERATION, deployment=DEPLOYMENT)
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
        seconds = float(retry_after)
        self._prime(
            Throttle(seconds),
            f"throttle {seconds:g} s",
            times=times,
            operation=operation,
            deployment=deployment,
        )

    @arguments(
        status=HTTP_ERROR,
        code=STRING.or_none(),
        message=STRING.or_none(),
        param=STRING.or_none(),
        type=STRING.or_none(),
        headers=_HEADERS,
        times=TIMES,
        operation=OPERATION,
        deployment=DEPLOYMENT,
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
        failure = Failure(
            status,
            code if code is not None else str(status),
            message if message is not None else _default_message(status),
            param,
            type,
            tuple((headers or {}).items()),
        )
        self._prime(failure, f"fail {status}", times=times, operation=operation, deployment=deployment)

    @arguments(categories=_FILTERED.or_none(), times=TIMES, deployment=DEPLOYMENT)
    def filter_next(
        self, categories: Mapping[str, str] | None = None, *, times: int = 1, deployment: str | None = None
    ) -> None:
        """The content filter blocks the next chat call's prompt (400 ``content_filter``, with
        ``innererror.content_filter_result``); ``categories`` maps hate/self_harm/sexual/violence to
        a severity (low/medium/high), or jailbreak to anything (default: ``{"hate": "high"}``)."""
        chosen = dict(categories) if categories is not None else {"hate": "high"}
        self._prime(
            Filtered(tuple(chosen.items())),
            f"content filter {chosen}",
            times=times,
            operation="chat",
            deployment=deployment,
        )

    @arguments(fault=FAULT, times=TIMES, operation=OPERATION, deployment=DEPLOYMENT)
    def fault_next(
        self, fault: Fault, *, times: int = 1, operation: str | None = None, deployment: str | None = None
    ) -> None:
        """The next call gets ``fault`` from :mod:`harness.faults` (``faults.reset()``,
        ``faults.hang()``, ``faults.delay(2, sim)``: two seconds late, then the simulator's answer)."""
        self._prime(
            FaultOutcome(fault),
            f"fault {fault.description}",
            times=times,
            operation=operation,
            deployment=deployment,
        )

    @arguments(
        after_chunks=integer(0, expected="a whole number >= 0"),
        then=STREAM_BREAK,
        content=STRING.or_none(),
        times=TIMES,
        deployment=DEPLOYMENT,
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
        outcome = StreamBreak(after_chunks, then, None if content is None else Reply(content=content))
        self._prime(
            outcome,
            f"break stream after {after_chunks} chunks",
            times=times,
            operation="chat",
            deployment=deployment,
            stream=True,
        )

    # -- priming: until the test ends ----------------------------------------------------------------

    @arguments(answerer=CALLABLE, deployment=DEPLOYMENT)
    def set_answerer(self, answerer: Answerer, *, deployment: str | None = None) -> None:
        """Answer chat calls (not primed otherwise) with ``answerer(request)``: it gets a
        :class:`~harness.simulators.azure_openai.chat.ChatRequest` and returns the answer text, a
        :class:`Reply`, a :class:`ToolCall` (or a list of them), or None for the default answer."""
        with self._lock:
            self._state.answerers.append((deployment, answerer))

    @arguments(text=text(blank=True), vector=_VECTOR)
    def set_embedding(self, text: str, vector: Sequence[float]) -> None:
        """Embeddings of exactly ``text`` are ``vector`` (sent as given: match the deployment's size)."""
        with self._lock:
            self._state.embeddings[text] = tuple(float(v) for v in vector)

    @arguments(tokens_per_minute=_LIMIT, requests_per_minute=_LIMIT, deployment=DEPLOYMENT)
    def set_rate_limits(
        self,
        *,
        tokens_per_minute: int | None = KEEP,
        requests_per_minute: int | None = KEEP,
        deployment: str | None = None,
    ) -> None:
        """Rate limits for this test (all deployments, or ``deployment``); None lifts a limit."""
        changes = {
            name: value
            for name, value in (
                ("tokens_per_minute", tokens_per_minute),
                ("requests_per_minute", requests_per_minute),
            )
            if value is not KEEP
        }
        with self._lock:
            self._state.limits.setdefault(deployment, {}).update(changes)

    @arguments(
        time_to_first_token=SECONDS.or_none(),
        per_token_delay=SECONDS.or_none(),
        jitter=number(0, 1, expected="a fraction from 0 to 1").or_none(),
    )
    def set_latency(
        self,
        *,
        time_to_first_token: float | None = None,
        per_token_delay: float | None = None,
        jitter: float | None = None,
    ) -> None:
        """Latency for this test: seconds before the first token, seconds per further token, and
        a ``jitter`` fraction (0-1); arguments left out keep the configured value."""
        changes = {
            name: float(value)
            for name, value in (
                ("time_to_first_token", time_to_first_token),
                ("per_token_delay", per_token_delay),
                ("jitter", jitter),
            )
            if value is not None
        }
        with self._lock:
            self._state.latency.update(changes)

    # Deprecated names, kept for one release (CHANGELOG.md).
    answer_with = deprecated_alias(set_answerer, "answer_with")

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
        outcome: Outcome | None = self._primes.take(
            accept=lambda primed: isinstance(primed, FAILURES) == failures,
            **call_target(operation, deployment, stream),
        )
        return outcome

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
        headers = {"apim-request-id": ident, "x-request-id": ident, "x-ms-region": self.settings.region}
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
        reply = chat.truncated(chat.in_requested_form(parsed, reply), parsed.max_tokens)
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
                else streaming.events(
                    parsed, reply, prompt, completion, delay, fingerprint=self.settings.system_fingerprint
                )
            )
            if broken is not None:
                return streaming.respond_broken(request, items, headers, broken.after_chunks, broken.then)
            return streaming.respond(request, items, headers)
        self._wait(request, latency.per_token_delay * max(0, completion - 1), latency.jitter)
        if answer is not None:
            return json_response(answer.response(prompt, completion), headers=headers)
        body = chat.completion(
            parsed, reply, prompt, completion, fingerprint=self.settings.system_fingerprint
        )
        return json_response(body, headers=headers)

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
