"""``MockService``: one pytest-httpserver server per configured downstream service.

It *is* a ``pytest_httpserver.HTTPServer``, so ``expect_request(...).respond_with_...`` works as
users know it. What it adds:

* threaded serving, so a slow handler never blocks other requests (the stock server serialises
  them and answers HTTP/1.0);
* no werkzeug access log on the console: every request goes to the :class:`Journal` instead;
* a fast stop (the stock server polls for shutdown every 0.5 s) that also closes the socket;
* per-test isolation: :meth:`begin_test` marks the expectations registered so far as the
  baseline, :meth:`end_test` drops what the test added and forgets its requests;
* a request the client never finished sending (the connection ended inside its headers or body)
  is answered 400 and listed in ``rejected_requests``, never answered or journaled as made;
* bounded requests: a body (or a declared chunk) over ``max_body_bytes`` is answered 413 before
  it is read, a request not sent whole within ``request_timeout`` 408, and the connection closed,
  so no client can make a mock spend unbounded memory or CPU (both done by the HTTP layer in
  :mod:`harness.mocks.hardening`, see :class:`RequestLimits`);
* faults (:mod:`harness.faults`): its request handler performs wire-level faults on the raw
  connection, and every delay or stall a test caused is released when that test ends;
* typed expectations (:class:`ExpectationHandler`, with ``respond_with_fault`` and
  ``respond_with_sse``) and a typed simulator (:meth:`MockService.simulator_as`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from copy import copy
from ssl import SSLContext
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import HandlerType, HTTPServerError, RequestHandler, RequestMatcher
from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError
from harness.faults import wire
from harness.mocks import verify
from harness.mocks.contracts import MockContract
from harness.mocks.expectation import EXPECTATION_KEY, FAULT_KEY, ExpectationHandler, tracked
from harness.mocks.hardening import (
    CONFLICTING_LENGTHS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
    MAX_HEADERS,
    MAX_LINE_BYTES,
    MAX_REQUEST_TIMEOUT,
    SILENT_TLS_CLOSE,
    TRUNCATED_BODY,
    TRUNCATED_HEADERS,
    QuietRequestHandler,
    Rejected,
    RequestLimits,
    attach,
    describe_rejected,
    read_body,
)
from harness.mocks.journal import Journal, JournalEntry, RequestHeaders, RequestState
from harness.mocks.nearmiss import near_miss
from harness.mocks.pool import PooledWSGIServer
from harness.recording.service import ServiceRecordings
from harness.recording.upstream import UpstreamError
from harness.secrets import mask_text
from harness.simulators.base import Simulator

# Names of the HTTP layer that moved to harness.mocks.hardening, still importable from here.
__all__ = [
    "CONFLICTING_LENGTHS",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_REQUEST_TIMEOUT",
    "MAX_HEADERS",
    "MAX_LINE_BYTES",
    "MAX_REQUEST_TIMEOUT",
    "SHUTDOWN_POLL_SECONDS",
    "TRUNCATED_BODY",
    "TRUNCATED_HEADERS",
    "UNTRUSTED_HINT",
    "ExpectationHandler",
    "MockService",
    "QuietRequestHandler",
    "RequestLimits",
]

#: How often the serving loop checks for a stop request; bounds how long :meth:`stop` takes.
SHUTDOWN_POLL_SECONDS = 0.01

#: Where a request's environ says that no expectation matched it, and which came closest.
_UNMATCHED = "harness.unmatched"
_NEAR_MISS = "harness.near_miss"
#: ... and what the OpenAPI contract found wrong with it or its answer.
_VIOLATIONS = "harness.violations"
#: ... and why it could not be answered as meant (the upstream of a recording service was not reached).
_FAILED = "harness.failed"

SimulatorT = TypeVar("SimulatorT", bound=Simulator)
P = ParamSpec("P")

#: Said of a handshake the client refused: the certificate's CA is not one it trusts.
UNTRUSTED_HINT = (
    "the client does not trust the run's CA; fix: make the app's HTTP stack read one of "
    "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS (harness sets them all), "
    "or pass it Harness.ca_bundle; the JVM needs a trust store (docs/tls.md)"
)


def _returning_expectations(
    expect: Callable[Concatenate[HTTPServer, P], RequestHandler],
) -> Callable[Concatenate[HTTPServer, P], ExpectationHandler]:
    """``expect``'s own signature, typed as returning an :class:`ExpectationHandler`."""
    return expect  # type: ignore[return-value]  # MockService makes every handler one


