"""The Python API: env file, the app's environment, profiles, mocks, and life after stop."""

from __future__ import annotations

import json
import os
import stat
import time

import dotenv
import pytest

from harness import Harness, HarnessError
from tests.support.apps import TINY_APP, app_env, http_get, tiny_app_command, tiny_pids
from tests.support.processes import alive, assert_gone
from tests.support.projects import tiny_project, who_profiles

#: Two profiles that differ only in the WHO their app reports.
LEFT_AND_RIGHT = who_profiles("left", "right")

SERVICE_X = """
[tool.harness.services.x]
env = { X_URL = "{url}", X_PORT = "{port}" }
"""


def test_env_file_holds_the_app_values_privately_and_is_removed_at_teardown(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPPED", "inherited")
    monkeypatch.setenv("EMPTIED", "inherited")
    pyproject = tiny_project(
        tmp_path,
        env={
            "GREETING": "hello # not a comment",
            "DROPPED": False,
            "ALSO_DROPPED": False,
            "EMPTIED": "",
            "JSON": '{"accountName": "x", "endpoint": "{services.x.url}"}',
        },
        extra=SERVICE_X,
    )

    with Harness.from_pyproject(pyproject) as h:
        env_file = h.env_file
        values = dotenv.dotenv_values(env_file)
        json_value = '{"accountName": "x", "endpoint": "' + h.services["x"].url + '"}'
        assert values == {
            "GREETING": "hello # not a comment",
            "EMPTIED": "",
            "JSON": json_value,
            "X_URL": h.services["x"].url,
            "X_PORT": str(h.services["x"].port),
            "PORT": str(h.app.port),
        }
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert env_file == tmp_path / "env" / "harness.env"
        assert app_env(h.app.url, "HARNESS_ENV_FILE") == str(env_file)
        assert app_env(h.app.url, "X_URL") == h.services["x"].url
        assert app_env(h.app.url, "DROPPED") == "<unset>"  # false removes, even an inherited one
        assert app_env(h.app.url, "EMPTIED") == ""  # "" sets the empty string
        assert app_env(h.app.url, "JSON") == json_value

    assert not env_file.exists()


def test_keep_env_keeps_the_env_file(tmp_path):
    pyproject = tiny_project(tmp_path, env={"GREETING": "hi"})

    with Harness.from_pyproject(pyproject, keep_env=True) as h:
        port = h.app.port

    assert dotenv.dotenv_values(h.env_file) == {"GREETING": "hi", "PORT": str(port)}


def test_app_environment_is_built_from_config_not_leaked_from_the_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a proxy that would swallow every call
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nowhere/ca.pem")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    monkeypatch.setenv("SHARED", "from the runner")
    monkeypatch.setenv("REMOVED_BY_PROFILE", "from the runner")
    pyproject = tiny_project(
        tmp_path,
        env={"SHARED": "from the config"},
        extra="""
        [tool.harness.profiles.bare]
        env = { REMOVED_BY_PROFILE = false }
        """,
    )
    runner_env = dict(os.environ)

    with Harness.from_pyproject(pyproject) as h:
        assert dict(os.environ) == runner_env
        url = h.app.url
        # Never the inherited proxy; with the offline guard on (the default), the guard.
        assert h.offline_guard is not None
        assert app_env(url, "HTTP_PROXY") == h.offline_guard.url
        assert app_env(url, "http_proxy") == h.offline_guard.url
        assert app_env(url, "REQUESTS_CA_BUNDLE") == "<unset>"
        no_proxy = app_env(url, "NO_PROXY").split(",")
        assert "127.0.0.1" in no_proxy
        assert "internal.example" in no_proxy  # the runner's own entries are kept
        assert app_env(url, "SHARED") == "from the config"
        assert app_env(url, "REMOVED_BY_PROFILE") == "from the runner"  # inherited by default

        bare = h.app_for("bare")
        assert app_env(bare.url, "REMOVED_BY_PROFILE") == "<unset>"
        assert app_env(bare.url, "SHARED") == "from the config"
        assert dict(os.environ) == runner_env

    assert dict(os.environ) == runner_env


def test_port_placeholder_in_command_without_port_env(tmp_path, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    pyproject = tiny_project(
        tmp_path,
        command=tiny_app_command()[:-1] + ', "{port}"]',
        app={"port_env": False},
    )

    with Harness.from_pyproject(pyproject) as h:
        assert h.app.argv[1:] == [str(TINY_APP), str(h.app.port)]
        assert http_get(h.app.url_for("/health")) == (200, "ok")
        assert app_env(h.app.url, "PORT") == "<unset>"
        assert "PORT" not in dotenv.dotenv_values(h.env_file)


def test_command_placeholders_reach_the_app_as_argv_values(tmp_path):
    """Issue 13: the upstream as a command-line flag, without an ``sh -c`` wrapper."""
    pyproject = tiny_project(
        tmp_path,
        command=tiny_app_command()[:-1]
        + ', "{port}", "--upstream", "{services.x.url}", "--self={app.url}", "{root}", "{{port}}"]',
        app={"port_env": False},
        extra=f"""
        [tool.harness.services.x]

        [tool.harness.profiles.other]
        command = ["python", "{TINY_APP}", "{{app.port}}", "--upstream", "{{services.x.url}}/v2"]
        """,
    )

    with Harness.from_pyproject(pyproject) as h:
        x = h.services["x"]
        x.expect_request("/thing").respond_with_data("reached through --upstream")
        x.expect_request("/v2/thing").respond_with_data("the profile's own upstream")
        expected = [str(h.app.port), "--upstream", x.url, f"--self={h.app.url}", str(tmp_path), "{port}"]
        assert h.app.argv[2:] == expected
        assert json.loads(http_get(h.app.url_for("/argv"))[1]) == expected
        assert http_get(h.app.url_for("/call")) == (200, "reached through --upstream")

        other = h.app_for("other")
        assert other.argv[2:] == [str(other.port), "--upstream", f"{x.url}/v2"]
        assert http_get(other.url_for("/call")) == (200, "the profile's own upstream")


def test_two_profiles_run_two_separate_apps(tmp_path):
    pyproject = tiny_project(
        tmp_path,
        env={"WHO": "base"},
        extra=LEFT_AND_RIGHT,
    )

    with Harness.from_pyproject(pyproject, profile="left") as h:
        left, right = h.app, h.app_for("right")
        assert h.app_for("left") is left  # started once, then reused
        assert left.pid != right.pid
        assert left.port != right.port
        assert left.env_file != right.env_file
        assert left.log_path != right.log_path
        assert h.env_file == left.env_file
        assert app_env(left.url, "WHO") == "left"
        assert app_env(right.url, "WHO") == "right"
        assert dotenv.dotenv_values(left.env_file)["WHO"] == "left"
        assert dotenv.dotenv_values(right.env_file)["WHO"] == "right"
        assert set(h.apps) == {"left", "right"}

    assert_gone(left.pid, right.pid)
    assert not left.env_file.exists()
    assert not right.env_file.exists()


def test_a_restarted_app_appends_to_its_log_and_keeps_the_earlier_output(tmp_path):
    pyproject = tiny_project(tmp_path)

    with Harness.from_pyproject(pyproject) as h:
        first = h.app.pid
        h.stop_app()
        second = h.app_for()
        log = second.log_path.read_text()
        own_tail = "\n".join(second.log_tail())

    assert second.pid != first
    assert tiny_pids(log) == [first, second.pid]
    assert "starts again" in log
    assert tiny_pids(own_tail) == [second.pid]


def test_app_after_stop_raises(tmp_path):
    pyproject = tiny_project(tmp_path)

    with Harness.from_pyproject(pyproject) as h:
        pid = h.app.pid

    assert_gone(pid)
    with pytest.raises(HarnessError, match="stopped"):
        _ = h.app
    with pytest.raises(HarnessError, match="stopped"):
        h.start()


def test_request_from_the_app_is_answered_by_the_mock_and_journaled(tmp_path):
    pyproject = tiny_project(
        tmp_path,
        extra="""
        [tool.harness.services.x]
        env = { UPSTREAM = "{url}" }
        """,
    )

    with Harness.from_pyproject(pyproject) as h:
        x = h.services["x"]
        x.expect_request("/thing", method="GET").respond_with_data("from the mock")

        assert http_get(h.app.url_for("/call")) == (200, "from the mock")

        [entry] = x.requests
        assert (entry.method, entry.path, entry.status, entry.matched) == ("GET", "/thing", 200, True)
        assert entry.expectation is not None
        assert entry.expectation.endswith(" /thing")  # which expectation answered, as written
        assert x.unmatched_requests() == []


def _stubborn_profiles(tmp_path):
    # Both apps ignore SIGTERM, so each takes its whole shutdown_timeout to stop.
    return tiny_project(
        tmp_path,
        app={"shutdown_timeout": 1.0},
        env={"TINY_IGNORE_TERM": "1"},
        extra=LEFT_AND_RIGHT,
    )


def test_apps_stop_side_by_side(tmp_path):
    """Two apps that each need their whole 1 s grace period: stopped one after the other that
    would take at least 2 s; side by side it takes about 1 s."""
    with Harness.from_pyproject(_stubborn_profiles(tmp_path), profile="left") as h:
        left, right = h.app, h.app_for("right")
        started = time.monotonic()
    elapsed = time.monotonic() - started
    assert_gone(left.pid, right.pid)
    assert elapsed < 1.9, f"stopping two apps took {elapsed:.2f} s: they were not stopped side by side"


def test_background_stop_returns_at_once_and_stop_waits_for_it(tmp_path):
    with Harness.from_pyproject(_stubborn_profiles(tmp_path), profile="left") as h:
        left = h.app
        h.stop_app("left", wait=False)
        assert "left" not in h.apps
        assert alive(left.pid)  # still in its grace period: the caller did not wait for it
        again = h.app_for("left")  # asking again starts a fresh app meanwhile
        assert again.pid != left.pid
    assert_gone(left.pid, again.pid)
