"""Bad input: each mistake a user makes is one clear error that says what to fix."""

from __future__ import annotations

import socket
import sys
import time

import pytest

from harness import Harness
from harness.errors import AppExitedError, CommandNotFoundError, ConfigError, PortInUseError
from tests.support.apps import TINY_APP, tiny_pids
from tests.support.processes import assert_gone
from tests.support.projects import run_pytest, tiny_project, write_project

# An app whose health path answers 404: see test_readiness.py
# (test_health_path_answering_404_is_reported_well_before_the_timeout).


def test_command_not_on_path(tmp_path):
    pyproject = tiny_project(tmp_path, command='["no-such-app-xyz", "--serve"]')

    with pytest.raises(CommandNotFoundError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("must not start")

    message = str(raised.value)
    assert "'no-such-app-xyz'" in message
    assert "not found on PATH" in message
    assert "fix:" in message


def test_relative_command_path_that_does_not_exist(tmp_path):
    pyproject = tiny_project(tmp_path, command='["./bin/serve", "--port", "{port}"]')

    with pytest.raises(CommandNotFoundError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("must not start")

    message = str(raised.value)
    assert "'./bin/serve'" in message
    assert "does not exist" in message
    assert str(tmp_path / "bin" / "serve") in message  # where it looked: relative to cwd
    assert "fix:" in message


def test_command_file_that_is_not_executable(tmp_path):
    pyproject = tiny_project(
        tmp_path, command='["./serve.sh"]', files={"serve.sh": "#!/bin/sh\nexec sleep 3600\n"}
    )

    with pytest.raises(CommandNotFoundError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("must not start")

    assert "is not executable" in str(raised.value)
    assert "fix:" in str(raised.value)


def test_fixed_port_already_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        pyproject = tiny_project(tmp_path, app={"port": port})

        with pytest.raises(PortInUseError) as raised, Harness.from_pyproject(pyproject):
            pytest.fail("must not start")

    message = str(raised.value)
    assert f"port {port}" in message
    assert "already in use" in message
    assert "port = 0" in message
    assert not (tmp_path / ".harness" / "logs" / "default.log").exists()  # nothing was launched


def test_app_exiting_at_once(tmp_path):
    pyproject = tiny_project(tmp_path, app={"startup_timeout": 20}, env={"TINY_EXIT_CODE": 3})

    started = time.monotonic()
    with pytest.raises(AppExitedError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("must not start")

    assert time.monotonic() - started < 10
    assert "exit code 3" in str(raised.value)
    assert_gone(*tiny_pids(str(raised.value)))


def test_config_problems_are_all_reported_together(tmp_path):
    pyproject = tiny_project(tmp_path, app={"startup_timout": 5, "port": "80"})

    with pytest.raises(ConfigError) as raised:
        Harness.from_pyproject(pyproject)

    message = str(raised.value)
    assert str(pyproject) in message
    assert "tool.harness.startup_timout: unknown key (did you mean 'startup_timeout'?)" in message
    assert "tool.harness.port: expected an integer port" in message


def test_unknown_key_stops_pytest_with_one_clear_line(tmp_path):
    project = write_project(
        tmp_path,
        """
        [tool.harness]
        command = ["python", "-m", "http.server"]
        startup_timout = 5
        """,
        {"test_x.py": "def test_x(harness_app):\n    pass\n"},
    )

    result = run_pytest(project, timeout=60)

    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # pytest's usage error
    mentions = [line for line in output.splitlines() if "startup_timout" in line]
    assert len(mentions) == 1, output
    assert str(project / "pyproject.toml") in mentions[0]
    assert "did you mean 'startup_timeout'" in mentions[0]
    assert "Traceback" not in output


def test_a_relative_command_path_is_shown_and_run_resolved_its_link_kept(tmp_path):
    """``../venv/bin/python`` reads as ``<dir>/venv/bin/python`` in every message and argv, and the
    venv's python stays the link it is (resolving it would leave the virtualenv)."""
    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    pyproject = tiny_project(tmp_path / "project", command=f'["../venv/bin/python", "{TINY_APP}"]')

    with Harness.from_pyproject(pyproject) as harness:
        assert harness.app.argv[0] == str(venv_python)

    missing = tiny_project(tmp_path / "other", command='["../nowhere/../bin/serve"]')
    with pytest.raises(CommandNotFoundError) as raised, Harness.from_pyproject(missing):
        pytest.fail("must not start")
    assert f"(looked at {tmp_path / 'bin' / 'serve'})" in str(raised.value)  # as written, then resolved
