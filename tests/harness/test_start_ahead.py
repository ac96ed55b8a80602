"""Apps start ahead of the tests that need them, in parallel (``start_ahead``), and every rule of a
start still holds: a failure is its own profile's, the watchdog and teardown cover them, a run that
stops while one is starting stops it too."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from harness import Harness
from harness.errors import AppExitedError
from tests.support.polling import DEADLINE, wait_for
from tests.support.processes import project_processes, still_running
from tests.support.projects import project_files, run_pytest, tiny_project

PROFILES = """
[tool.harness.profiles.one]
env = { WHO = "one" }

[tool.harness.profiles.two]
env = { WHO = "two" }

[tool.harness.profiles.three]
env = { WHO = "three" }
"""


def run_apps(marker: str) -> list[psutil.Process]:
    """The live app processes of the run ``marker``."""
    found = []
    for process in psutil.process_iter(["status"]):
        try:
            environ = process.environ()
        except psutil.Error:
            continue
        if environ.get("HARNESS_RUN_MARKER") == marker and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def test_apps_start_in_the_background_all_at_once(tmp_path: Path) -> None:
    """Three slow starters (1 s each) all start before any is asked for: started ahead, side by side."""
    pyproject = tiny_project(tmp_path, env={"TINY_START_DELAY": 1}, extra=PROFILES)
    started = time.time()

    harness = Harness.from_pyproject(pyproject)  # not `with`: that would start the default app
    try:
        harness.start_ahead(["one", "two", "three"])
        # All three processes exist while none has been asked for (no app_for yet).
        wait_for(lambda: len(run_apps(harness.marker)) == 3, "three apps started ahead")
        apps = [harness.app_for(name) for name in ("one", "two", "three")]
        assert [app.profile for app in apps] == ["one", "two", "three"]
        assert all(app.is_alive() for app in apps)
        assert harness.app_for("two") is apps[1]  # the app started ahead is the profile's app
        handles = [psutil.Process(app.pid) for app in apps]
    finally:
        harness.stop()
    assert still_running(handles) == []
    assert not project_processes(tmp_path, started)


def autogroup_nice(process: psutil.Process) -> int | None:
    """The niceness of the process's autogroup (its session's share of the CPU), None if the
    kernel has none."""
    try:
        return int(Path(f"/proc/{process.pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def test_apps_beside_the_first_start_at_a_lower_cpu_priority(tmp_path: Path) -> None:
    """The first app starts at normal priority (its tests come first); the others start beside it at
    niceness 10, their session's autogroup too (Linux shares the CPU between sessions first), and
    are back at 0 once ready where the system allows it (root here)."""
    pyproject = tiny_project(tmp_path, env={"TINY_START_DELAY": 2}, extra=PROFILES)
    started = time.time()
    harness = Harness.from_pyproject(pyproject)
    try:
        harness.start_ahead(["one", "two"])
        wait_for(lambda: len(run_apps(harness.marker)) == 2, "two apps starting ahead")
        starting = {process.environ()["WHO"]: process for process in run_apps(harness.marker)}
        assert starting["one"].nice() == 0
        assert starting["two"].nice() == 10
        if autogroup_nice(starting["two"]) is not None:
            assert autogroup_nice(starting["one"]) == 0
            assert autogroup_nice(starting["two"]) == 10

        ready = psutil.Process(harness.app_for("two").pid)
        if os.geteuid() == 0:  # lowering a niceness needs the privilege
            assert ready.nice() == 0
            assert autogroup_nice(ready) in (0, None)
        else:
            assert ready.nice() == 10
        handles = list(starting.values())
    finally:
        harness.stop()
    assert still_running(handles) == []
    assert not project_processes(tmp_path, started)


def test_start_ahead_0_starts_each_app_only_when_asked_for(tmp_path: Path) -> None:
    pyproject = tiny_project(tmp_path, app={"start_ahead": 0}, extra=PROFILES)

    harness = Harness.from_pyproject(pyproject)
    try:
        harness.start_ahead(["one", "two", "three"])
        assert run_apps(harness.marker) == []
        harness.app_for("two")
        assert len(run_apps(harness.marker)) == 1
    finally:
        harness.stop()


def test_a_failed_start_ahead_is_its_own_profile_s_failure_with_its_log(tmp_path: Path) -> None:
    extra = PROFILES.replace('env = { WHO = "two" }', 'env = { WHO = "two", TINY_EXIT_CODE = 3 }')
    pyproject = tiny_project(tmp_path, extra=extra)
    started = time.time()

    with Harness.from_pyproject(pyproject) as harness:
        harness.start_ahead(["one", "two", "three"])
        assert harness.app_for("one").is_alive()
        with pytest.raises(AppExitedError) as failed:
            harness.app_for("two")
        assert "exit code 3" in str(failed.value)
        assert "tiny_app exiting with 3 on purpose" in str(failed.value)  # its log, in its error
        assert harness.app_for("three").is_alive()
        with pytest.raises(AppExitedError, match="already failed to start earlier in this run"):
            harness.app_for("two")  # not started again
    assert not project_processes(tmp_path, started)


def test_a_run_that_stops_while_an_app_starts_ahead_stops_it_at_once(tmp_path: Path) -> None:
    pyproject = tiny_project(
        tmp_path, app={"startup_timeout": 120}, env={"TINY_START_DELAY": 60}, extra=PROFILES
    )
    started = time.time()
    harness = Harness.from_pyproject(pyproject)
    harness.start_ahead(["one", "two"])
    wait_for(lambda: len(run_apps(harness.marker)) == 2, "two apps starting ahead")
    handles = run_apps(harness.marker)

    asked = time.monotonic()
    harness.stop()

    assert time.monotonic() - asked < DEADLINE  # not the 60 s start, nor the 120 s timeout
    assert still_running(handles) == []
    assert not project_processes(tmp_path, started)


def profile_test(profile: str) -> str:
    """A test module with one test that needs the app of ``profile``."""
    mark = f"@pytest.mark.harness_profile({profile!r})"
    return f"import pytest\n\n\n{mark}\ndef test_{profile}(harness_app):\n    pass\n"


def test_the_plugin_starts_the_selected_profiles_apps_ahead_in_order(tmp_path: Path) -> None:
    files = {
        **project_files("start_ahead/test_a.py"),
        **{f"test_{name}.py": profile_test(name) for name in ("two", "three", "unused")},
    }
    extra = PROFILES + '\n[tool.harness.profiles.unused]\nenv = { WHO = "unused" }\n'
    tiny_project(tmp_path, env={"TINY_START_DELAY": 0.5}, extra=extra, files=files)
    started = time.time()

    result = run_pytest(tmp_path, "-p", "no:flask", "test_a.py", "test_two.py", "test_three.py", timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    assert not project_processes(tmp_path, started)
    logs = sorted(path.name for path in (tmp_path / ".harness" / "logs").glob("*.log"))
    assert logs == [
        "one.log",
        "three.log",
        "two.log",
    ]  # not the default's (only harness_services), nor 'unused'


def test_an_xdist_worker_starts_ahead_the_apps_of_the_tests_it_was_handed(tmp_path: Path) -> None:
    """Under xdist the controller's order is no guide (a worker runs only some tests): a worker starts
    ahead the apps of the tests it has been handed. With loadgroup xdist hands a worker two groups
    at first (profile one's two tests, then two's), so test_one sees two's app started before any
    test of two ran; three's and 'unused''s are not (three's group comes later, 'unused' is not
    selected), and three's app still starts for its test."""
    files = {
        **project_files("start_ahead/test_a.py"),
        "expected_ahead.txt": "one two\n",
        **{f"test_{name}.py": profile_test(name) for name in ("two", "three", "unused")},
    }
    extra = PROFILES + '\n[tool.harness.profiles.unused]\nenv = { WHO = "unused" }\n'
    tiny_project(tmp_path, env={"TINY_START_DELAY": 0.5}, extra=extra, files=files)
    started = time.time()

    result = run_pytest(
        tmp_path,
        *("-p", "no:flask", "-n", "1", "--dist", "loadgroup"),
        *("test_a.py", "test_two.py", "test_three.py"),
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    assert not project_processes(tmp_path, started)
    logs = sorted(path.name for path in (tmp_path / ".harness" / "logs").glob("*.log"))
    assert logs == ["one.gw0.log", "three.gw0.log", "two.gw0.log"], logs
