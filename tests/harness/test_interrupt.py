"""Ctrl-C in the middle of a test still runs the whole teardown."""

from __future__ import annotations

import signal
import subprocess
import sys

import psutil

from tests.support.apps import tiny_app_command
from tests.support.polling import wait_for
from tests.support.processes import wait_until_gone
from tests.support.projects import clean_env, project_files, write_project


def _ended(process: subprocess.Popen[str]) -> str | None:
    return None if process.poll() is None else f"pytest ended early:\n{process.communicate()[0]}"


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
        project_files("interrupt/test_block.py"),
    )
    pid_file = tmp_path / "app.pid"
    runner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s"],
        cwd=project,
        env=clean_env(PID_FILE=str(pid_file)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app_pid = int(
            wait_for(
                lambda: pid_file.exists() and pid_file.read_text(),
                str(pid_file),
                30,
                unless=lambda: _ended(runner),
            )
        )
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
