import requests
from tests.unittest_checkout import CheckoutTests


class Unexpected(CheckoutTests):
    def test_checkout_without_priming_the_payments_mock(self) -> None:
        requests.post(self.harness.app.url_for("/checkout"), json={"cart": "c-1"}, timeout=10)
