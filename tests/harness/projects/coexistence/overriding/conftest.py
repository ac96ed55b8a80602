"""A project's own fixtures named like harness's: pytest's rules say the closest definition wins."""

import pytest


@pytest.fixture
def harness_services():
    return {"mine": "not a mock"}


@pytest.fixture(scope="session")
def harness():
    return "the project's own harness"
