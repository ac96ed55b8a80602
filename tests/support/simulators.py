"""Simulator test helpers: a running mock with a simulator, the per-test bracket, and a dummy
simulator for testing the simulator hook itself, independent of the real simulators.

Register the dummy for a while with ``with register_echo(): ...``; the kind is ``"echo"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from ssl import SSLContext
from typing import Any, TypeVar

from werkzeug.wrappers import Request, Response

from harness import simulators
from harness.faults import reset
from harness.mocks import MockService
from harness.simulators import Simulator, json_response

SimulatorT = TypeVar("SimulatorT", bound=Simulator)


def serving(
    name: str, simulator: Simulator, *, ssl_context: SSLContext | None = None
) -> Iterator[MockService]:
    """A running mock service answered by ``simulator`` (for module-scoped fixtures)."""
    service = MockService(name, ssl_context=ssl_context, simulator=simulator)
    service.start()
    yield service
    service.stop()


def bracketed(server: MockService, kind: type[SimulatorT]) -> Iterator[SimulatorT]:
    """The server's simulator inside one test's begin_test/end_test, as the orchestrator does it."""
    server.begin_test()
    assert isinstance(server.simulator, kind)
    yield server.simulator
    server.end_test()


KIND = "echo"


class EchoSimulator(Simulator):
    """Knows ``GET /echo`` (answers the greeting option and what the test primed), ``GET /broken``
    (a wire fault: connection reset) and ``GET /boom`` (a bug: raises). Every other path is unknown.
    """

    kind = KIND

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)
        self.primed: str | None = None
        self.calls: list[str] = []

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str, root: Path) -> list[str]:
        problems = []
        for key, value in options.items():
            if key != "greeting":
                problems.append(f"{where}.{key}: unknown option (the echo simulator takes greeting)")
            elif not isinstance(value, str):
                problems.append(f"{where}.greeting: expected a string, found {value!r}")
        return problems

    def handle(self, request: Request) -> Response | None:
        if request.path == "/echo":
            greeting = self.primed or self.options.get("greeting", "hello")
            return json_response({"greeting": greeting, "path": request.path})
        if request.path == "/broken":
            return reset()(request)
        if request.path == "/boom":
            raise RuntimeError("the echo simulator has a bug")
        return None

    def not_found(self, request: Request) -> Response:
        return json_response({"error": {"code": "NoSuchRoute", "message": request.path}}, status=404)

    def save_state(self) -> str | None:
        return self.primed

    def restore_state(self, saved: object) -> None:
        self.primed = saved if isinstance(saved, str) else None

    def begin_test(self) -> None:
        self.calls.append("begin_test")
        super().begin_test()

    def end_test(self) -> None:
        self.calls.append("end_test")
        super().end_test()


def register_echo() -> simulators.Registration:
    """Make ``simulator = "echo"`` valid until the registration is undone (``with register_echo(): ...``)."""
    return simulators.register(KIND, EchoSimulator)
