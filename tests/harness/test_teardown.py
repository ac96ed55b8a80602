"""Teardown: the app and everything it started are gone once stop returns."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import psutil
import pytest

from harness import Harness
from harness.process import procscan
from harness.process.teardown import stop_process_tree
from tests.support.apps import APPS, http_get, tiny_pids
from tests.support.polling import wait_for
from tests.support.processes import alive, assert_gone
from tests.support.projects import tiny_project, write_project


def _tree(pid: int) -> dict[int, list[str]]:
    """``pid`` and its descendants, with their command lines."""
    root = psutil.Process(pid)
    return {process.pid: process.cmdline() for process in [root, *root.children(recursive=True)]}


@pytest.fixture(params=["children files", "full scan"], autouse=True)
def scan(request, monkeypatch):
    """Every test runs both ways of finding descendants: through /proc/<pid>/task/*/children, and
    the fallback for kernels without them (one pass over every process)."""
    if request.param == "children files" and not procscan.CHILDREN_FILES:
        pytest.skip("kernel without CONFIG_PROC_CHILDREN")
    monkeypatch.setattr(procscan, "CHILDREN_FILES", request.param == "children files")


def test_shell_wrapper_app_and_grandchild_are_all_stopped(tmp_path):
    # The shell stays the parent (it has more to do after the app), so there are three levels:
    # sh -> tiny app -> its sleeping child.
    pyproject = tiny_project(
        tmp_path,
        command='["sh", "-c", "{python} tiny_app.py; echo wrapper done"]',
        app={"cwd": str(APPS)},
        env={"TINY_GRANDCHILD": 1},
    )

    with Harness.from_pyproject(pyproject) as h:
        assert http_get(h.app.url_for("/health"))[0] == 200
        tree = _tree(h.app.pid)
        [app_pid] = tiny_pids(h.app.log_path.read_text())
        app = h.app

    assert tree[app.pid][0] in ("sh", "/bin/sh", "/usr/bin/sh")
    assert app_pid in tree
    grandchildren = [pid for pid, cmdline in tree.items() if "time.sleep(3600)" in " ".join(cmdline)]
    assert len(grandchildren) == 1, tree
    assert len(tree) == 3, tree
    assert_gone(*tree)
    assert app.stop_report is not None
    assert not app.stop_report.survivors


def test_process_that_left_the_group_is_found_by_its_marker(tmp_path):
    # A daemon-style double fork: the subshell starts the sleeper in a session of its own and exits,
    # so neither the process group nor the parent chain leads to it; only the environment marker does.
    pyproject = tiny_project(
        tmp_path,
        command='["sh", "-c", "(setsid sleep 3600 &); exec {python} tiny_app.py"]',
        app={"cwd": str(APPS)},
    )

    with Harness.from_pyproject(pyproject) as h:
        app_pid = h.app.pid
        sleeper = _marked_sleeper(h.marker)
        assert os.getsid(sleeper) != os.getsid(app_pid)
        assert sleeper not in {p.pid for p in psutil.Process(app_pid).children(recursive=True)}

    assert_gone(app_pid, sleeper)


def _marked_sleeper(marker: str, timeout: float = 10) -> int:
    """Pid of the ``sleep`` process carrying the run ``marker`` (polled: the shell starts it async)."""

    def find() -> int | None:
        for process in psutil.process_iter(["name"]):
            try:
                if process.info["name"] == "sleep" and process.environ().get("HARNESS_RUN_MARKER") == marker:
                    return process.pid
            except psutil.Error:
                continue
        return None

    return wait_for(find, "the setsid'd sleeper", timeout)


def test_app_ignoring_sigterm_is_killed_and_the_stop_says_forced(tmp_path):
    pyproject = tiny_project(tmp_path, app={"shutdown_timeout": 0.5}, env={"TINY_IGNORE_TERM": 1})

    with Harness.from_pyproject(pyproject) as h:
        app = h.app
        pid = app.pid

    report = app.stop_report
    assert report is not None
    assert report.forced
    assert report.exit_code == -signal.SIGKILL
    assert report.duration >= 0.5  # it got its grace period first
    assert "tiny_app ignoring SIGTERM" in app.log_path.read_text()  # SIGTERM did come first
    assert not report.survivors
    assert_gone(pid)


def test_clean_app_stops_without_force_and_reports_its_exit_code(tmp_path):
    pyproject = tiny_project(tmp_path)

    with Harness.from_pyproject(pyproject) as h:
        app = h.app
        pid = app.pid
        report = app.stop()
        assert app.stop() is report  # stopping twice is harmless
        assert_gone(pid)

    assert not report.forced
    assert report.exit_code in (-signal.SIGTERM, 0)
    assert not report.survivors


def test_a_stopped_app_gets_exactly_one_sigterm(tmp_path):
    app_file = APPS / "term_counting_app.py"
    pyproject = (
        write_project(
            tmp_path, f'[tool.harness]\ncommand = ["{sys.executable}", "{app_file}"]\nhealth = "/"\n'
        )
        / "pyproject.toml"
    )

    with Harness.from_pyproject(pyproject) as h:
        log_path = h.app.log_path

    mark, *written_by_the_app = log_path.read_text().splitlines()
    assert mark.startswith("# harness run ")
    assert written_by_the_app == ["SIGTERM #1"]


def test_group_member_whose_parent_died_is_stopped_after_the_app_exited_on_its_own():
    # The subshell starts the sleeper and exits, and so does the app: the sleeper is no descendant
    # any more and carries no marker, but it is still in the app's process group.
    process = subprocess.Popen(
        ["sh", "-c", "(sleep 3600 & echo $!)"], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None
    sleeper = int(process.stdout.readline())
    sleeper_handle = psutil.Process(sleeper)  # psutil's kill refuses a pid reused by someone else
    process.wait()
    process.stdout.close()
    try:
        assert alive(sleeper)
        assert os.getpgid(sleeper) == process.pid

        report = stop_process_tree(process, None, grace=5)

        assert not report.survivors
        assert_gone(sleeper)
    finally:
        with contextlib.suppress(psutil.Error):
            sleeper_handle.kill()
