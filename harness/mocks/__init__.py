"""Mock services: pytest-httpserver servers with a journal and per-test isolation."""

from harness.mocks.journal import Journal, JournalEntry
from harness.mocks.server import MockService

__all__ = ["Journal", "JournalEntry", "MockService"]
