"""procscan: descendants through the children files, and the marker sweep through environ alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest

from harness.process import procscan, teardown
from tests.support.apps import APPS
from tests.support.processes import alive

pytestmark = pytest.mark.skipif(not procscan.LINUX, reason="reads /proc")


@pytest.fixture
def tree():
    """(root pid, [shell, grandchild, sleeper, zombie]) of a running apps/process_tree.py (a child
    forked by a thread, a grandchild, a zombie), killed afterwards."""
    program = APPS / "process_tree.py"
    root = subprocess.Popen([sys.executable, str(program)], stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert root.stdout is not None
        yield root.pid, [int(pid) for pid in root.stdout.readline().split()]
    finally:
        os.killpg(root.pid, signal.SIGKILL)  # all of the tree is in the root's group
        root.wait()
        root.stdout.close()


@pytest.mark.skipif(not procscan.CHILDREN_FILES, reason="kernel without CONFIG_PROC_CHILDREN")
def test_descendants_follow_every_thread_and_leave_out_zombies(tree):
    root, [shell, grandchild, sleeper, zombie] = tree

    found = procscan.descendants(root)

    assert found == {shell, grandchild, sleeper}
    # The same as the fallback finds from every process's parent.
    assert found == teardown._descendants(root, teardown._process_table())
    assert zombie not in found


def test_descendants_of_a_process_that_is_gone_are_none():
    process = subprocess.Popen(["true"])
    process.wait()

    assert procscan.descendants(process.pid) == set()


def test_the_marker_sweep_matches_the_exact_variable_and_value_of_live_processes_only():
    value = uuid.uuid4().hex
    base = {"PATH": os.environ["PATH"]}
    exact = subprocess.Popen(["sleep", "3600"], env={**base, "PROCSCAN_TEST": value})
    longer = subprocess.Popen(["sleep", "3600"], env={**base, "PROCSCAN_TEST": value + "x"})
    other_name = subprocess.Popen(["sleep", "3600"], env={**base, "PROCSCAN_TESTX": value})
    last = subprocess.Popen(["sleep", "3600"], env={"PROCSCAN_TEST": value})  # no entry after it
    zombie = subprocess.Popen(["true"], env={**base, "PROCSCAN_TEST": value})
    try:
        os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)
        assert not alive(zombie.pid)

        assert procscan.pids_with_variable("PROCSCAN_TEST", value) == {exact.pid, last.pid}
    finally:
        for process in (exact, longer, other_name, last, zombie):
            process.kill()
            process.wait()
