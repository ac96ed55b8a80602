"""The same semantics without pytest: ``python -m unittest tests.unittest_checkout``."""

# ruff: noqa: PT009 - unittest's own assertions: this is the example for unittest users

import unittest
from pathlib import Path

import requests

from harness import Harness

PROJECT = Path(__file__).resolve().parents[1]  # where pyproject.toml holds [tool.harness]


class CheckoutTests(unittest.TestCase):
    harness: Harness

    @classmethod
    def setUpClass(cls) -> None:
        cls.harness = Harness.from_pyproject(PROJECT / "pyproject.toml").start()
        cls.addClassCleanup(cls.harness.stop)  # every process gone, every file removed

    def setUp(self) -> None:
        # One window per test: what the test primes is dropped at its end, and the run's verdict
        # (an unexpected request, an app that died) fails the test that caused it.
        window = self.harness.test(self.id()).begin()
        self.addCleanup(window.end)
        self.addCleanup(window.check)  # cleanups run last-in first-out: the verdict, then the end

    def test_checkout_charges_the_card(self) -> None:
        payments = self.harness.services["payments"]
        payments.expect_request("/v1/charges", method="POST").respond_with_json({"id": "ch_1"})

        response = requests.post(self.harness.app.url_for("/checkout"), json={"cart": "c-42"}, timeout=10)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"charge": "ch_1"})


if __name__ == "__main__":
    unittest.main()