def _stand_in(status: int | None, what: str | None) -> Response:
    """What pytest-httpserver's ``log`` holds for a request answered by a fault or a raising
    handler (no real response exists), so ``assert_request_made`` still counts the request."""
    return Response(b"", status=status or 502, headers={"X-Harness-Not-Sent": what or "no response"})


def _unrecorded(recordings: ServiceRecordings | None) -> str:
    """Said of an answer from the simulator or the document to a service that has recordings but
    none for this test: the likely surprise (a deleted or never-made recording) is named."""
    if recordings is None or recordings.replaying or recordings.recording:
        return ""
    return f" (no recording of this test: {recordings.file})"


class MockService(HTTPServer):
    """A named, threaded, journaled pytest-httpserver server bound to 127.0.0.1."""

    def __init__(
        self,
        name: str,
        *,
        strict: bool = True,
        host: str = "127.0.0.1",
        ssl_context: SSLContext | None = None,
        simulator: Simulator | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        recordings: ServiceRecordings | None = None,
        contract: MockContract | None = None,
    ) -> None:
        try:
            limits = RequestLimits(max_body_bytes, request_timeout)
        except HarnessError as error:
            raise HarnessError(f"mock service {name!r}: {error}") from None
        super().__init__(host, 0, ssl_context, threaded=True)
        self.name = name
        self.strict = strict
        #: What one request may cost this service; see :class:`RequestLimits`.
        self.limits = limits
        #: Answers what no expectation matches, as the real service would (None: plain mock).
        self.simulator = simulator
        if simulator is not None:
            simulator.service_name = name
        #: Recorded exchanges replayed (or, in record mode, the upstream forwarded to) below the
        #: test's expectations and above the simulator (None: no ``recordings``).
        self.recordings = recordings
        #: The OpenAPI document requests and answers are held to (None: no ``openapi``).
        self.contract = contract
        self.journal = Journal()
        # Set when the current test ends (or the service stops): wakes every delay and stall.
        self._release = threading.Event()
        self._refusing = False
        self._baseline: tuple[list[RequestHandler], list[RequestHandler], list[RequestHandler]] | None = None
        self._tls_errors: list[str] = []
        self._rejected: list[str] = []

    def __repr__(self) -> str:
        return f"<MockService {self.name} {self.url if self.is_running() else '(stopped)'}>"

    def simulator_as(self, kind: type[SimulatorT]) -> SimulatorT:
        """This service's simulator, typed as ``kind`` (``simulator_as(AzureOpenAISimulator)``), for
        type checkers and editors; :attr:`simulator` is the same object, typed ``Simulator | None``.
        Raises :class:`~harness.HarnessError` naming the service, the simulator it has and the one
        asked for, if it is not a ``kind``."""
        if not (isinstance(kind, type) and issubclass(kind, Simulator)):
            raise HarnessError(
                f"mock service {self.name!r}: simulator_as takes a simulator class "
                f"(a harness.simulators.Simulator subclass, e.g. AzureOpenAISimulator), got {kind!r}"
            )
        simulator = self.simulator
        if isinstance(simulator, kind):
            return simulator
        wanted = f"the {kind.__name__} asked for" + (f' (simulator = "{kind.kind}")' if kind.kind else "")
        has = (
            "no simulator"
            if simulator is None
            else f'the {type(simulator).__name__} (simulator = "{simulator.kind}")'
        )
        raise HarnessError(
            f"mock service {self.name!r} has {has}, not {wanted}; "
            f"check simulator under [tool.harness.services.{self.name}]"
        )

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:40123``."""
        return f"{self.scheme}://{self.format_host(self.host)}:{self.port}"

    def template_values(self) -> dict[str, str]:
        """Values of this service's ``{url}``, ``{host}`` and ``{port}`` placeholders."""
        return {"url": self.url, "host": self.host, "port": str(self.port)}

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind an ephemeral port on the host and serve in a daemon thread."""
        if self.is_running():
            raise HTTPServerError("Server is already running")
        try:
            self.server = PooledWSGIServer(
                self.host,
                self.port,
                Request.application(self.application),
                QuietRequestHandler,
                ssl_context=self.ssl_context,
            )
        except (OSError, SystemExit) as error:  # werkzeug exits on a taken port instead of raising
            raise HarnessError(
                f"mock service {self.name!r} could not listen on {self.host}:{self.port}: {error}"
            ) from None
        self.port = self.server.port
        if self.ssl_context is not None:
            # werkzeug wraps the listening socket, so by default the TLS handshake runs inside
            # accept(), in the one serving thread: a client that connects and never handshakes
            # would block every other connection (and stop()). Deferred, the handshake happens on
            # the first read, in that connection's own thread.
            self.server.socket.do_handshake_on_connect = False  # type: ignore[attr-defined]
        tls_errors = self._tls_errors.append if self.ssl_context is not None else None
        attach(self.server, self.limits, self._rejected.append, tls_errors)
        self.server_thread = threading.Thread(
            target=self.thread_target, name=f"harness-mock-{self.name}", daemon=True
        )
        self.server_thread.start()

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)

    def stop(self) -> None:
        """Stop serving and close the listening socket (the stock ``stop`` leaves it open);
        stalled and delayed connections are released first."""
        self._release.set()
        self._release = threading.Event()
        if self._refusing and self.server is None:
            self._refusing = False
            return
        server = self.server
        super().stop()
        if server is not None:
            server.server_close()

    @contextlib.contextmanager
    def refusing_connections(self) -> Iterator[None]:
        """Within the block nothing listens on the service's port, so connections are refused
        (the service is down); afterwards it serves again on the same port and URL. A test that
        leaves the block early still gets the service back at its end."""
        self.go_down()
        try:
            yield
        finally:
            self.come_up()

    def go_down(self) -> None:
        """Stop listening (connections are refused) but keep the port for :meth:`come_up`."""
        if self._refusing:
            return
        self.stop()
        self._refusing = True

    def come_up(self) -> None:
        """Listen again on the same port after :meth:`go_down`."""
        if not self._refusing:
            return
        self._refusing = False
        self.start()

    # -- requests ----------------------------------------------------------------------------------

    def expect(
        self, matcher: RequestMatcher, handler_type: HandlerType = HandlerType.PERMANENT
    ) -> ExpectationHandler:
        request_handler = ExpectationHandler(matcher)
        if handler_type == HandlerType.PERMANENT:
            self.handlers.append(request_handler)
        elif handler_type == HandlerType.ONESHOT:
            self.oneshot_handlers.append(request_handler)
        elif handler_type == HandlerType.ORDERED:
            self.ordered_handlers.append(request_handler)
        return request_handler

    # expect_request, expect_oneshot_request and expect_ordered_request are pytest-httpserver's,
    # with its signatures whatever its version; declared again only to say, for type checkers, that
    # they return an ExpectationHandler (respond_with_fault, respond_with_sse), which they do: the
    # other two call expect_request, which builds a plain RequestHandler instead of going through
    # expect(), and is made here to turn it into a tracked one.
    if TYPE_CHECKING:
        expect_request = _returning_expectations(HTTPServer.expect_request)
        expect_oneshot_request = _returning_expectations(HTTPServer.expect_oneshot_request)
        expect_ordered_request = _returning_expectations(HTTPServer.expect_ordered_request)
    else:

        def expect_request(self, *args: Any, **kwargs: Any) -> ExpectationHandler:
            return tracked(super().expect_request(*args, **kwargs))

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        # What nothing primed falls to, in order: the recordings (or, recording, the upstream), the
        # simulator, the OpenAPI document's example. Not after an ordered expectation was missed:
        # that mode fails every request, by design.
        recordings = self.recordings
        if recordings is not None and not self.permanently_failed:
            request.environ[EXPECTATION_KEY] = recordings.describe()
            try:
                response = recordings.respond(request)
            except UpstreamError as error:  # told in the journal and the verdict, not as a traceback
                request.environ[_FAILED] = str(error)
                return Response(f"harness mock {self.name!r}: {error}\n", status=502, mimetype="text/plain")
            if response is not None:
                return response
            del request.environ[EXPECTATION_KEY]
            if recordings.replaying:  # the test has a recording: what it does not hold is unmatched
                request.environ[_UNMATCHED] = True
                request.environ[_NEAR_MISS] = recordings.near_miss(request)
                return super().respond_nohandler(request, extra_message)
        if self.simulator is not None and not self.permanently_failed:
            # Named first, so a wire fault (or a bug) the simulator raises is journaled as its.
            request.environ[EXPECTATION_KEY] = self.simulator.describe(request)
            response = self.simulator.handle(request)
            if response is not None:
                # Again now that it answered: a simulator may say how (primed, throttled, ...).
                request.environ[EXPECTATION_KEY] = self.simulator.describe(request) + _unrecorded(recordings)
                return response
            del request.environ[EXPECTATION_KEY]
            example = self._contract_example(request)
            if example is not None:
                return example
            return self._simulator_not_found(request)
        example = self._contract_example(request)
        if example is not None:
            return example
        request.environ[_UNMATCHED] = True
        handlers = [*self.ordered_handlers[:1], *self.oneshot_handlers, *self.handlers]
        found = near_miss(handlers, request)
        if not found and recordings is not None:
            found = recordings.missing()
        request.environ[_NEAR_MISS] = found or "no expectation is registered"
        return super().respond_nohandler(request, extra_message)

    def _contract_example(self, request: Request) -> Response | None:
        """The OpenAPI document's answer to a documented operation nothing primed, or None."""
        if self.contract is None or self.permanently_failed:
            return None
        response = self.contract.example(request)
        if response is not None:
            described = self.contract.describe_example(request)
            request.environ[EXPECTATION_KEY] = described + _unrecorded(self.recordings)
        return response

    def _simulator_not_found(self, request: Request) -> Response:
        # A path the simulated service does not have: unmatched (a strict service fails the test,
        # since the app calls something nobody simulates), answered with the service's own 404.
        assert self.simulator is not None
        request.environ[_UNMATCHED] = True
        handlers = [*self.ordered_handlers[:1], *self.oneshot_handlers, *self.handlers]
        request.environ[_NEAR_MISS] = near_miss(handlers, request) or (
            f"the {self.simulator.kind} simulator has no route {request.method} {request.path}"
        )
        super().respond_nohandler(request)  # records the no-handler assertion, as for any miss
        return self.simulator.not_found(request)

    def respond_permanent_failure(self) -> Response:
        # pytest-httpserver gives no request here; the journal marks the outcome from the status.
        response = super().respond_permanent_failure()
        response.headers["X-Harness-Unmatched"] = "permanent-failure"
        return response

    @property
    def max_body_bytes(self) -> int:
        """The largest request body (or declared chunk) this service reads; more is answered 413."""
        return self.limits.max_body_bytes

    @property
    def request_timeout(self) -> float:
        """Seconds a client gets to send one whole request; past them it is answered 408."""
        return self.limits.request_timeout

    def application(self, request: Request) -> Response:
        environ = request.environ
        # werkzeug's Request and its environ refer to each other ("werkzeug.request", read only by
        # its debugger): with that cycle a request and its body (50 MB, say) outlive the journal
        # and the log until a full garbage collection; without it they go when those forget them.
        environ.pop("werkzeug.request", None)
        environ[wire.RELEASE_KEY] = self._release
        started_wall = time.time()
        started = time.perf_counter()
        rejected = read_body(request)
        if rejected is not None:
            return self._reject(request, rejected)
        # Entered on arrival, so a test sees a request its mock is still delaying or stalling.
        arrival = self._entry(request, started_wall, started, pending=True)
        token = self.journal.open(arrival)
        contract = self.contract
        if contract is not None:
            environ[_VIOLATIONS] = contract.check_request(request)
        try:
            response = self.dispatch(request)
        except wire.WireTakeover as takeover:
            plan = takeover.plan
            entry = self._entry(
                request, started_wall, started, status=plan.status, fault=plan.description, arrived=arrival
            )
            self._complete(token, request, entry, _stand_in(plan.status, plan.description))
            raise
        except BaseException as error:
            failure = f"{type(error).__name__}: {error}"
            entry = self._entry(request, started_wall, started, error=failure, arrived=arrival)
            self._complete(token, request, entry, _stand_in(500, entry.error))
            raise
        fault = request.environ.get(FAULT_KEY)
        # Faults break the contract on purpose; the answer to an unmatched request (or one whose
        # upstream was not reached) is harness's, not the service's, and fails the test already.
        answered_by_harness = _UNMATCHED in environ or _FAILED in environ or self.permanently_failed
        if contract is not None and fault is None and not answered_by_harness:
            environ[_VIOLATIONS] = [*environ[_VIOLATIONS], *contract.check_response(request, response)]
        entry = self._entry(
            request,
            started_wall,
            started,
            response=response,
            fault=fault,
            arrived=arrival,
            error=environ.get(_FAILED),
        )
        self._complete(token, request, entry, response)
        return response

    def _reject(self, request: Request, rejected: Rejected) -> Response:
        """A request whose body never arrived whole (or was refused): the app did not make it, so
        it is not journaled and no expectation answers it; the failure report says what happened.
        The connection is closed after the answer, so what is left of the body is never read as a
        next request: werkzeug 3 closes every connection after its answer (tested)."""
        self._rejected.append(describe_rejected(request, rejected))
        return Response(
            f"harness mock {self.name!r}: {rejected.why}\n", status=rejected.status, mimetype="text/plain"
        )

    def _complete(
        self, token: tuple[int, int], request: Request, entry: JournalEntry, response: Response
    ) -> None:
        # A request that outlived its test (cleared since) is no business of the next test's.
        if self.journal.close(token, entry):
            self.log.append((request, response))

    def _entry(
        self,
        request: Request,
        started_wall: float,
        started: float,
        *,
        response: Response | None = None,
        status: int | None = 500,
        error: str | None = None,
        fault: str | None = None,
        pending: bool = False,
        arrived: JournalEntry | None = None,
    ) -> JournalEntry:
        """The journal entry of ``request``: ``pending`` on arrival, else answered by ``response``
        (or, without one, with ``status``: a fault, a raising handler). What the request *was* is
        taken from its ``arrived`` entry, if given: reading werkzeug's headers again costs more
        than the rest of a quick answer."""
        environ = request.environ
        if pending:
            state, status = RequestState.PENDING, None
        else:
            if response is not None:
                status = response.status_code
            unmatched = _UNMATCHED in environ or (
                response is not None and "X-Harness-Unmatched" in response.headers
            )
            state = RequestState.UNMATCHED if unmatched else RequestState.MATCHED
        if arrived is None:
            method, path, headers = request.method, request.path, RequestHeaders(request.headers.items())
            query, body, started_at = request.query_string.decode("latin-1"), request.get_data(), started_wall
        else:
            method, path, headers = arrived.method, arrived.path, arrived.headers
            query, body, started_at = arrived.query_string, arrived.body, arrived.started
        return JournalEntry(
            method,
            path,
            query,
            headers,
            body,
            status,
            expectation=environ.get(EXPECTATION_KEY),
            started=started_at,
            duration=time.perf_counter() - started,
            error=error,
            fault=fault,
            near_miss=environ.get(_NEAR_MISS),
            state=state,
            violations=tuple(environ.get(_VIOLATIONS, ())),
        )

    # -- verification (see harness.mocks.verify) ------------------------------------------------------

    def assert_called(self, *args: Any, **criteria: Any) -> list[JournalEntry]:
        """Assert a request matched ``criteria`` (or exactly ``times=n``); return the matches.
        See :func:`harness.mocks.verify.assert_called`."""
        __tracebackhide__ = True
        return verify.assert_called(self, *args, **criteria)

    def assert_not_called(self, *args: Any, **criteria: Any) -> None:
        """Assert no request matched ``criteria``. See :func:`harness.mocks.verify.assert_not_called`."""
        __tracebackhide__ = True
        verify.assert_not_called(self, *args, **criteria)

    def assert_called_in_order(self, *calls: Any, strict: bool = False) -> list[JournalEntry]:
        """Assert requests matching ``calls`` arrived in that order.
        See :func:`harness.mocks.verify.assert_called_in_order`."""
        __tracebackhide__ = True
        return verify.assert_called_in_order(self, *calls, strict=strict)

    @property
    def requests(self) -> list[JournalEntry]:
        """Every request received since the current test began (or since start)."""
        return self.journal.entries()

    @property
    def tls_errors(self) -> list[str]:
        """TLS errors since the current test began, as the ssl module described them: mostly failed
        handshakes (an ``unknown ca`` alert: the client does not trust the run's CA)."""
        return list(self._tls_errors)

    @property
    def rejected_requests(self) -> list[str]:
        """Requests the HTTP layer answered with an error itself, since the current test began,
        before any expectation (or the journal) saw them: a malformed request line or header, a
        connection that ended half-way through the headers or body, a body that cannot be read,
        conflicting or invalid Content-Lengths, a body over ``max_body_bytes`` (413), a request
        not sent whole within ``request_timeout`` (408). One description each, e.g.
        ``400 Bad Request (the connection ended inside ...), request line 'POST /x HTTP/1.1'``."""
        return list(self._rejected)

    def unmatched_requests(self) -> list[JournalEntry]:
        """Requests that no expectation matched, since the current test began."""
        return self.journal.unmatched()

    # -- per-test isolation ------------------------------------------------------------------------

    def begin_test(self) -> None:
        """Freeze the current expectations as the baseline and start a fresh request record."""
        self._baseline = (list(self.ordered_handlers), list(self.oneshot_handlers), list(self.handlers))
        if self.simulator is not None:
            self.simulator.begin_test()
        self._forget_requests()

    def end_test(self) -> None:
        """Restore the baseline expectations (dropping the test's own) and forget its requests."""
        if self._baseline is not None:
            ordered, oneshot, permanent = self._baseline
            self.ordered_handlers = list(ordered)
            self.oneshot_handlers = copy(self.oneshot_handlers)
            self.oneshot_handlers[:] = oneshot
            self.handlers = copy(self.handlers)
            self.handlers[:] = permanent
            self._baseline = None
        self.permanently_failed = False
        if self.simulator is not None:
            self.simulator.end_test()
        self.come_up()  # a test that took the service down does not leave it down
        self._forget_requests()

    def _forget_requests(self) -> None:
        self._release.set()  # the test is over: free its stalled and delayed connections
        self._release = threading.Event()
        self.journal.clear()
        self._tls_errors.clear()
        self._rejected.clear()
        self.clear_log()
        self.clear_assertions()
        self.clear_handler_errors()

    def describe_requests(self) -> str:
        """The journal, one request a line, then any rejected requests and TLS errors (for failure
        reports)."""
        lines = [entry.describe() for entry in self.journal.entries()]
        lines += [
            f"rejected before any expectation saw it: {mask_text(rejected)}"
            for rejected in self.rejected_requests
        ]
        for error in self.tls_errors:
            untrusted = "unknown ca" in error.lower() or "certificate unknown" in error.lower()
            hint = f"\n  {UNTRUSTED_HINT}" if untrusted else ""
            if SILENT_TLS_CLOSE in error:  # most likely a client that rejected the certificate
                hint = f"\n  if it was the app's client, most likely {UNTRUSTED_HINT}"
            lines.append(f"TLS error (no request was read): {error}{hint}")
        return "\n".join(lines) or "(no requests)"

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - guards accidental pickling
        raise TypeError("MockService cannot be pickled (it owns a live server thread)")
