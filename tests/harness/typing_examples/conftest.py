"""The services the typed-API examples use, started here instead of from a [tool.harness] table:
the examples are a user's tests, and a user's ``harness_services`` holds the same ``MockService``s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import MockService
from harness.simulators.azure_openai import AzureOpenAISimulator


@pytest.fixture
def harness_services() -> Iterator[dict[str, MockService]]:
    services = {
        "payments": MockService("payments"),
        "openai": MockService("openai", simulator=AzureOpenAISimulator()),
    }
    for service in services.values():
        service.start()
        service.begin_test()
    try:
        yield services
    finally:
        for service in services.values():
            service.end_test()
            service.stop()
