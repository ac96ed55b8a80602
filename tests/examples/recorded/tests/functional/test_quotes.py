# tests/functional/test_quotes.py
import requests

from harness import MockService


def test_a_recorded_quote(harness_app_url: str) -> None:
    # Answered from tests/recordings/tests/functional/test_quotes/test_a_recorded_quote.json,
    # recorded from the real service with: pytest --harness-record
    response = requests.get(f"{harness_app_url}/quote/dijkstra-1", timeout=10)

    assert response.json() == {"quote": "Simplicity is prerequisite for reliability. (Edsger W. Dijkstra)"}


def test_a_primed_quote(harness_app_url: str, harness_services: dict[str, MockService]) -> None:
    # The test's own expectations win over recordings; the contract checks them too.
    harness_services["quotes"].expect_request("/v1/quotes/kay-1").respond_with_json(
        {"id": "kay-1", "text": "The best way to predict the future is to invent it.", "author": "Alan Kay"}
    )

    response = requests.get(f"{harness_app_url}/quote/kay-1", timeout=10)

    assert response.json()["quote"].endswith("(Alan Kay)")


def test_an_unrecorded_quote_gets_the_documents_example(harness_app_url: str) -> None:
    # Nothing recorded or primed: the OpenAPI document's example answers, with its 200.
    response = requests.get(f"{harness_app_url}/quote/any", timeout=10)

    assert response.json() == {"quote": "Simple things should be simple. (Alan Kay)"}
