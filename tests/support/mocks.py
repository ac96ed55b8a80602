"""A mock service for the length of one test, as the orchestrator runs it (for fixtures)."""

from __future__ import annotations

from collections.abc import Iterator

from harness.mocks import MockService


def running(mock: MockService) -> Iterator[MockService]:
    """``mock`` started, and stopped at the end (unless the test stopped it already)."""
    mock.start()
    try:
        yield mock
    finally:
        if mock.is_running():
            mock.stop()


def in_a_test(mock: MockService) -> Iterator[MockService]:
    """``mock`` started and inside a test (``begin_test``). At the end ``end_test`` releases the
    connections a hang or stall still holds, then the mock stops (unless the test stopped it)."""
    mock.start()
    mock.begin_test()
    try:
        yield mock
    finally:
        mock.end_test()
        if mock.is_running():
            mock.stop()
