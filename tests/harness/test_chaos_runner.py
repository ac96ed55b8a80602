"""Chaos, part 1: the runner dies.

pytest runs in a subprocess against the chaos app (which has a child in its process group and a
double-forked daemon outside it) and is sent SIGINT, SIGTERM or SIGKILL at a chosen moment: while
its app starts (a slow starter), while a test runs, while the app stops (a slow stopper). Each
test then proves with psutil that ZERO processes of that run survive -- pids recorded before the
signal plus a scan of every process for the test's own LEAKCHECK_TOKEN, which the runner, its
watchdog and everything the app started inherit -- polled against a deadline far shorter than the
app's own slowness (60 s), and that the app's last log line was not lost. After a SIGKILL, the
run's files that were on disk at the kill (TLS bundle, trust store, env file) must be gone too,
removed by the watchdog.

What pytest reports on Ctrl-C (checked here, not assumed): the "KeyboardInterrupt" banner with the
file and line that was running; no test report, so no harness log section. The app's last words
(written while harness tears it down, after that banner) are in its log file, which is what is
asserted for the interrupted runs.
"""

from __future__ import annotations

import os
import re
import signal

import pytest

from harness.run.tls import BUNDLE_SUFFIX, TRUSTSTORE_SUFFIX, _can_write_truststore
from tests.support.chaos import MOMENTS, SESSION_TEARDOWN, SIGTERM_LINE, runner_signal, stale_run_sweep
from tests.support.processes import LEAK_TOKEN_VARIABLE

#: Far below the app's own 60 s of slowness: only harness's reaction makes the processes go in time.
PROMPT = 10.0

#: The app's last log line when the runner is signalled, by moment: when harness tears it down it
#: logs its SIGTERM; the slow stopper logs that it is stopping slowly and is then cut short.
LAST_LINE_AFTER_TEARDOWN = {
    "startup": SIGTERM_LINE,
    "test": SIGTERM_LINE,
    "teardown": "got SIGTERM, stopping slowly (60 s)",
}
#: ... and when the runner is SIGKILLed, what the app had written before the watchdog killed it.
LAST_LINE_BEFORE_SIGKILL = {
    "startup": "sleeping 60 s before listening",
    "test": "serving on port",
    "teardown": "got SIGTERM, stopping slowly (60 s)",
}


def _token() -> str:
    return os.environ[LEAK_TOKEN_VARIABLE]  # set by the autouse leak check, inherited by the runner


def _app_pid(outcome) -> int:
    [pid] = outcome.pids["app"]
    return pid


def _runs_left(outcome) -> list[str]:
    runs = outcome.project / ".harness" / "runs"
    return sorted(path.name for path in runs.glob("*.json")) if runs.is_dir() else []


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_runner_tears_everything_down(tmp_path, signum, moment):
    outcome = runner_signal(tmp_path, _token(), signum, moment)

    assert outcome.survivors == [], outcome.output
    assert outcome.cleanup_seconds < PROMPT
    assert set(outcome.pids) >= {"app", "child", "daemon"}  # the whole family existed at the signal
    assert outcome.returncode == pytest.ExitCode.INTERRUPTED, outcome.output
    banner = "KeyboardInterrupt: received SIGTERM" if signum == signal.SIGTERM else "KeyboardInterrupt"
    assert re.search(rf"^!+ {banner} !+$", outcome.output, re.MULTILINE), outcome.output
    if moment == "test" and signum == signal.SIGINT:  # (for SIGTERM: the plugin's handler's line)
        assert re.search(r"^/\S+/test_chaos.py:\d+: KeyboardInterrupt$", outcome.output, re.MULTILINE)
    # The app's last line, written during teardown after pytest printed its report, is in its log.
    assert outcome.last_log_line() == f"chaos_app pid={_app_pid(outcome)} {LAST_LINE_AFTER_TEARDOWN[moment]}"
    assert not (outcome.project / "env" / "harness.env").exists()  # the env file went too
    assert _runs_left(outcome) == []  # a clean teardown unregisters the run


