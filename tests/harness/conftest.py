"""Every test of the harness's own suite proves it left no process behind."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psutil
import pytest

from .support import LEAK_TOKEN_VARIABLE, harness_processes, wait_until_gone


@pytest.fixture(autouse=True)
def no_leaked_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if a child of this runner, or any harness-marked process this test started
    (found by a per-test token every process it starts inherits), is still alive shortly after it
    (polled with a deadline)."""
    token = uuid.uuid4().hex
    monkeypatch.setenv(LEAK_TOKEN_VARIABLE, token)
    started = time.time()
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    yield
    new_children = [c.pid for c in me.children(recursive=True) if c.pid not in before]
    marked = [p.pid for p in harness_processes(started, token)]
    survivors = wait_until_gone(sorted(set(new_children) | set(marked)), timeout=10)
    if survivors:
        described = []
        for pid in survivors:
            try:
                described.append(f"{pid}: {' '.join(psutil.Process(pid).cmdline())}")
                psutil.Process(pid).kill()  # do not let one leak cascade into every later test
            except psutil.Error:
                described.append(str(pid))
        pytest.fail("processes leaked by this test:\n" + "\n".join(described), pytrace=False)
