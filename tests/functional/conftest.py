"""The downstream simulators, typed (harness itself needs no conftest: it is a pytest plugin).

Each simulator starts every test from its configured baseline: the default chat answer, the "docs"
index of tests/functional/data/docs.json, and content safety rating everything harmless. A test primes
only what it is about; whatever it primed is dropped when it ends.
"""

from __future__ import annotations

import pytest

from harness import MockService
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_search import AzureSearchSimulator
from harness.simulators.content_safety import ContentSafetySimulator


@pytest.fixture
def openai_sim(harness_services: dict[str, MockService]) -> AzureOpenAISimulator:
    simulator = harness_services["openai"].simulator
    assert isinstance(simulator, AzureOpenAISimulator)
    return simulator


@pytest.fixture
def search_sim(harness_services: dict[str, MockService]) -> AzureSearchSimulator:
    simulator = harness_services["search"].simulator
    assert isinstance(simulator, AzureSearchSimulator)
    return simulator


@pytest.fixture
def safety_sim(harness_services: dict[str, MockService]) -> ContentSafetySimulator:
    simulator = harness_services["contentsafety"].simulator
    assert isinstance(simulator, ContentSafetySimulator)
    return simulator
