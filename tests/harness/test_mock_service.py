"""MockService: a threaded, quiet, journaled pytest-httpserver server with per-test isolation."""

from __future__ import annotations

import ast
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

import harness.mocks
from harness import faults
from harness.mocks import JournalEntry, MockService, RequestState
from tests.support.mocks import running
from tests.support.polling import DEADLINE, wait_for


@pytest.fixture
def service() -> Iterator[MockService]:
    yield from running(MockService("api"))


def get(mock: MockService, target: str, **kwargs: object) -> requests.Response:
    return requests.get(mock.url + target, timeout=DEADLINE, **kwargs)  # type: ignore[arg-type]


# -- addresses ----------------------------------------------------------------------------------------


def test_is_a_pytest_httpserver(service):
    assert isinstance(service, HTTPServer)
    service.expect_request("/ping").respond_with_json({"pong": True})
    assert get(service, "/ping").json() == {"pong": True}


def test_binds_loopback_on_an_ephemeral_port(service):
    assert service.host == "127.0.0.1"
    assert service.port > 0
    assert service.server is not None
    assert service.server.socket.getsockname() == ("127.0.0.1", service.port)


def test_each_service_gets_its_own_port(service):
    other = MockService("other")
    other.start()
    try:
        assert other.port != service.port
    finally:
        other.stop()


def test_url_has_no_trailing_slash(service):
    assert service.url == f"http://127.0.0.1:{service.port}"
    assert not service.url.endswith("/")
    service.expect_request("/v1/items").respond_with_data("ok")
    assert get(service, "/v1/items").text == "ok"


def test_template_values(service):
    assert service.template_values() == {"url": service.url, "host": "127.0.0.1", "port": str(service.port)}


def test_repr_names_the_service(service):
    assert "api" in repr(service)
    assert service.url in repr(service)


# -- threading ----------------------------------------------------------------------------------------


def _workers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "harness-mock-worker"]


def test_quick_requests_reuse_worker_threads_and_stop_ends_them():
    """A thread per connection would cost more than a quick answer: sequential requests are
    served by the same worker; the idle workers end when the mock stops."""
    before = set(_workers())
    mock = MockService("api")
    mock.start()
    try:
        mock.expect_request("/quick").respond_with_data("ok")
        for _ in range(50):
            assert get(mock, "/quick").text == "ok"
        ours = [thread for thread in _workers() if thread not in before]
        # Usually one; another only when a request arrives before the last worker is idle again.
        assert 1 <= len(ours) <= 5, ours  # a thread per connection would have been 50
    finally:
        mock.stop()
    wait_for(lambda: not any(thread.is_alive() for thread in ours), "the idle workers to end at stop")


def test_serves_requests_concurrently(service):
    release = threading.Event()
    lock = threading.Condition()
    in_flight = 0
    most_in_flight = 0

    def blocking_handler(request: Request) -> Response:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        try:
            released = release.wait(DEADLINE)
        finally:
            with lock:
                in_flight -= 1
        return Response("released" if released else "timed out", status=200 if released else 504)

    service.expect_request("/slow").respond_with_handler(blocking_handler)
    responses: list[requests.Response | BaseException] = []

    def client() -> None:
        try:
            responses.append(get(service, "/slow"))
        except BaseException as error:  # reported by the assertions below
            responses.append(error)

    clients = [threading.Thread(target=client, daemon=True) for _ in range(3)]
    try:
        for thread in clients:
            thread.start()

        def three_blocked() -> bool:
            with lock:
                return in_flight == 3

        wait_for(three_blocked, "3 requests blocked in the handler at the same time")
    finally:
        release.set()
        for thread in clients:
            thread.join(DEADLINE)

    assert most_in_flight == 3
    assert [getattr(r, "status_code", r) for r in responses] == [200, 200, 200]
    assert all(r.text == "released" for r in responses)  # type: ignore[union-attr]
    assert len(service.requests) == 3


# -- quiet --------------------------------------------------------------------------------------------


