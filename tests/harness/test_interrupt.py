"""Ctrl-C in the middle of a test still runs the whole teardown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from .support import tiny_app_command, wait_until_gone, write_project

BLOCKING_TEST = """
import os, pathlib, time

def test_waits_forever(harness_app):
    pathlib.Path(os.environ["PID_FILE"]).write_text(str(harness_app.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the runner is interrupted long before this ends
        time.sleep(0.05)
"""


def _wait_for_file(path, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        if process.poll() is not None:
            raise AssertionError(f"pytest ended early:\n{process.communicate()[0]}")
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def test_ctrl_c_during_a_test_stops_the_app_and_removes_the_env_file(tmp_path):
    project = write_project(
        tmp_path,
        f"""
        [tool.harness]
        command = {tiny_app_command()}
        health = "/health"
        env_file = "env/run.env"
        [tool.harness.env]
        TINY_GRANDCHILD = "1"
        """,
        {"test_block.py": BLOCKING_TEST},
    )
    pid_file = tmp_path / "app.pid"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    env["PID_FILE"] = str(pid_file)
    runner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app_pid = _wait_for_file(pid_file, runner)
        family = [app_pid, *(child.pid for child in psutil.Process(app_pid).children(recursive=True))]
        assert len(family) >= 2, "the app should have started its grandchild"
        assert (project / "env" / "run.env").exists()

        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()

    assert "KeyboardInterrupt" in output
    assert "harness: the run was interrupted; the apps were stopped" in output
    assert "tiny_app listening on" in output  # the app's last log line reached the report
    assert wait_until_gone(family, timeout=10) == []
    assert not (project / "env" / "run.env").exists()
