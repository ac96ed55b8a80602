"""A mock service for the length of one test, as the orchestrator runs it (for fixtures); a
project's mocks without its app."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from harness import Harness
from harness.config import load_config
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


@contextlib.contextmanager
def mocks_of(pyproject: Path, *, record: bool = False) -> Iterator[Harness]:
    """A run of ``pyproject`` with its mock services only: the app is never started (the test plays
    the app); ``record``: record mode."""
    run = Harness(load_config(pyproject), record=record)
    try:
        run.start_services()
        yield run
    finally:
        run.stop()
