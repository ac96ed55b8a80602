"""Chaos, part 2: the app misbehaves.

Each test runs pytest in a subprocess on a throwaway project whose app misbehaves on purpose
(ignores SIGTERM, forks grandchildren or a daemon, runs as gunicorn with workers, crashes in the
middle of the suite, floods its log, closes its stdout and stderr, loses the race for its port),
then proves with psutil that ZERO processes of that run survive (every pid the app's processes and
the inner tests recorded, plus a scan for the test's LEAKCHECK_TOKEN) and checks the report and
the app's log.
"""

from __future__ import annotations

import os
import re

import pytest

from harness.orchestrator import PORT_ATTEMPTS
from tests.support.chaos import SIGTERM_LINE, app_scenarios, crash_scenario, run_suite
from tests.support.processes import LEAK_TOKEN_VARIABLE

MB = 1024 * 1024


def _token() -> str:
    return os.environ[LEAK_TOKEN_VARIABLE]


def _run(name, tmp_path):
    outcome = app_scenarios()[name](tmp_path, _token())
    assert outcome.survivors == [], outcome.output
    return outcome


def _outcomes(output: str) -> dict[str, str]:
    return dict(re.findall(r"^test_chaos\.py::(\w+) (PASSED|FAILED|ERROR)", output, re.MULTILINE))


def test_app_ignoring_sigterm_is_killed_after_shutdown_timeout(tmp_path):
    outcome = _run("app ignores SIGTERM", tmp_path)

    assert outcome.returncode == 0, outcome.output  # the inner test checked the forced stop report
    assert len(outcome.pids["child"]) == 2  # its children ignore SIGTERM too
    assert "ignoring SIGTERM" in outcome.log()
    assert 0.5 <= outcome.cleanup_seconds < 5  # the grace period, then SIGKILL


def test_shell_wrapper_app_and_grandchild_are_all_stopped(tmp_path):
    outcome = _run("shell wrapper + grandchild", tmp_path)

    assert outcome.returncode == 0, outcome.output
    assert len(outcome.pids["seen"]) == 3  # sh -> chaos app -> its child
    [app_pid] = outcome.pids["app"]
    assert outcome.last_log_line() == f"chaos_app pid={app_pid} {SIGTERM_LINE}"


def test_gunicorn_master_and_workers_are_all_stopped(tmp_path):
    outcome = _run("gunicorn -w 2", tmp_path)

    assert outcome.returncode == 0, outcome.output  # the inner test saw both workers answer
    assert len(outcome.pids["worker"]) == 2
    assert len(outcome.pids["seen"] | outcome.pids["worker"]) == 3  # the master and its two workers
    assert "Shutting down: Master" in outcome.last_log_line()  # a graceful stop, logged to the end


def test_double_forked_daemon_outside_the_group_is_found_by_its_marker(tmp_path):
    outcome = _run("double-forked daemon", tmp_path)

    assert outcome.returncode == 0, outcome.output  # the inner test saw it in a session of its own
    assert len(outcome.pids["daemon"]) == 1


def test_crash_fails_that_test_with_exit_code_and_log_tail_then_the_app_restarts(tmp_path):
    outcome = crash_scenario(tmp_path, _token(), "restart")

    assert outcome.survivors == [], outcome.output
    assert _outcomes(outcome.output) == {
        "test_1_before": "PASSED",
        "test_2_crashes": "FAILED",
        "test_3_after": "PASSED",  # a new app; the dead one's child was gone before it started
        "test_4_after": "PASSED",
        "test_5_other_profile": "PASSED",
    }, outcome.output
    # The default profile's first app died (its pid among the run's apps: the other profile's app,
    # started ahead, may have a lower pid) ...
    died = re.search(r"profile 'default', pid (\d+)\) died during this test: exit code 3", outcome.output)
    assert died, outcome.output
    first_app = int(died[1])
    assert first_app in outcome.pids["app"]
    # ... and its last log line, in the failing test's report.
    assert f"    | chaos_app pid={first_app} crashing with exit code 3" in outcome.output
    assert "starts again" in outcome.log()  # the restart's output follows in the same log


def test_crash_with_on_crash_fail_names_the_test_it_died_in(tmp_path):
    outcome = crash_scenario(tmp_path, _token(), "fail")

    assert outcome.survivors == [], outcome.output
    assert _outcomes(outcome.output) == {
        "test_1_before": "PASSED",
        "test_2_crashes": "FAILED",
        "test_3_after": "ERROR",
        "test_4_after": "ERROR",
        "test_5_other_profile": "PASSED",  # another profile's app is not affected
    }, outcome.output
    died = 'it died during test_chaos.py::test_2_crashes (on_crash = "fail")'
    # Once for each later test of that profile. Counted above pytest's short summary, which repeats
    # whole messages when the CI variable is set (pytest does not truncate them there).
    errors = outcome.output.split("short test summary info")[0]
    assert errors.count(died) == 2
    assert "exit code 3" in outcome.output
    assert "starts again" not in outcome.log()


def test_megabytes_of_logs_never_stall_the_app_and_all_reach_the_log(tmp_path):
    outcome = _run("20 MB of logs per request", tmp_path)

    assert outcome.returncode == 0, outcome.output[-3000:]
    # 20 MB at start and before each of 3 answers, every byte in the log, answered promptly.
    assert (outcome.project / ".harness" / "logs" / "default.log").stat().st_size >= 80 * MB
    slowest = float((outcome.chaos_dir / "took").read_text())
    assert slowest < 5, slowest
    [app_pid] = outcome.pids["app"]
    assert outcome.last_log_line() == f"chaos_app pid={app_pid} {SIGTERM_LINE}"


def test_app_closing_stdout_and_stderr_still_serves_and_stops_cleanly(tmp_path):
    outcome = _run("app closes stdout/stderr", tmp_path)

    assert outcome.returncode == 0, outcome.output  # served 3 requests; stopped by SIGTERM, not forced
    [app_pid] = outcome.pids["app"]
    assert outcome.last_log_line() == f"chaos_app pid={app_pid} closing stdout and stderr"


def test_app_losing_the_race_for_its_port_is_started_again_on_another(tmp_path):
    outcome = _run("port taken twice, then free", tmp_path)

    assert outcome.returncode == 0, outcome.output
    assert len(outcome.pids["app"]) == 3  # two starts died "address already in use", the third serves
    log = outcome.log()
    assert log.count("Address already in use") == 2
    assert log.count("starts again") == 2  # each attempt's output kept in the one log


def test_port_retries_are_bounded(tmp_path):
    outcome = run_suite(
        "port always taken", tmp_path, _token(), "port_exhausted", env={"CHAOS_PORT_TAKEN": 99}
    )

    assert outcome.survivors == [], outcome.output
    assert outcome.returncode == pytest.ExitCode.TESTS_FAILED, outcome.output
    assert len((outcome.chaos_dir / "starts").read_text().split()) == PORT_ATTEMPTS
    assert "exited before it was ready: exit code 1" in outcome.output
    assert "OSError: [Errno 98] Address already in use" in outcome.output  # the log tail in the report
