"""Profile one's tests: its test checks that the other selected profiles' apps started ahead (those
named in expected_ahead.txt beside it, if there is one)."""

import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.harness_profile("one")

EXPECTED_FILE = Path(__file__).with_name("expected_ahead.txt")
EXPECTED = set(EXPECTED_FILE.read_text().split()) if EXPECTED_FILE.exists() else {"one", "two", "three"}


def apps_of(marker):
    found = set()
    for process in psutil.process_iter():
        try:
            if process.environ().get("HARNESS_RUN_MARKER") == marker:
                found.add(process.environ().get("WHO"))
        except psutil.Error:
            pass
    return found


def test_one(harness, harness_app):
    # The other profiles' apps started ahead, before any of their tests ran.
    deadline = time.monotonic() + 30
    while apps_of(harness.marker) != EXPECTED:
        assert time.monotonic() < deadline, apps_of(harness.marker)
        time.sleep(0.01)


def test_services_only(harness_services):
    pass
