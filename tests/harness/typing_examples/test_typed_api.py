"""The typed API as a user's test uses it: ``mypy --strict`` passes on this file unchanged
(tests/harness/test_typed_api.py checks that), and the suite runs it."""

from __future__ import annotations

import pytest
import requests
from werkzeug.wrappers import Response

from harness import ExpectationHandler, MockService, faults
from harness.simulators.azure_openai import AzureOpenAISimulator

CHAT = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"


def test_a_fault_on_a_route(harness_services: dict[str, MockService]) -> None:
    payments = harness_services["payments"]
    payments.expect_request("/v1/charges", method="POST").respond_with_fault(faults.reset())

    with pytest.raises(requests.ConnectionError):
        requests.post(f"{payments.url}/v1/charges", json={"cart": "c-42"}, timeout=10)

    [entry] = payments.assert_called("/v1/charges", method="POST", times=1)
    assert entry.fault == "connection reset"


def test_a_stream(harness_services: dict[str, MockService]) -> None:
    payments = harness_services["payments"]
    handler: ExpectationHandler = payments.expect_oneshot_request("/v1/events")
    handler.respond_with_sse([{"n": 1}, {"n": 2}, faults.DONE], delay=0.01)

    response = requests.get(f"{payments.url}/v1/events", timeout=10)

    assert response.text == 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n'


def test_pytest_httpserver_answers_still_type_check(harness_services: dict[str, MockService]) -> None:
    payments = harness_services["payments"]
    payments.expect_ordered_request("/a").respond_with_json({"a": 1}, status=201)
    payments.expect_request("/b").respond_with_data("b", content_type="text/plain")
    payments.expect_request("/c").respond_with_response(Response("c"))
    payments.expect_request("/d").respond_with_handler(lambda request: Response(request.path))

    answers = [requests.get(f"{payments.url}/{path}", timeout=10) for path in "abcd"]

    assert [answer.status_code for answer in answers] == [201, 200, 200, 200]
    assert [answer.text for answer in answers[1:]] == ["b", "c", "/d"]


def test_the_simulator_typed_as_its_class(harness_services: dict[str, MockService]) -> None:
    openai = harness_services["openai"]
    openai.simulator_as(AzureOpenAISimulator).answer_next("Meals are reimbursed up to 40 EUR per day.")

    question = {"messages": [{"role": "user", "content": "What about meals?"}]}
    response = requests.post(f"{openai.url}{CHAT}", json=question, headers={"api-key": "k"}, timeout=10)

    assert response.json()["choices"][0]["message"]["content"] == "Meals are reimbursed up to 40 EUR per day."
