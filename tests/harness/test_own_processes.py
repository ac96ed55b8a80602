"""Own processes only: every marker sweep signals processes of the runner's own real uid, even as root.

Root can read every process's environment, so a process of another user that carries a run's exact
marker (by accident, or planted) would match. Each test starts such a process -- uid 65534, the
exact marker -- next to a process of our own uid with the same marker (the control: it proves the
sweep ran and matched), runs one of the three sweeps that signal by marker (the next run's stale-run
sweep, teardown's sweep, the watchdog's), and proves the foreign process alive and untouched and the
control killed. Skipped, saying why, where such a process cannot be created (not root, setuid
refused). Every process started here is killed and proven gone in the fixture's cleanup.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from harness.appenv.app_env import APP_MARKER_VARIABLE, MARKER_VARIABLE
from harness.process import procscan
from harness.process.teardown import processes_with_marker, stop_process_tree
from harness.run import records
from harness.run.guard import Watchdog
from tests.support.polling import DEADLINE, wait_for
from tests.support.processes import LEAK_TOKEN_VARIABLE, still_running

pytestmark = pytest.mark.skipif(not procscan.LINUX, reason="the marker sweeps read /proc (Linux)")

#: The other user: ``nobody`` on most systems; a numeric uid needs no entry in the user database.
FOREIGN_UID = 65534
SLEEP = shutil.which("sleep") or "/bin/sleep"

Start = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start() -> Iterator[Start]:
    """``start(variable, value, foreign=False)``: a ``sleep`` in a session of its own with exactly
    ``variable=value`` in its environment, as uid 65534 if ``foreign``. All are SIGKILLed and
    proven gone afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def _start(variable: str, value: str, *, foreign: bool = False) -> subprocess.Popen[bytes]:
        env = {"PATH": os.environ["PATH"], variable: value}
        env[LEAK_TOKEN_VARIABLE] = os.environ[LEAK_TOKEN_VARIABLE]  # what the leak check looks for
        options: dict[str, object] = {}
        if foreign:
            if os.geteuid() != 0:
                pytest.skip(f"starting a process of another uid needs root; this runs as uid {os.geteuid()}")
            options = {"user": FOREIGN_UID, "group": FOREIGN_UID, "extra_groups": []}
        try:
            process = subprocess.Popen(
                [SLEEP, "3600"],
                env=env,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                **options,
            )
        except (OSError, subprocess.SubprocessError) as error:
            if not foreign:
                raise
            pytest.skip(f"cannot start a process as uid {FOREIGN_UID} (setuid refused?): {error}")
        started.append(process)
        # Popen returns once the exec has begun (its error pipe closed), which can be before the
        # kernel has set up the new image's environment: /proc/<pid>/environ reads empty until then,
        # and a sweep at that moment would not see the marker (seen under a loaded machine).
        wanted = f"{variable}={value}".encode()
        wait_for(lambda: wanted in _environ(process.pid), f"the environment of pid {process.pid}")
        return process

    try:
        yield _start
    finally:
        handles = []
        for process in started:
            with contextlib.suppress(psutil.Error):
                handles.append(psutil.Process(process.pid))
            with contextlib.suppress(ProcessLookupError):
                process.kill()  # root may; what this test started, by its own handle
            process.wait(DEADLINE)
        assert still_running(handles, timeout=DEADLINE) == []


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _foreign_with_marker(start: Start, variable: str, marker: str) -> tuple[subprocess.Popen[bytes], float]:
    """A uid-65534 process with exactly ``variable=marker``, checked to be what a sweep would
    match but for its uid; with its start time (to tell it from a recycled pid later)."""
    foreign = start(variable, marker, foreign=True)
    handle = psutil.Process(foreign.pid)
    assert handle.uids().real == FOREIGN_UID
    assert procscan.real_uid(foreign.pid) == FOREIGN_UID
    assert os.getuid() != FOREIGN_UID
    environ = Path(f"/proc/{foreign.pid}/environ").read_bytes()  # root reads it: it could match
    assert f"{variable}={marker}".encode() in environ.split(b"\0")
    return foreign, handle.create_time()


def _untouched(process: subprocess.Popen[bytes], created: float) -> bool:
    """Still running -- not killed, not stopped, and not a zombie -- and the very same process."""
    if process.poll() is not None:  # our own child, unreaped until here: its pid cannot be reused
        return False
    handle = psutil.Process(process.pid)
    return handle.create_time() == created and handle.status() in (
        psutil.STATUS_SLEEPING,
        psutil.STATUS_RUNNING,
    )


