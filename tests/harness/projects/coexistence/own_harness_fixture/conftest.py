"""A project's own ``harness`` fixture, beside harness's ``harness_app`` and ``harness_services``."""

import pytest


@pytest.fixture(scope="session")
def harness():
    return "the project's own harness"
