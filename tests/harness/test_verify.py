"""Request verification helpers (harness.mocks.verify): what passes, and what the failures say."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pytest_httpserver.httpserver import URIPattern
from werkzeug.wrappers import Request, Response

from harness import faults
from harness.mocks import MockService, verify
from harness.mocks.verify import Call
from tests.support.polling import DEADLINE, wait_for

CHAT = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello", "name": "ada"},
    ],
    "options": {"temperature": 0.2, "stop": ["\n"]},
}


@pytest.fixture
def service() -> Iterator[MockService]:
    mock = MockService("api")
    mock.start()
    try:
        mock.expect_request(re.compile("/.*")).respond_with_json({"ok": True})
        yield mock
    finally:
        mock.stop()


def send(mock: MockService, method: str, target: str, **kwargs: object) -> requests.Response:
    return requests.request(method, mock.url + target, timeout=DEADLINE, **kwargs)  # type: ignore[arg-type]


def failure(check: Callable[[], object]) -> str:
    """The message of the AssertionError ``check`` raises."""
    with pytest.raises(AssertionError) as caught:
        check()
    return str(caught.value)


# -- assert_called ---------------------------------------------------------------------------------------


def test_assert_called_returns_the_matching_entries(service):
    send(service, "GET", "/health")
    send(service, "POST", "/chat", json=CHAT)
    send(service, "POST", "/chat", json={"model": "other"})

    entries = verify.assert_called(service, "/chat", method="post")
    assert [entry.body for entry in entries] == [e.body for e in service.requests[1:]]
    assert verify.assert_called(service, "/health", times=1)[0].method == "GET"
    assert len(verify.assert_called(service)) == 3  # no criteria: any request


def test_partial_json_matches_nested_dicts_and_lists(service):
    send(service, "POST", "/chat", json=CHAT)

    verify.assert_called(service, "/chat", json_contains={"model": "gpt-4o"})
    verify.assert_called(service, json_contains={"messages": [{}, {"role": "user", "content": "hello"}]})
    verify.assert_called(service, json_contains={"options": {"stop": ["\n"]}})
    verify.assert_called(service, json=CHAT)


def test_partial_json_failure_names_the_field_path(service):
    send(service, "POST", "/chat", json=CHAT)

    message = failure(
        lambda: verify.assert_called(
            service, "/chat", json_contains={"messages": [{}, {"content": "hi", "tool": "x"}]}
        )
    )
    assert "expected at least one request matching" in message
    assert "0 matched among 1 completed request." in message
    assert "json messages[1].content: expected 'hi', found 'hello'" in message
    assert "json messages[1].tool: expected 'x', missing" in message


def test_partial_json_lists_must_have_the_same_length(service):
    send(service, "POST", "/chat", json=CHAT)

    message = failure(lambda: verify.assert_called(service, json_contains={"messages": [{"role": "user"}]}))
    assert "json messages: expected 1 items, found 2" in message
    message = failure(lambda: verify.assert_called(service, json_contains={"options": {"temperature": 1}}))
    assert "json options.temperature: expected 1, found 0.2" in message


def test_exact_json_reports_fields_not_expected(service):
    send(service, "POST", "/chat", json={"model": "gpt-4o", "stream": True})

    message = failure(lambda: verify.assert_called(service, json={"model": "gpt-4o"}))
    assert "json stream: not expected, found True" in message


def test_json_on_a_body_that_is_not_json(service):
    send(service, "POST", "/chat", data=b"plain words")
    send(service, "POST", "/chat")

    message = failure(lambda: verify.assert_called(service, json_contains={"a": 1}))
    assert "found a body that is not JSON: 'plain words'" in message
    assert "found an empty body" in message


def test_body_exact(service):
    send(service, "PUT", "/blob", data=b"abc")

    verify.assert_called(service, "/blob", body=b"abc")
    verify.assert_called(service, "/blob", body="abc")
    message = failure(lambda: verify.assert_called(service, "/blob", body="abd"))
    assert "body: expected 'abd', found 'abc'" in message


def test_query_is_order_insensitive_with_repeated_keys(service):
    send(service, "GET", "/search?tag=b&q=cats&tag=a&empty=")

    verify.assert_called(service, "/search", query={"q": "cats", "tag": ["a", "b"], "empty": ""})
    verify.assert_called(service, "/search", query={"tag": ("b", "a"), "empty": "", "q": "cats"})
    verify.assert_called(service, "/search", query="tag=b&q=cats&tag=a&empty=")  # a string: exact

    message = failure(lambda: verify.assert_called(service, query={"q": "dogs", "tag": "a", "page": "2"}))
    assert "query q: expected 'dogs', found 'cats'" in message
    assert "query tag: expected 'a', found ['b', 'a']" in message
    assert "query page: expected '2', missing" in message
    assert "query empty: not expected, found ''" in message

    message = failure(lambda: verify.assert_called(service, query="q=cats"))
    assert "query: expected 'q=cats', found 'tag=b&q=cats&tag=a&empty='" in message


def test_headers_are_a_subset_with_case_insensitive_names(service):
    send(service, "GET", "/items", headers={"X-Api-Key": "secret", "Authorization": "Bearer t0k"})

    verify.assert_called(service, headers={"x-api-key": "secret"})
    verify.assert_called(service, headers={"X-API-KEY": "secret", "authorization": "Bearer t0k"})

    message = failure(
        lambda: verify.assert_called(service, headers={"x-api-key": "other", "X-Request-Id": "1"})
    )
    # x-api-key is a secret header: masked, with the lengths telling two secrets apart
    assert "header x-api-key: expected '********', found '********' (masked; they differ: 5 and 6" in message
    assert "other" not in message
    assert "secret" not in message
    assert "header X-Request-Id: expected '1', missing" in message


def test_exact_count_mismatch(service):
    for _ in range(3):
        send(service, "POST", "/chat", json=CHAT)
    send(service, "GET", "/health")

    assert len(verify.assert_called(service, "/chat", times=3)) == 3
    verify.assert_called(service, "/nowhere", times=0)
    message = failure(lambda: verify.assert_called(service, "/chat", times=2))
    assert "expected exactly 2 requests matching" in message
    assert "3 matched (#1, #2, #3) among 4 completed requests." in message

    message = failure(lambda: verify.assert_called(service, "/health", times=2))
    assert "1 matched (#4) among 4 completed requests." in message
    assert "closest requests:" in message  # too few: the near misses are shown


def test_times_must_be_a_count(service):
    with pytest.raises(ValueError, match="times must be an int >= 0"):
        verify.assert_called(service, times=-1)


def test_regex_and_uri_pattern_paths(service):
    send(service, "GET", "/items/42")

    class Digits(URIPattern):
        def match(self, uri: str) -> bool:
            return uri.rsplit("/", 1)[-1].isdigit()

    verify.assert_called(service, re.compile(r"/items/\d+$"))
    verify.assert_called(service, Digits())
    verify.assert_not_called(service, re.compile(r"/items/\d+/"))
    message = failure(lambda: verify.assert_called(service, re.compile(r"/users/\d+")))
    assert r"path: expected re'/users/\\d+', found '/items/42'" in message


def test_closest_requests_ranked_by_fewest_differences_and_capped(service):
    send(service, "GET", "/health")
    send(service, "POST", "/embeddings", json={"input": "x"})
    send(service, "GET", "/chat")
    send(service, "POST", "/chat", json={"model": "gpt-3"})
    send(service, "DELETE", "/other")

    message = failure(lambda: verify.assert_called(service, "/chat", method="POST", json={"model": "gpt-4o"}))
    closest = message.split("closest requests:\n")[1].split("received (5):")[0]
    summaries = [line.strip() for line in closest.splitlines() if line.startswith("  #")]
    assert summaries[0] == "#4 POST /chat -> 200"  # only the JSON differs
    assert len(summaries) == verify.MAX_CLOSEST
    assert "json model: expected 'gpt-4o', found 'gpt-3'" in closest
    assert "#5 DELETE /other" not in closest  # path, method and JSON all differ
    # ...but every request is listed on one line
    assert "received (5):\n  #1 GET /health -> 200\n  #2 POST /embeddings -> 200" in message
    assert message.endswith("#5 DELETE /other -> 200")


def test_nothing_received_says_so(service):
    message = failure(lambda: verify.assert_called(service, "/chat"))
    assert message == "service 'api': expected at least one request matching\n  ANY /chat\n" + (
        "but it received no requests at all."
    )


# -- assert_not_called -----------------------------------------------------------------------------------


def test_never_called_passes_and_fails_showing_the_offending_request(service):
    send(service, "GET", "/health")
    verify.assert_not_called(service, "/admin")
    verify.assert_not_called(service, "/health", method="POST")

    send(service, "POST", "/admin/users?force=1", json={"name": "eve"})
    message = failure(lambda: verify.assert_not_called(service, re.compile("/admin")))
    assert "expected no request matching\n  ANY re'/admin'" in message
    assert "but 1 of 2 completed requests matched:" in message
    assert '#2 POST /admin/users?force=1 -> 200\n      body: {"name": "eve"}' in message


def test_not_called_without_criteria_means_nothing_received(service):
    verify.assert_not_called(service)
    send(service, "GET", "/health")
    assert "#1 GET /health -> 200" in failure(lambda: verify.assert_not_called(service))


# -- assert_called_in_order ------------------------------------------------------------------------------


def test_in_order_allows_requests_in_between(service):
    for target in ("/login", "/health", "/items", "/health", "/logout"):
        send(service, "GET", target)

    entries = verify.assert_called_in_order(service, "/login", "/items", "/logout")
    assert [entry.path for entry in entries] == ["/login", "/items", "/logout"]
    verify.assert_called_in_order(service, "/health", "/health")


def test_in_order_fails_when_reversed(service):
    send(service, "GET", "/login")
    send(service, "GET", "/items")

    message = failure(lambda: verify.assert_called_in_order(service, "/items", "/login"))
    assert "expected requests in this order (other requests may come in between):" in message
    assert "1. ANY /items  -> #2" in message
    assert "2. ANY /login  -> NOT FOUND" in message
    assert "no request after #2 matched step 2; it matched only before: #1." in message


def test_in_order_first_step_missing(service):
    send(service, "GET", "/items")
    message = failure(lambda: verify.assert_called_in_order(service, "/login", "/items"))
    assert "no request matched step 1, among 1 completed request." in message
    assert "path: expected '/login', found '/items'" in message


def test_in_order_strict_wants_nothing_in_between(service):
    for target in ("/health", "/login", "/items", "/audit", "/logout"):
        send(service, "GET", target)

    verify.assert_called_in_order(service, "/login", "/items", strict=True)
    message = failure(
        lambda: verify.assert_called_in_order(service, "/login", "/items", "/logout", strict=True)
    )
    assert "(strict: nothing in between)" in message
    assert "3. ANY /logout  -> NOT FOUND" in message
    assert "step 3 expected right after #3, but #4 differs:\n  #4 GET /audit -> 200" in message
    assert "path: expected '/logout', found '/audit'" in message
    assert "(step 3 matched #5, not right after #3)" in message

    message = failure(lambda: verify.assert_called_in_order(service, "/logout", "/login", strict=True))
    assert "step 2 expected right after #5, but no request came after it." in message


def test_in_order_takes_dicts_and_calls(service):
    send(service, "POST", "/chat", json=CHAT)
    send(service, "POST", "/chat", json={"model": "gpt-4o", "messages": []})

    verify.assert_called_in_order(
        service,
        {"path": "/chat", "json_contains": {"messages": [{}, {}]}},
        Call("/chat", method="POST", json_contains={"messages": []}),
    )
    message = failure(
        lambda: verify.assert_called_in_order(
            service, Call("/chat", json_contains={"messages": []}), {"path": "/chat", "method": "POST"}
        )
    )
    assert "no request after #2 matched step 2; it matched only before: #1." in message


def test_in_order_needs_a_call(service):
    with pytest.raises(ValueError, match="at least one call"):
        verify.assert_called_in_order(service)


# -- faults, pending requests ----------------------------------------------------------------------------


def test_requests_answered_by_a_fault_count_as_calls(service):
    service.expect_oneshot_request("/reset").respond_with_fault(faults.reset())
    with pytest.raises(requests.ConnectionError):
        send(service, "GET", "/reset")

    [entry] = verify.assert_called(service, "/reset", times=1)
    assert entry.fault == "connection reset"
    message = failure(lambda: verify.assert_not_called(service, "/reset"))
    assert "#1 GET /reset -> no response (fault: connection reset)" in message


def test_a_pending_request_is_not_counted_but_mentioned(service):
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(DEADLINE)
        return Response("late")

    service.expect_oneshot_request("/slow").respond_with_handler(slow)
    send(service, "GET", "/health")
    client = threading.Thread(target=lambda: send(service, "GET", "/slow"))
    client.start()
    try:
        wait_for(lambda: any(entry.pending for entry in service.requests), "the slow request to arrive")
        message = failure(lambda: verify.assert_called(service, "/slow"))
        assert "0 matched among 1 completed request (1 request still being answered)." in message
        assert "#2 GET /slow -> still being answered" in message
        verify.assert_not_called(service, "/slow")  # not completed: not a call yet
    finally:
        release.set()
        client.join(DEADLINE)
    wait_for(lambda: not any(entry.pending for entry in service.requests), "the slow request to complete")
    verify.assert_called(service, "/slow", times=1)


# -- built on pytest-httpserver ------------------------------------------------------------------------------


def test_the_matcher_counts_what_assert_request_made_counts(service):
    service.expect_oneshot_request("/chat", method="DELETE").respond_with_fault(faults.reset())
    send(service, "POST", "/chat?v=1&v=2", json=CHAT, headers={"X-Key": "k"})
    send(service, "POST", "/chat?v=2&v=1", json={"model": "gpt-4o"})
    with pytest.raises(requests.ConnectionError):
        send(service, "DELETE", "/chat")

    expected_counts: list[tuple[dict[str, Any], int]] = [
        ({"path": "/chat"}, 3),
        ({"path": "/chat", "method": "POST", "query": {"v": ["2", "1"]}}, 2),
        ({"json_contains": {"messages": [{"role": "system"}, {}]}}, 1),
        ({"path": re.compile("/ch"), "headers": {"x-key": "k"}}, 1),
        ({"path": "/chat", "method": "DELETE"}, 1),  # answered by a fault
        ({"path": "/nowhere"}, 0),
    ]
    for criteria, count in expected_counts:
        assert len(verify.assert_called(service, **criteria, times=count)) == count
        service.assert_request_made(Call(**criteria).matcher(), count=count)


def test_call_rejects_two_body_criteria():
    with pytest.raises(ValueError, match="at most one of body, json and json_contains"):
        Call("/x", body=b"{}", json={})
    with pytest.raises(ValueError, match="json and json_contains"):
        Call("/x", json=None, json_contains={})


def test_json_differences_paths():
    differences = verify.json_differences(
        {"a.b": 1, "list": [{"x": 1}], "n": None}, {"a.b": 2, "list": [{"x": 1, "y": 2}]}, partial=True
    )
    assert differences == ['["a.b"]: expected 1, found 2', "n: expected None, missing"]
    assert verify.json_differences([1], {"a": 1}, partial=True) == ["(body): expected [1], found {'a': 1}"]
    assert verify.json_differences({"a": {}}, {"a": {"b": 1}}, partial=False) == [
        "a.b: not expected, found 1"
    ]


def test_the_helpers_are_methods_of_every_mock_service(service):
    requests.post(f"{service.url}/a", json={"n": 1, "extra": True}, timeout=5)
    requests.get(f"{service.url}/b", timeout=5)

    [entry] = service.assert_called("/a", method="POST", json_contains={"n": 1})
    assert entry.path == "/a"
    service.assert_not_called("/c")
    service.assert_called_in_order("/a", "/b", strict=True)
    with pytest.raises(AssertionError, match="expected at least one request"):
        service.assert_called("/a", json_contains={"n": 2})