@pytest.mark.parametrize("moment", MOMENTS)
def test_killed_runner_is_cleaned_up_by_the_watchdog(tmp_path, moment):
    outcome = runner_signal(tmp_path, _token(), signal.SIGKILL, moment)

    assert outcome.survivors == [], outcome.output
    assert outcome.cleanup_seconds < PROMPT
    assert set(outcome.pids) >= {"app", "child", "daemon"}
    assert outcome.returncode == -signal.SIGKILL
    assert outcome.last_log_line().startswith(
        f"chaos_app pid={_app_pid(outcome)} {LAST_LINE_BEFORE_SIGKILL[moment]}"
    )
    # Nothing unregistered the run: its record stays for the next run's sweep (which finds nothing).
    assert len(_runs_left(outcome)) == 1


@pytest.mark.parametrize("moment", MOMENTS)
def test_killed_runners_watchdog_removes_the_tls_bundle_and_trust_store(tmp_path, moment):
    outcome = runner_signal(tmp_path, _token(), signal.SIGKILL, moment, tls=True)

    assert outcome.survivors == [], outcome.output
    assert outcome.returncode == -signal.SIGKILL
    files = outcome.details["run_files"]["tls"]
    # The run's CA bundle and its JVM twin were on disk when the runner was SIGKILLed ...
    suffixes = {BUNDLE_SUFFIX, TRUSTSTORE_SUFFIX} if _can_write_truststore() else {BUNDLE_SUFFIX}
    assert sorted(path.name[path.name.rindex("-ca.") :] for path in files) == sorted(suffixes), files
    # ... and its watchdog removed them with the processes (not left for a later run's sweep). No
    # survivors means the watchdog too has exited (it carries the token): its work is done.
    assert [path for path in files if path.exists()] == []
    assert list((outcome.project / ".harness" / "tls").iterdir()) == []


def test_killed_runners_watchdog_removes_the_env_file(tmp_path):
    """The env file holds the app's secrets: the run tells its watchdog of every env file it writes
    (harness.files.run_files), and the watchdog removes it when the runner is SIGKILLed."""
    outcome = runner_signal(tmp_path, _token(), signal.SIGKILL, "test")

    assert outcome.survivors == [], outcome.output
    assert outcome.returncode == -signal.SIGKILL
    [env_file] = outcome.details["run_files"]["env"]  # it was on disk at the SIGKILL
    assert env_file.is_relative_to(outcome.project), env_file
    # Removed by the watchdog, which has exited by now (see above).
    assert not env_file.exists(), f"the env file {env_file} outlived the SIGKILLed runner's watchdog"


def test_ctrl_c_while_the_first_of_two_apps_stops_still_kills_the_second(tmp_path):
    # Both apps live until the session ends; the interruption lands while the first one stops, so
    # harness never gets to stop the second one in order.
    outcome = runner_signal(tmp_path, _token(), signal.SIGINT, SESSION_TEARDOWN)

    assert outcome.survivors == [], outcome.output
    assert outcome.cleanup_seconds < PROMPT
    assert len(outcome.pids["app"]) == len(outcome.pids["daemon"]) == 2
    assert outcome.returncode == pytest.ExitCode.INTERRUPTED, outcome.output
    assert "1 passed" in outcome.output


def test_next_run_sweeps_a_dead_runs_leftovers_but_never_a_live_run(tmp_path):
    outcome = stale_run_sweep(tmp_path, _token())

    details = outcome.details
    # Run A's runner and watchdog were SIGKILLed: its app, child and daemon were left behind ...
    assert details["a_left_before_sweep"] == 3
    assert details["a_record_before"]
    # ... until the next run's start_services() swept them (by A's exact marker) and A's record.
    assert outcome.cleanup_seconds < PROMPT
    assert not details["a_record_after"]
    # Run B, alive all along in the same project, kept its app, child and daemon, and its record.
    assert details["b_processes"] == 3
    assert details["b_alive"]
    assert details["b_answers"]
    assert details["b_record"]
    assert details["b_returncode"] == 0
    # And once B stopped, nothing of the three runs was left.
    assert outcome.survivors == []
