"""The simulator hook of a mock service, with a dummy simulator (tests/support/simulators.py: EchoSimulator).

A simulator answers what no expectation matches; a test's own ``expect_request`` always wins. These
tests pin that contract independently of the real simulators (Azure OpenAI, Search, Content Safety).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness import Harness, faults
from harness.config import parse_table
from harness.mocks import MockService
from tests.support.mocks import in_a_test
from tests.support.projects import project_files, run_pytest, tiny_project
from tests.support.simulators import EchoSimulator, register_echo

SOURCE = Path("/project/pyproject.toml")


@pytest.fixture
def simulator() -> EchoSimulator:
    return EchoSimulator({"greeting": "hi"})


@pytest.fixture
def service(simulator: EchoSimulator) -> Iterator[MockService]:
    yield from in_a_test(MockService("echoes", simulator=simulator))


def get(mock: MockService, path: str) -> requests.Response:
    return requests.get(mock.url + path, timeout=10)


def test_the_simulator_answers_what_no_expectation_matches_and_the_journal_names_it(service):
    response = get(service, "/echo")
    assert response.status_code == 200
    assert response.json() == {"greeting": "hi", "path": "/echo"}
    (entry,) = service.requests
    assert entry.expectation == "simulator echo"
    assert entry.matched
    assert service.unmatched_requests() == []
    service.check_assertions()  # what a strict service checks: nothing is missing


def test_an_expectation_of_the_test_wins_over_the_simulator_and_goes_with_the_test(service):
    service.expect_request("/echo").respond_with_json({"from": "the test"})
    assert get(service, "/echo").json() == {"from": "the test"}
    assert service.requests[0].expectation != "simulator echo"
    service.end_test()
    service.begin_test()
    assert get(service, "/echo").json() == {"greeting": "hi", "path": "/echo"}


def test_a_path_the_simulator_does_not_know_is_unmatched_with_its_not_found_answer(service):
    response = get(service, "/nope")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "NoSuchRoute", "message": "/nope"}}
    (entry,) = service.unmatched_requests()
    assert entry.expectation is None
    assert entry.near_miss == "the echo simulator has no route GET /nope"
    with pytest.raises(AssertionError, match="No handler found"):
        service.check_assertions()


def test_the_near_miss_prefers_an_expectation_that_almost_matched(service):
    service.expect_request("/nopf", method="GET").respond_with_data("x")
    assert get(service, "/nope").status_code == 404
    (entry,) = service.unmatched_requests()
    assert entry.near_miss is not None
    assert "/nopf" in entry.near_miss


def test_after_an_ordered_expectation_is_missed_the_simulator_does_not_answer(service):
    service.expect_ordered_request("/first").respond_with_data("first")
    missed = get(service, "/echo")  # out of order: pytest-httpserver's permanent failure begins
    assert missed.status_code == 500
    again = get(service, "/echo")
    assert again.status_code == 500
    assert "greeting" not in again.text
    assert [entry.matched for entry in service.requests] == [False, False]
    service.end_test()  # the next test starts clean: the simulator answers again
    service.begin_test()
    assert get(service, "/echo").status_code == 200


def test_begin_and_end_of_each_test_reach_the_simulator(service, simulator):
    simulator.primed = "primed by the test"
    assert get(service, "/echo").json()["greeting"] == "primed by the test"
    service.end_test()
    assert simulator.calls == ["begin_test", "end_test"]
    assert get(service, "/echo").json()["greeting"] == "hi"  # the test's priming is gone


def test_a_wire_fault_raised_by_the_simulator_is_performed_and_journaled(service):
    with pytest.raises(requests.ConnectionError):
        get(service, "/broken")
    (entry,) = service.requests
    assert entry.expectation == "simulator echo"
    assert entry.fault is not None
    assert "reset" in entry.fault
    assert get(service, "/echo").status_code == 200  # the service serves on


def test_a_simulator_that_raises_is_reported_as_a_handler_error(service):
    assert get(service, "/boom").status_code == 500
    (entry,) = service.requests
    assert entry.error == "RuntimeError: the echo simulator has a bug"
    assert entry.expectation == "simulator echo"


def test_a_fault_can_wrap_the_simulator(service, simulator):
    service.expect_request("/echo").respond_with_fault(faults.delay(0.05, simulator))
    started = time.monotonic()
    response = get(service, "/echo")
    assert time.monotonic() - started >= 0.05
    assert response.json() == {"greeting": "hi", "path": "/echo"}
    (entry,) = service.requests
    assert entry.fault == "delay 0.05 s, then simulator echo"
    assert entry.matched


def test_a_wrapped_simulator_answers_an_unknown_path_with_its_not_found(service, simulator):
    service.expect_request("/elsewhere").respond_with_fault(faults.delay(0, simulator))
    response = get(service, "/elsewhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NoSuchRoute"


# -- from the configuration ----------------------------------------------------------------------------


def test_a_configured_simulator_is_built_with_its_options_and_named_after_the_service(tmp_path):
    with register_echo():
        config = parse_table(
            {
                "command": ["app"],
                "services": {"chat": {"simulator": "echo", "options": {"greeting": "hey"}}, "plain": {}},
            },
            tmp_path / "pyproject.toml",
        )
        h = Harness(config)  # nothing starts until asked
    chat = h.services["chat"].simulator
    assert isinstance(chat, EchoSimulator)
    assert chat.options == {"greeting": "hey"}
    assert chat.service_name == "chat"
    assert chat.root == tmp_path
    assert repr(chat) == "<EchoSimulator chat>"
    assert h.services["plain"].simulator is None
    assert config.services["chat"].simulator == "echo"
    assert config.services["plain"].options == {}


# -- through the pytest plugin -----------------------------------------------------------------------


def test_the_pytest_plugin_reaches_the_simulator_and_strictness_applies(tmp_path):
    tiny_project(
        tmp_path,
        extra='[tool.harness.services.chat]\nsimulator = "greeter"\nenv = { CHAT_URL = "{url}" }\n',
        files=project_files("simulator_hook"),
    )
    result = run_pytest(tmp_path, "-q")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed, 1 passed" in output
    assert "test_an_unknown_route_fails_the_strict_test" in output
    assert "service 'chat' received 1 request that no expectation matched (strict mode)" in output
    assert "the greeter simulator has no route GET /nope" in output


def test_failures_then_the_simulator(service, simulator):
    # The documented pattern: throttle twice, then answer as the simulator would.
    service.expect_request("/echo").respond_with_fault(
        faults.fail_times(2, faults.throttle(retry_after=0.1), then=simulator)
    )
    assert [get(service, "/echo").status_code for _ in range(3)] == [429, 429, 200]
    assert service.requests[-1].expectation != "simulator echo"  # the test's expectation answered
    assert get(service, "/echo").json()["greeting"] == "hi"
