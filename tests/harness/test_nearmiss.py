"""For a request nothing matched: the closest expectation and exactly which part differed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from harness.mocks import MockService, verify
from harness.mocks.verify import json_differences
from harness.secrets import MASK, is_secret, mask_env


@pytest.fixture
def service() -> Iterator[MockService]:
    mock = MockService("api")
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()


def test_json_differences_name_each_field_by_its_path():
    expected = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "n": 1}
    actual = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}], "stream": True}
    assert json_differences(expected, actual, partial=False) == [
        "messages[0].content: expected 'hi', found 'hello'",
        "n: expected 1, missing",
        "stream: not expected, found True",
    ]


def test_json_differences_report_list_lengths_and_types():
    assert json_differences([1, 2], [1], partial=False) == ["(body): expected 2 items, found 1: [1]"]
    assert json_differences({"a": 1}, {"a": "1"}, partial=False) == ["a: expected 1, found '1'"]
    assert json_differences({"a": {"b": [1]}}, {"a": {"b": [1]}}, partial=False) == []


def test_an_unmatched_request_names_the_closest_expectation_and_what_differed(service):
    service.expect_request("/other").respond_with_data("x")
    service.expect_request(
        "/chat", method="POST", headers={"api-key": "right"}, json={"messages": [{"content": "hi"}]}
    ).respond_with_json({})

    body = {"messages": [{"content": "hello"}]}
    requests.post(f"{service.url}/chat", json=body, headers={"api-key": "wrong"}, timeout=5)

    [entry] = service.requests
    assert not entry.matched
    assert entry.near_miss is not None
    assert "closest expectation: POST /chat (" in entry.near_miss  # the POST /chat expectation, not /other
    # api-key is a secret header: both values masked, the report still says they differ
    masked = "expected '********', found '********' (masked; they differ: 5 and 5 characters)"
    assert f"differs in header api-key: {masked}" in entry.near_miss
    assert "right" not in entry.near_miss
    assert "wrong" not in entry.near_miss
    assert "differs in json messages[0].content: expected 'hi', found 'hello'" in entry.near_miss
    assert entry.near_miss in service.describe_requests().replace("\n    ", "\n")


def test_near_misses_and_verification_rank_and_explain_alike(service):
    service.expect_request("/other", method="POST").respond_with_data("x")
    service.expect_request("/chat", method="POST", headers={"x-team": "a"}, json={"n": 1}).respond_with_data(
        "y"
    )

    requests.post(f"{service.url}/chat", json={"n": 2}, headers={"x-team": "b"}, timeout=5)  # unmatched
    requests.post(f"{service.url}/other", json={"n": 1}, headers={"x-team": "a"}, timeout=5)

    # Two differing fields of the same endpoint are closer than another path, in both reports.
    near_miss = service.requests[0].near_miss
    assert near_miss is not None
    assert near_miss.startswith("closest expectation: POST /chat (")
    with pytest.raises(AssertionError) as failed:
        verify.assert_called(service, "/chat", method="POST", headers={"x-team": "a"}, json={"n": 1})
    closest = str(failed.value).split("closest requests:\n")[1].splitlines()
    assert closest[0] == "  #1 POST /chat -> 500 (matched no expectation)"
    for line in ("header x-team: expected 'a', found 'b'", "json n: expected 1, found 2"):
        assert f"  differs in {line}" in near_miss
        assert f"      {line}" in closest


def test_an_unmatched_request_without_any_expectation_says_so(service):
    requests.get(f"{service.url}/anything", timeout=5)
    assert service.requests[0].near_miss == "no expectation is registered"


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("AZURE_OPENAI_API_KEY", "abc", True),
        ("GITHUB_TOKEN", "abc", True),
        ("DB_PASSWORD", "abc", True),
        ("CLIENT_SECRET", "abc", True),
        ("STORAGE", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==", True),
        ("DATABASE_URL", "postgres://user:pa55@db:5432/app", True),
        ("LOG_LEVEL", "debug", False),
        ("ENDPOINT", "http://127.0.0.1:4000", False),
        ("API_KEY", "", False),
    ],
)
def test_secret_looking_values_are_masked(name, value, secret):
    assert is_secret(name, value) is secret
    shown = mask_env({name: value})[name]
    # a connection string or URL keeps its shape, only its secret part masked (see test_secrets.py)
    assert (MASK in shown) is secret
    assert ("abc" in shown or "pa55" in shown) is (not secret and ("abc" in value or "pa55" in value))
