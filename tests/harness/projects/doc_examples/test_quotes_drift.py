# tests/functional/test_quotes_drift.py
import requests

from harness import MockService


def test_a_quote_the_real_service_could_not_send(
    harness_app_url: str, harness_services: dict[str, MockService]
) -> None:
    # The real service always sends the author: this answer would let the app's bug through.
    harness_services["quotes"].expect_request("/v1/quotes/kay-1").respond_with_json(
        {"id": "kay-1", "text": "The best way to predict the future is to invent it."}
    )

    response = requests.get(f"{harness_app_url}/quote/kay-1", timeout=10)

    assert response.status_code == 502  # the app did not find the author
