"""Helpers for the plugin tests' projects (test_plugin.py): GET without any proxy, a record of what
each test saw (``seen``), and a session fixture priming a mock (``primed``)."""

from pathlib import Path

import pytest
from web import http_get as get

RECORD = Path(__file__).parent / "seen.txt"


@pytest.fixture
def seen(request, harness_app):
    status, who = get(harness_app.url_for("/env?name=WHO"))
    assert status == 200
    assert who == harness_app.profile  # the app really runs with that profile's env
    with RECORD.open("a") as record:
        record.write(f"{request.node.nodeid} {harness_app.profile} {harness_app.pid}\n")
    return harness_app


@pytest.fixture(scope="session")
def primed(harness):
    harness.services["loose"].expect_request("/base").respond_with_data("from the session")
