"""The public type of a mock's expectations, :class:`ExpectationHandler`: what
``service.expect_request("/chat").respond_with_fault(faults.reset())`` calls ``respond_with_fault``
on, declared so that such calls type-check in a user's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from pytest_httpserver.httpserver import RequestHandler
from werkzeug.wrappers import Request, Response

from harness.faults.base import Fault, FaultError, misuse_hint, require_not_misused
from harness.faults.sse import EventSource, sse
from harness.mocks.describe import describe_matcher

#: Where a request's environ names the expectation (or simulator) that answered it, for the journal.
EXPECTATION_KEY = "harness.expectation"
#: ... and the fault its answer was, if any.
FAULT_KEY = "harness.fault"


class ExpectationHandler(RequestHandler):
    """What ``expect_request``, ``expect_oneshot_request`` and ``expect_ordered_request`` of a
    :class:`~harness.mocks.MockService` return: pytest-httpserver's ``RequestHandler`` (so
    ``respond_with_json``, ``respond_with_data``, ``respond_with_response`` and
    ``respond_with_handler`` work as usual) plus :meth:`respond_with_fault` and
    :meth:`respond_with_sse`. It records on each request it answers which expectation it is (and
    the fault, if any), for the journal."""

    def respond(self, request: Request) -> Response:
        # Described once: it is the same for every request this answers.
        described = self.__dict__.get("_harness_described")
        if described is None:
            described = self.__dict__["_harness_described"] = describe_matcher(self.matcher)
        request.environ[EXPECTATION_KEY] = described
        if isinstance(self.request_handler, Fault):  # e.g. throttle(): answered with a response
            request.environ[FAULT_KEY] = self.request_handler.description
        return super().respond(request)

    def respond_with_fault(self, fault: Fault) -> None:
        """Answer with a fault from :mod:`harness.faults` (or any responder built from them)."""
        if not isinstance(fault, Fault):
            hint = misuse_hint(fault)  # faults.reset for faults.reset(), or faults.RESET
            raise FaultError(
                f"respond_with_fault: {hint}"
                if hint
                else f"respond_with_fault takes a fault from harness.faults, got {type(fault).__name__}; "
                "use respond_with_json/respond_with_data/respond_with_handler for plain responses"
            )
        self.respond_with_handler(fault)

    def respond_with_handler(self, func: Callable[[Request], Response]) -> None:
        """pytest-httpserver's own call; a fault factory not called (``faults.reset``) is refused."""
        require_not_misused(func, "respond_with_handler")
        super().respond_with_handler(func)

    def respond_with_sse(self, events: EventSource, **options: Any) -> None:
        """Answer with a server-sent event stream: ``faults.sse(events, **options)``."""
        self.respond_with_handler(sse(events, **options))


def tracked(handler: RequestHandler) -> ExpectationHandler:
    """``handler`` (a plain ``RequestHandler`` that pytest-httpserver built) as an
    :class:`ExpectationHandler`, in place: it is already registered."""
    handler.__class__ = ExpectationHandler
    return cast(ExpectationHandler, handler)
