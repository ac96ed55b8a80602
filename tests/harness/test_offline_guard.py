"""The offline guard: an app reaching for a host that is not one of its mocks fails the test."""

from __future__ import annotations

import pytest

from harness import Harness
from tests.support.apps import app_env, http_get
from tests.support.projects import project_files, run_pytest, tiny_project


@pytest.mark.parametrize("enabled", [True, False])
def test_a_call_to_a_real_host_fails_that_test_naming_the_host(tmp_path, enabled):
    tiny_project(
        tmp_path,
        app={"offline_guard": enabled},
        env={"UPSTREAM": "http://api.example.invalid/v1"},
        files=project_files("offline_guard/test_out.py"),
    )

    result = run_pytest(tmp_path, "-q", "-p", "no:randomly")

    output = result.stdout + result.stderr
    if enabled:
        assert result.returncode == 1, output
        assert "1 failed, 1 passed" in output
        assert "the app tried to reach api.example.invalid" in output
        assert "GET http://api.example.invalid/v1/thing" in output
        assert "blocked by the offline guard" in output
    else:
        assert "offline guard" not in output


def test_the_guard_proxies_everything_but_loopback(tmp_path):
    pyproject = tiny_project(tmp_path, env={"UPSTREAM": "http://example.invalid"})
    with Harness.from_pyproject(pyproject) as h:
        assert h.offline_guard is not None
        assert app_env(h.app.url, "HTTPS_PROXY") == h.offline_guard.url
        assert app_env(h.app.url, "http_proxy") == h.offline_guard.url
        assert "127.0.0.1" in app_env(h.app.url, "NO_PROXY").split(",")
        status, body = http_get(h.app.url_for("/call"))
        assert status == 502
        assert "403" in body  # the guard refused it
        assert [attempt.host for attempt in h.offline_guard.attempts] == ["example.invalid"]


def test_a_proxy_set_by_the_configuration_wins(tmp_path):
    pyproject = tiny_project(tmp_path, env={"HTTPS_PROXY": "http://proxy.corp:3128"})
    with Harness.from_pyproject(pyproject) as h:
        assert app_env(h.app.url, "HTTPS_PROXY") == "http://proxy.corp:3128"
        assert h.offline_guard is not None
        assert app_env(h.app.url, "HTTP_PROXY") == h.offline_guard.url
