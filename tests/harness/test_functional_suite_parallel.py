"""The repository's own functional suite runs under pytest-xdist and leaves nothing behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.processes import LEAK_TOKEN_VARIABLE, harness_processes
from tests.support.projects import run_pytest

ROOT = Path(__file__).resolve().parents[2]


def test_functional_suite_passes_with_two_workers_and_leaves_nothing_behind():
    started = time.time()
    # An instance name of its own: other runs in this checkout (the outer suite's own functional
    # tests, on another worker) write env files meanwhile; this run's are told apart by the name.
    instance = f"parallel-check-{os.getpid()}"

    result = run_pytest(
        ROOT, "tests/functional", "-n", "2", "-q", "--harness-instance", instance, timeout=300
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " passed" in output
    assert "failed" not in output
    assert harness_processes(started, os.environ[LEAK_TOKEN_VARIABLE]) == []
    assert list((ROOT / "env").glob(f"*{instance}*")) == []  # each worker's env files removed
    logs = sorted((ROOT / ".harness" / "logs").glob(f"*{instance}*"))
    assert logs, output
    assert all(f".{instance}.gw" in log.name for log in logs), logs  # one log per worker and app
    for log in logs:  # kept by design for reading after a run; this test's are read: tidied away
        log.unlink()
