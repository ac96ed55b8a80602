# tests/functional/test_checkout.py
import pytest
import requests

from harness import MockService


def test_checkout_charges_the_card(harness_app_url: str, harness_services: dict[str, MockService]) -> None:
    payments = harness_services["payments"]
    payments.expect_request("/v1/charges", method="POST").respond_with_json({"id": "ch_1"})

    response = requests.post(f"{harness_app_url}/checkout", json={"cart": "c-42"}, timeout=10)

    assert response.status_code == 200
    assert response.json() == {"charge": "ch_1"}
    assert payments.requests[0].method == "POST"


@pytest.mark.harness_profile("no_payments")
def test_checkout_without_payments(harness_app_url: str) -> None:
    response = requests.post(f"{harness_app_url}/checkout", json={"cart": "c-42"}, timeout=10)

    assert response.status_code == 503
