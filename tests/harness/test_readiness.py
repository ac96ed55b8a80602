"""Readiness through the Python API: a slow app is waited for; a failing one is reported at once."""

from __future__ import annotations

import time

import pytest

from harness import Harness
from harness.errors import AppExitedError, AppStartTimeoutError
from harness.process import readiness
from tests.support.apps import TINY_APP, http_get, tiny_pids
from tests.support.processes import assert_gone
from tests.support.projects import tiny_project

#: Generous startup timeout for cases that must fail *before* it runs out.
GENEROUS = 20


def test_slow_app_is_waited_for_and_its_output_lands_in_its_log(tmp_path):
    pyproject = tiny_project(tmp_path, app={"startup_timeout": GENEROUS}, env={"TINY_START_DELAY": 0.5})

    with Harness.from_pyproject(pyproject) as h:
        app = h.app
        assert app.startup_seconds >= 0.5  # it really waited for the sleeping app
        assert http_get(app.url_for("/health")) == (200, "ok")
        pid = app.pid
        log = app.log_path.read_text()

    assert app.log_path == tmp_path / ".harness" / "logs" / "default.log"
    assert f"tiny_app pid={pid} starting" in log
    assert f"tiny_app listening on {app.port}" in log
    assert_gone(pid)


@pytest.mark.parametrize("code", [0, 1])
def test_app_exiting_before_ready_fails_at_once_with_code_command_and_log(tmp_path, code):
    pyproject = tiny_project(tmp_path, app={"startup_timeout": GENEROUS}, env={"TINY_EXIT_CODE": code})
    harness = Harness.from_pyproject(pyproject)

    started = time.monotonic()
    with pytest.raises(AppExitedError) as raised:
        harness.start()
    took = time.monotonic() - started
    harness.stop()

    message = str(raised.value)
    assert took < GENEROUS / 2, f"noticed the exit only after {took:.1f} s"
    assert f"exit code {code}" in message
    assert str(TINY_APP) in message  # the command
    assert f"tiny_app exiting with {code} on purpose" in message  # the log tail
    log = (tmp_path / ".harness" / "logs" / "default.log").read_text()
    assert f"tiny_app exiting with {code} on purpose" in log
    [pid] = tiny_pids(message)
    assert_gone(pid)


def test_app_never_ready_times_out_naming_timeout_last_status_and_log(tmp_path):
    pyproject = tiny_project(tmp_path, app={"startup_timeout": 1}, env={"TINY_HEALTH_STATUS": 503})

    with pytest.raises(AppStartTimeoutError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("the app must not be reported ready")

    message = str(raised.value)
    assert "within 1 s" in message
    assert "status 503" in message
    assert "startup_timeout" in message  # how to give a slow app more time
    assert "tiny_app GET /health -> 503" in message  # the log tail
    [pid] = tiny_pids(message)
    assert_gone(pid)


def test_health_path_answering_404_is_reported_well_before_the_timeout(tmp_path):
    pyproject = tiny_project(tmp_path, app={"startup_timeout": GENEROUS}, env={"TINY_HEALTH_STATUS": 404})

    started = time.monotonic()
    with pytest.raises(AppStartTimeoutError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("the app must not be reported ready")
    took = time.monotonic() - started

    message = str(raised.value)
    assert took < GENEROUS / 2, f"reported the 404 only after {took:.1f} s"
    assert "404" in message
    assert "/health" in message
    assert "`health`" in message  # names the key to fix
    [pid] = tiny_pids(message)
    assert_gone(pid)


def test_refused_probes_start_at_1_ms_and_slow_down_with_the_wait_up_to_5_ms():
    intervals = [readiness.refused_interval(waited) for waited in (0, 0.1, 0.5, 1, 2, 2.5, 30, 3600)]

    assert intervals[0] == readiness.REFUSED_MIN_INTERVAL == 0.001  # a fast app is seen at once
    assert intervals == sorted(intervals)
    assert intervals[-3:] == [readiness.REFUSED_MAX_INTERVAL] * 3 == [0.005] * 3  # the CPU bound
