"""A fault factory passed uncalled (``faults.reset`` for ``faults.reset()``), or a stream marker
(``faults.RESET``) where a route needs a fault, fails at once with the fix in the message, wherever a
fault is expected (issue 13)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import faults, simulators
from harness.errors import HarnessError
from harness.faults import FaultError
from harness.faults.base import misuse_hint
from harness.mocks import MockService
from tests.support.mocks import running

OK = {"ok": True}


@pytest.fixture(scope="module")
def service() -> Iterator[MockService]:
    yield from running(MockService("api"))


def sim(kind: str) -> Any:
    return simulators.create(kind, {}, root=Path("."))


#: Where a fault (or a response) is expected, each given ``faults.reset`` instead of ``faults.reset()``:
#: (a call passing its argument on, the name the message starts with).
PLACES: dict[str, tuple[Callable[[MockService, object], object], str]] = {
    "respond_with_fault": (lambda s, f: s.expect_request("/x").respond_with_fault(f), "respond_with_fault"),
    "respond_with_handler": (
        lambda s, f: s.expect_request("/x").respond_with_handler(f),
        "respond_with_handler",
    ),
    "respond_with_sse event": (
        lambda s, f: s.expect_request("/x").respond_with_sse([OK, f]),
        "a stream event",
    ),
    "respond_with_sse events": (lambda s, f: s.expect_request("/x").respond_with_sse(f), "sse(events)"),
    "sse then": (lambda s, f: faults.sse([OK], after_events=1, then=f), "sse(then)"),
    "fail_times fault": (lambda s, f: faults.fail_times(2, f, then=OK), "fail_times(fault)"),
    "fail_times then": (lambda s, f: faults.fail_times(2, faults.reset(), then=f), "fail_times(then)"),
    "sequence": (lambda s, f: faults.sequence(OK, f), "sequence(*responses)"),
    "sequence then": (lambda s, f: faults.sequence(OK, then=f), "sequence(then)"),
    "chance": (lambda s, f: faults.chance(0.5, f, seed=1), "chance(fault)"),
    "chance otherwise": (lambda s, f: faults.chance(0.5, OK, f), "chance(otherwise)"),
    "delay": (lambda s, f: faults.delay(0.1, f), "delay(response)"),
    "truncate": (lambda s, f: faults.truncate(f, 1), "truncate(response)"),
    "stall_after_headers": (lambda s, f: faults.stall_after_headers(f), "stall_after_headers(response)"),
    "openai fault_next": (lambda s, f: sim("azure_openai").fault_next(f), "fault_next(fault)"),
    "openai break_stream_next": (
        lambda s, f: sim("azure_openai").break_stream_next(1, then=f),
        "break_stream_next(then)",
    ),
    "search prime_fault": (lambda s, f: sim("azure_search").prime_fault(f), "prime_fault"),
    "content safety prime_fault": (lambda s, f: sim("azure_content_safety").prime_fault(f), "prime_fault"),
}


@pytest.mark.parametrize(("place", "where"), PLACES.values(), ids=PLACES.keys())
def test_an_uncalled_factory_says_call_it(service: MockService, place: Any, where: str) -> None:
    with pytest.raises(HarnessError) as raised:
        place(service, faults.reset)
    assert str(raised.value) == f"{where}: faults.reset is a function: call it, faults.reset()"
    assert isinstance(raised.value, (FaultError, simulators.SimulatorError))


@pytest.mark.parametrize(
    ("factory", "call"),
    [
        (faults.hang, "faults.hang()"),
        (faults.throttle, "faults.throttle()"),
        (faults.delay, "faults.delay(seconds)"),
        (faults.truncate, "faults.truncate(response, at)"),
        (faults.fail_times, "faults.fail_times(times, fault, then)"),
        (faults.sse, "faults.sse(events)"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_the_suggested_call_names_the_required_arguments(
    service: MockService, factory: object, call: str
) -> None:
    name = getattr(factory, "__name__", "")
    with pytest.raises(FaultError, match=rf"^respond_with_fault: faults\.{name} is a function: call it, "):
        service.expect_request("/x").respond_with_fault(factory)
    assert misuse_hint(factory) == f"faults.{name} is a function: call it, {call}"


def test_every_public_factory_is_recognised() -> None:
    factories = [value for value in vars(faults).values() if inspect.isfunction(value)]
    assert len(factories) > 15
    for factory in factories:
        hint = misuse_hint(factory)
        assert hint is not None
        assert hint.startswith(
            f"faults.{factory.__name__} is a function: call it, faults.{factory.__name__}("
        )


def test_a_pause_factory_in_a_stream_says_call_it(service: MockService) -> None:
    with pytest.raises(FaultError, match=r"faults\.pause is a function: call it, faults\.pause\(seconds\)"):
        service.expect_request("/x").respond_with_sse([OK, faults.pause, OK])


@pytest.mark.parametrize(
    ("marker", "name", "route_fault"),
    [
        (faults.RESET, "RESET", "reset()"),
        (faults.CLOSE, "CLOSE", "empty_response()"),
        (faults.STALL, "STALL", "hang()"),
        (faults.BAD_CHUNK, "BAD_CHUNK", "malformed_chunk()"),
    ],
)
def test_a_stream_marker_on_a_route_names_the_fault_to_use(
    service: MockService, marker: object, name: str, route_fault: str
) -> None:
    with pytest.raises(FaultError) as raised:
        service.expect_request("/x").respond_with_fault(marker)
    message = str(raised.value)
    assert message.startswith(f"respond_with_fault: faults.{name} is a stream marker")
    assert f"respond_with_sse([..., faults.{name}])" in message
    assert message.endswith(f"use the fault faults.{route_fault}")
    with pytest.raises(FaultError, match=rf"^fail_times\(then\): faults\.{name} is a stream marker"):
        faults.fail_times(1, faults.reset(), then=marker)  # type: ignore[arg-type]


def test_a_pause_marker_as_a_response_suggests_delay() -> None:
    with pytest.raises(FaultError, match=r"stream marker 'pause 1 s'.*faults\.delay\(seconds, response\)"):
        faults.sequence(faults.pause(1))  # type: ignore[arg-type]


def test_markers_and_called_faults_are_still_welcome_where_they_belong(service: MockService) -> None:
    service.expect_request("/a").respond_with_sse([OK, faults.RESET])
    service.expect_request("/b").respond_with_sse([OK, faults.reset()])  # reads naturally too
    service.expect_request("/c").respond_with_fault(faults.sse([OK], after_events=1, then=faults.CLOSE))
    service.expect_request("/d").respond_with_fault(faults.fail_times(1, faults.reset(), then=OK))
    service.expect_request("/e").respond_with_handler(faults.reset())
    sim("azure_openai").break_stream_next(1, then=faults.STALL)
    sim("azure_openai").fault_next(faults.reset())
    service.clear()


def test_other_mistakes_keep_their_own_messages(service: MockService) -> None:
    with pytest.raises(FaultError, match=r"respond_with_fault takes a fault from harness\.faults, got dict"):
        service.expect_request("/x").respond_with_fault(OK)
    assert misuse_hint(lambda request: None) is None
    assert misuse_hint(faults.reset()) is None
    assert misuse_hint(faults.RESET, in_stream=True) is None
