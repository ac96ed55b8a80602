"""Profile one's tests: its test checks that the other selected profiles' apps started ahead."""

import time

import psutil
import pytest

pytestmark = pytest.mark.harness_profile("one")


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
    while apps_of(harness.marker) != {"one", "two", "three"}:
        assert time.monotonic() < deadline, apps_of(harness.marker)
        time.sleep(0.01)


def test_services_only(harness_services):
    pass
