"""Every test of the harness's own suite proves it left no process behind."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

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
