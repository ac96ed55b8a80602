"""Mistakes mypy --strict must find in a user's code (test_typed_api.py): each line that must be
reported ends with a comment saying so, with mypy's error code."""

from harness import MockService, faults
from harness.simulators.azure_openai import AzureOpenAISimulator


def misuse(service: MockService) -> None:
    service.expect_request("/a").respond_with_fault(faults.reset)  # error: arg-type
    service.expect_oneshot_request("/b").respond_with_sse(42)  # error: arg-type
    service.expect_ordered_request("/c").respond_with_fault(faults.RESET)  # error: arg-type
    service.simulator_as(AzureOpenAISimulator).answer_next(42)  # error: arg-type
    service.simulator_as(AzureOpenAISimulator).no_such_call()  # error: attr-defined