def test_werkzeug_access_log_is_not_written(service, caplog, capsys):
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    service.expect_request("/logged-ok").respond_with_data("ok")
    service.expect_request("/logged-missing").respond_with_data("nope", status=404)

    assert get(service, "/logged-ok").status_code == 200
    assert get(service, "/logged-missing").status_code == 404
    assert get(service, "/logged-unmatched").status_code == 500

    logging.getLogger("werkzeug").info("probe record")  # proves werkzeug records would be captured
    werkzeug_messages = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert werkzeug_messages == ["probe record"]
    captured = capsys.readouterr()
    assert "/logged" not in captured.out
    assert "/logged" not in captured.err


# -- journal ------------------------------------------------------------------------------------------


def test_journal_records_a_matched_request(service):
    service.expect_request("/other").respond_with_data("other")
    service.expect_request("/things", method="POST").respond_with_json({"id": 7}, status=201)

    response = requests.post(
        service.url + "/things?a=1&b=two",
        data=b'{"name": "x"}',
        headers={"X-Test": "yes", "Content-Type": "application/json"},
        timeout=DEADLINE,
    )

    assert response.status_code == 201
    [entry] = service.requests
    assert entry.method == "POST"
    assert entry.path == "/things"
    assert entry.query_string == "a=1&b=two"
    assert entry.target == "/things?a=1&b=two"
    assert entry.body == b'{"name": "x"}'
    assert ("X-Test", "yes") in entry.headers  # the pairs, in order
    assert entry.headers["x-test"] == "yes"  # and by name, any case, as werkzeug's Headers answer
    assert entry.headers.get("X-TEST") == "yes"
    assert entry.headers.get("X-Missing") is None
    assert "x-test" in entry.headers
    assert entry.headers.getlist("X-Test") == ["yes"]
    with pytest.raises(KeyError):
        entry.headers["X-Missing"]
    assert entry.status == 201
    assert entry.matched is True
    assert entry.error is None
    assert entry.expectation is not None
    assert entry.expectation.startswith("POST /things")  # the expectation as written
    assert "/other" not in entry.expectation
    assert entry.duration >= 0
    assert service.unmatched_requests() == []


def test_journal_names_the_expectation_that_answered(service):
    service.expect_request("/a").respond_with_data("a")
    service.expect_oneshot_request("/b").respond_with_data("b")
    get(service, "/b")
    get(service, "/a")
    first, second = service.requests
    assert (first.path, second.path) == ("/b", "/a")
    assert first.expectation is not None
    assert first.expectation == "any method /b"
    assert second.expectation is not None
    assert second.expectation.endswith(" /a")


def test_journal_records_an_unmatched_request(service):
    service.expect_request("/known").respond_with_data("ok")
    assert get(service, "/unknown?q=1").status_code == 500

    [entry] = service.requests
    assert entry.path == "/unknown"
    assert entry.query_string == "q=1"
    assert entry.status == 500
    assert entry.matched is False
    assert entry.expectation is None
    assert service.unmatched_requests() == [entry]
    assert "matched NO expectation" in entry.describe()


def test_journal_marks_requests_failed_by_an_ordered_expectation_as_unmatched(service):
    service.expect_ordered_request("/first").respond_with_data("1")
    assert get(service, "/second").status_code == 500  # out of order: the server now fails everything
    assert get(service, "/first").status_code == 500

    assert [e.path for e in service.unmatched_requests()] == ["/second", "/first"]


def test_journal_records_a_request_whose_handler_raised(service):
    def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    service.expect_request("/broken", method="PUT").respond_with_handler(broken)
    response = requests.put(service.url + "/broken?x=1", data=b"payload", timeout=DEADLINE)

    assert response.status_code == 500
    [entry] = service.requests
    assert (entry.method, entry.path, entry.query_string, entry.body) == ("PUT", "/broken", "x=1", b"payload")
    assert entry.status == 500
    assert entry.error == "RuntimeError: boom"
    assert entry.expectation is not None
    assert entry.expectation == "PUT /broken"
    assert "handler raised: RuntimeError: boom" in entry.describe()
    assert "/broken" in service.describe_requests()


def test_describe_requests_without_requests(service):
    assert service.describe_requests() == "(no requests)"


# -- per-test isolation -------------------------------------------------------------------------------


