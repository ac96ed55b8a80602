"""The repository's own functional suite runs under pytest-xdist and leaves nothing behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .support import LEAK_TOKEN_VARIABLE, harness_processes, run_pytest

ROOT = Path(__file__).resolve().parents[2]


def test_functional_suite_passes_with_two_workers_and_leaves_nothing_behind():
    started = time.time()
    env_files_before = set((ROOT / "env").glob("*.env"))

    result = run_pytest(ROOT, "tests/functional", "-n", "2", "-q", timeout=300)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " passed" in output
    assert "failed" not in output
    assert harness_processes(started, os.environ[LEAK_TOKEN_VARIABLE]) == []
    assert set((ROOT / "env").glob("*.env")) == env_files_before  # per-worker env files removed
