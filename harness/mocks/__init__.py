"""Mock services: pytest-httpserver servers with a journal and per-test isolation.

The modules, each with one job:

* :mod:`~harness.mocks.server`: :class:`MockService`, the server a test primes and reads;
* :mod:`~harness.mocks.expectation`: :class:`ExpectationHandler`, what ``expect_request`` returns;
* :mod:`~harness.mocks.journal`: what a service received (:class:`JournalEntry`, :class:`RequestState`);
* :mod:`~harness.mocks.verify`: ``assert_called`` and friends, on the journal;
* :mod:`~harness.mocks.nearmiss`: the closest expectation to a request nothing matched;
* :mod:`~harness.mocks.matching`: how far a request is from an expectation (the ranking engine);
* :mod:`~harness.mocks.describe`: requests, expectations and values in words (the formatter);
* :mod:`~harness.mocks.hardening`: werkzeug's HTTP layer, bounded (limits, deadlines, rejections);
* :mod:`~harness.mocks.pool`: the werkzeug server that serves connections on reused threads.
"""

from harness.mocks.expectation import ExpectationHandler
from harness.mocks.journal import Journal, JournalEntry, RequestState
from harness.mocks.server import MockService

__all__ = ["ExpectationHandler", "Journal", "JournalEntry", "MockService", "RequestState"]