def test_end_test_restores_the_baseline_expectations(service):
    service.expect_request("/health").respond_with_data("healthy")
    service.expect_oneshot_request("/token").respond_with_data("token")
    service.begin_test()

    service.expect_request("/added").respond_with_data("added")
    assert get(service, "/token").status_code == 200
    assert get(service, "/token").status_code == 500  # oneshot consumed during the test
    assert get(service, "/added").status_code == 200
    assert get(service, "/health").status_code == 200
    service.end_test()

    assert service.requests == []
    assert get(service, "/health").text == "healthy"
    assert get(service, "/token").text == "token"  # the consumed oneshot baseline is back
    assert get(service, "/added").status_code == 500  # the test's own expectation is gone


def test_baseline_survives_several_tests(service):
    service.expect_oneshot_request("/token").respond_with_data("token")
    for _ in range(3):
        service.begin_test()
        service.expect_request("/mine").respond_with_data("mine")
        assert get(service, "/token").status_code == 200
        assert get(service, "/mine").status_code == 200
        service.end_test()
    assert len(service.oneshot_handlers) == 1
    assert service.handlers == []


def test_begin_test_forgets_earlier_requests(service):
    service.expect_request("/warmup").respond_with_data("ok")
    get(service, "/warmup")
    get(service, "/unmatched")
    service.begin_test()
    assert service.requests == []
    assert service.log == []
    assert service.assertions == []


def test_end_test_clears_journal_log_and_failures(service):
    service.begin_test()
    service.expect_request("/ok").respond_with_data("ok")
    get(service, "/ok")
    get(service, "/nothing-here")
    assert len(service.requests) == 2
    assert service.log
    assert service.assertions  # the unmatched request left an assertion for check_assertions
    service.end_test()

    assert service.requests == []
    assert service.unmatched_requests() == []
    assert service.log == []
    service.check_assertions()  # nothing left over from the previous test


def test_end_test_clears_a_permanent_failure_from_the_test(service):
    service.expect_request("/health").respond_with_data("healthy")
    service.begin_test()
    service.expect_ordered_request("/first").respond_with_data("1")
    get(service, "/out-of-order")
    assert get(service, "/health").status_code == 500  # permanently failed for the rest of the test
    service.end_test()

    assert get(service, "/health").text == "healthy"
    assert service.ordered_handlers == []


def test_end_test_without_begin_test_only_forgets_requests(service):
    service.expect_request("/kept").respond_with_data("kept")
    get(service, "/kept")
    service.end_test()
    assert service.requests == []
    assert get(service, "/kept").text == "kept"


# -- stop ---------------------------------------------------------------------------------------------


def test_stop_is_fast_and_closes_the_listening_socket(service):
    port = service.port
    assert service.server is not None
    listening = service.server.socket

    started = time.monotonic()
    service.stop()
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert not service.is_running()
    assert listening.fileno() == -1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=DEADLINE).close()


def test_requests_fail_after_stop(service):
    service.expect_request("/x").respond_with_data("x")
    url = service.url + "/x"
    assert requests.get(url, timeout=DEADLINE).status_code == 200
    service.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=DEADLINE)


def test_port_is_released_after_stop(service):
    port = service.port
    service.stop()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # would fail with EADDRINUSE if the server still listened
        probe.listen()


def test_stop_does_not_wait_for_a_blocked_handler(service):
    release = threading.Event()
    entered = threading.Event()

    def blocking_handler(request: Request) -> Response:
        entered.set()
        release.wait(DEADLINE)
        return Response("late")

    service.expect_request("/hang").respond_with_handler(blocking_handler)
    client = threading.Thread(target=lambda: _swallow(lambda: get(service, "/hang")), daemon=True)
    client.start()
    try:
        assert entered.wait(DEADLINE), "the request never reached the handler"
        started = time.monotonic()
        service.stop()
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
        client.join(DEADLINE)


def _swallow(call: Callable[[], object]) -> None:
    with contextlib.suppress(requests.RequestException):
        call()


