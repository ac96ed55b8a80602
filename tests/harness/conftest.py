"""Every test of the harness's own suite proves it left no process behind."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from tests.support.contracts import Watch, uncovered, watch_simulators
from tests.support.processes import LEAK_TOKEN_VARIABLE, descendants, leftovers

#: Files the tests copy into throwaway projects: programs to run there, not tests of this suite.
collect_ignore = ["projects"]


@pytest.fixture(autouse=True)
def no_leaked_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if a child of this runner, or any harness-marked process this test started
    (found by a per-test token every process it starts inherits), is still alive shortly after it
    (polled with a deadline)."""
    token = uuid.uuid4().hex
    monkeypatch.setenv(LEAK_TOKEN_VARIABLE, token)
    started = time.time()
    before = descendants()
    yield
    leaked = leftovers(before, started, token)
    if leaked:
        pytest.fail("processes leaked by this test:\n" + "\n".join(leaked), pytrace=False)


@pytest.fixture(scope="session")
def _simulator_watch() -> Iterator[Watch]:
    yield from watch_simulators()


@pytest.fixture(autouse=True)
def simulators_answer_as_documented(_simulator_watch: Watch) -> Iterator[None]:
    """Fail the test if a built-in Azure simulator gave, during it, an answer its service's published
    OpenAPI document does not allow, unless that is a listed deviation (tests/support/contracts.py)."""
    _simulator_watch.take()
    yield
    found = uncovered(_simulator_watch.take())
    if found:
        listed = "\n".join(f"  {finding.describe()}" for finding in found)
        pytest.fail(
            "a simulator answered what its service's published OpenAPI document does not allow:\n"
            f"{listed}\n  fix: make the simulator answer as the service does, or, where the real "
            "service departs from its document, list the deviation in tests/support/contracts.py and "
            "docs/simulators.md",
            pytrace=False,
        )
