"""A conftest like a real project's: its own fixtures under the names other tools use."""

import pytest


@pytest.fixture
def app():
    return {"kind": "the project's own app"}


@pytest.fixture
def app_url():
    return "http://project.invalid"


@pytest.fixture
def services():
    return ["db", "cache"]