def test_a_request_still_in_flight_at_the_end_of_a_test_stays_out_of_the_next_test(service):
    release = threading.Event()
    entered = threading.Event()

    def slow(request: Request) -> Response:
        entered.set()
        release.wait(DEADLINE)
        return Response("late")

    service.expect_request("/slow").respond_with_handler(slow)
    service.begin_test()
    responses: list[requests.Response] = []
    client = threading.Thread(target=lambda: responses.append(get(service, "/slow")))
    client.start()
    try:
        wait_for(entered.is_set, "the slow handler to start")
        service.end_test()  # test 1 ends while its request is still being answered
        service.begin_test()  # test 2 starts
    finally:
        release.set()
        client.join(DEADLINE)
    assert [response.text for response in responses] == ["late"]
    assert service.requests == []
    assert service.log == []


def test_requests_answered_by_a_fault_count_for_assert_request_made(service):
    service.expect_request("/reset").respond_with_fault(faults.reset())
    with pytest.raises(requests.ConnectionError):
        get(service, "/reset")

    service.assert_request_made(service.create_matcher("/reset"), count=1)
    assert [entry.fault for entry in service.requests] == ["connection reset"]


def test_a_request_still_being_answered_is_in_the_journal_as_pending(service):
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(DEADLINE)
        return Response("done")

    service.expect_request("/slow").respond_with_handler(slow)
    service.begin_test()
    client = threading.Thread(target=lambda: get(service, "/slow"))
    client.start()
    try:
        wait_for(lambda: len(service.requests) == 1, "the request to be journaled on arrival")
        [entry] = service.requests
        assert entry.pending
        assert entry.path == "/slow"
        assert "still being answered" in service.describe_requests()
        assert service.unmatched_requests() == []  # not known yet: never counted as unmatched
    finally:
        release.set()
        client.join(DEADLINE)
    wait_for(lambda: not service.requests[0].pending, "the entry to be completed")
    assert service.requests[0].status == 200


def test_each_entry_says_where_its_request_stands(service):
    release = threading.Event()
    service.expect_request("/slow").respond_with_handler(
        lambda request: Response(str(release.wait(DEADLINE)))
    )
    service.expect_request("/ok").respond_with_data("ok")
    service.begin_test()
    client = threading.Thread(target=lambda: get(service, "/slow"))
    client.start()
    try:
        wait_for(lambda: len(service.requests) == 1, "the slow request to be journaled on arrival")
        get(service, "/ok")
        get(service, "/nothing")
        states = [(entry.path, entry.state, entry.pending, entry.matched) for entry in service.requests]
        assert states == [
            ("/slow", RequestState.PENDING, True, True),  # not known to be unmatched: not counted as one
            ("/ok", RequestState.MATCHED, False, True),
            ("/nothing", RequestState.UNMATCHED, False, False),
        ]
        assert [entry.path for entry in service.unmatched_requests()] == ["/nothing"]
    finally:
        release.set()
        client.join(DEADLINE)
    wait_for(lambda: service.requests[0].state is RequestState.MATCHED, "the slow request to be answered")


def test_a_journal_entry_is_still_made_as_before_state_existed():
    entry = JournalEntry("GET", "/a", "", (), b"", 500, False, None, 0.0, 0.001)
    assert (entry.state, entry.matched, entry.pending) == (RequestState.UNMATCHED, False, False)
    pending = JournalEntry("GET", "/a", "", (), b"", None, pending=True)
    assert pending.state is RequestState.PENDING
    assert replace(pending, state=RequestState.MATCHED).matched
    assert JournalEntry("GET", "/a", "", (), b"", 200, state=RequestState.MATCHED).matched


def test_the_mocks_modules_import_in_layers_without_a_circle():
    package = Path(harness.mocks.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        found = imports.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # TYPE_CHECKING ones too
            if isinstance(node, ast.ImportFrom) and node.module == "harness.mocks":
                found |= {alias.name for alias in node.names if (package / f"{alias.name}.py").exists()}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness.mocks."):
                found.add(str(node.module).removeprefix("harness.mocks."))
    imports.pop("__init__")

    def circle(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in path:
            return (*path, module)
        return next(filter(None, (circle(used, (*path, module)) for used in imports[module])), None)

    circles = [circle(module, ()) for module in sorted(imports)]
    assert [found for found in circles if found] == []