def _gone(process: subprocess.Popen[bytes]) -> bool:
    """Whether our child ``process`` died (reaped here, so a zombie counts as gone)."""
    try:
        process.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_procscan_matches_the_marker_only_in_processes_of_its_own_uid(start):
    value = uuid.uuid4().hex
    foreign, created = _foreign_with_marker(start, "OWN_UID_TEST", value)
    own = start("OWN_UID_TEST", value)

    assert procscan.pids_with_variable("OWN_UID_TEST", value) == {own.pid}
    assert procscan.real_uid(own.pid) == os.getuid()
    assert _untouched(foreign, created)


def test_the_stale_run_sweep_leaves_another_users_process_with_the_dead_runs_marker_alone(tmp_path, start):
    dead = subprocess.Popen(["true"])
    dead.wait()  # the dead run's runner: its pid is free, and its start time could never match
    marker = f"harness-{dead.pid}-{uuid.uuid4().hex}"
    record = tmp_path / ".harness" / "runs" / f"{marker}.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"marker": marker, "pid": dead.pid, "started": 0.0}))
    foreign, created = _foreign_with_marker(start, MARKER_VARIABLE, marker)
    own = start(MARKER_VARIABLE, marker)

    killed = records.sweep_stale_runs(tmp_path / ".harness")

    assert killed == [f"pid {own.pid} (run {marker})"]
    assert _gone(own)
    assert _untouched(foreign, created)
    assert not record.exists()  # the dead run was swept all the same


def test_teardowns_marker_sweep_leaves_another_users_process_with_the_apps_marker_alone(start):
    app_marker = uuid.uuid4().hex
    app = start(APP_MARKER_VARIABLE, app_marker)  # the "app": its own session and group
    foreign, created = _foreign_with_marker(start, APP_MARKER_VARIABLE, app_marker)
    daemon = start(APP_MARKER_VARIABLE, app_marker)  # neither in the app's group nor its descendant

    assert processes_with_marker(app_marker, APP_MARKER_VARIABLE) == {app.pid, daemon.pid}
    report = stop_process_tree(app, app_marker, grace=DEADLINE)

    assert report.survivors == []
    assert app.poll() is not None
    assert _gone(daemon)  # found by the marker alone, the proof that the sweep ran
    assert _untouched(foreign, created)


def test_the_watchdogs_sweep_leaves_another_users_process_with_the_runs_marker_alone(start):
    marker = f"harness-test-{uuid.uuid4().hex}"
    guard = Watchdog(marker)
    guard.start()
    assert guard.pid is not None
    watchdog = psutil.Process(guard.pid)
    foreign, created = _foreign_with_marker(start, MARKER_VARIABLE, marker)
    own = start(MARKER_VARIABLE, marker)

    guard.close(clean=False)  # as if the runner had died: the watchdog sweeps by the run's marker

    assert still_running([watchdog], timeout=0) == []  # close() waited for it
    assert _gone(own)
    assert _untouched(foreign, created)


# -- a group id handed to a stranger --------------------------------------------------------------
#
# An app that ended long ago (crashed, reaped) left its number free; the kernel may give it to any
# new process, which, started in a session of its own, leads a group with that very id. Signalling
# "the app's group" then would hit a stranger. The kernel cannot be made to hand out a given pid, so
# these tests give a reaped app's handle the pid of a live stranger: exactly the state after reuse.


def test_teardown_never_signals_a_group_whose_number_went_to_a_stranger(start):
    stranger = start("UNRELATED", uuid.uuid4().hex)  # its own session: leads group == its pid
    created = psutil.Process(stranger.pid).create_time()
    app = subprocess.Popen(["true"], start_new_session=True)
    app.wait()  # the app ended and was reaped: its number is free
    app.pid = stranger.pid  # ... and went to the stranger

    report = stop_process_tree(app, uuid.uuid4().hex, grace=DEADLINE)

    assert report.survivors == []  # the stranger's group is not the app's: nothing to report
    assert _untouched(stranger, created)


def test_the_watchdog_never_signals_a_group_whose_number_went_to_a_stranger(start):
    marker = f"harness-test-{uuid.uuid4().hex}"
    stranger = start("UNRELATED", uuid.uuid4().hex)
    created = psutil.Process(stranger.pid).create_time()
    own_group = start(MARKER_VARIABLE, marker)  # a live app of the run: its group is the run's
    guard = Watchdog(marker)
    guard.watch(stranger.pid)  # registered when it was the app's; the number is a stranger's now
    guard.watch(own_group.pid)

    guard.close(clean=False)

    assert _gone(own_group)
    assert _untouched(stranger, created)
    assert procscan.group_still_ours(own_group.pid, MARKER_VARIABLE, marker)  # gone: no stranger there
    assert not procscan.group_still_ours(stranger.pid, MARKER_VARIABLE, marker)
