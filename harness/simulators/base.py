"""What every service simulator shares: the answering hook, per-test state, option checks.

A simulator is the *fallback* of a mock service: a request that no ``expect_request`` expectation
matches is offered to it, so a test's own priming always wins over the simulator's defaults. It
answers the routes of the service it imitates (a werkzeug Response, or a raised wire fault from
:mod:`harness.faults`), and returns ``None`` for a path the service does not have, which the mock
then treats as unmatched (a strict service fails the test) while still answering with
:meth:`Simulator.not_found`, the service's own 404.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError


class SimulatorError(HarnessError, ValueError):
    """A simulator was primed with impossible arguments (raised in the test that primed it)."""


class Simulator:
    """Base class of the service simulators (``simulator = "<kind>"`` on a service).

    Subclasses set :attr:`kind`, implement :meth:`handle` and, if they take options,
    :meth:`check_options`. State a test primes must be dropped by :meth:`end_test`; state loaded
    from the configuration (or by the app before the first test) survives it, like the mock's
    baseline expectations.
    """

    #: The ``simulator`` value that selects this class in ``[tool.harness.services.<name>]``.
    kind: ClassVar[str] = ""

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        #: The validated options (from ``[tool.harness.services.<name>.options]`` or the caller).
        self.options: dict[str, Any] = dict(options or {})
        #: Directory relative option paths (documents files, say) are resolved against.
        self.root = root or Path.cwd()
        #: The service name, set when the simulator is attached to a mock service.
        self.service_name = self.kind

    # -- options -----------------------------------------------------------------------------------

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str, root: Path) -> list[str]:
        """Every problem with ``options`` as one message each, naming ``where.key``, what was
        expected, what was found and the fix; empty when they are fine. Called at config load."""
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

    # -- per-test state ----------------------------------------------------------------------------

    def begin_test(self) -> None:
        """A test starts: state set up so far (config, the app's startup calls) is the baseline."""

    def end_test(self) -> None:
        """The test ended: drop what it primed and go back to the baseline."""

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
