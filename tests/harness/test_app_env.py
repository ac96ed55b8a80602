"""build_app_env: the app's environment, built explicitly from the inherited one and the env values."""

from __future__ import annotations

import os
from types import MappingProxyType

import pytest

from harness.appenv import (
    APP_MARKER_VARIABLE,
    ENV_FILE_VARIABLE,
    MARKER_VARIABLE,
    SCRUBBED,
    build_app_env,
)

LOOPBACK = ["localhost", "127.0.0.1", "::1"]


def entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",")]


def test_does_not_mutate_its_inputs_or_os_environ():
    inherited = {"PATH": "/usr/bin", "HTTP_PROXY": "http://proxy:3128", "GONE": "x", "NO_PROXY": "corp"}
    values = {"A": "1", "GONE": None}
    inherited_before, values_before = dict(inherited), dict(values)
    environ_before = dict(os.environ)

    env = build_app_env(inherited, values, env_file="/tmp/app.env", marker="m", app_marker="am")

    assert inherited == inherited_before
    assert values == values_before
    assert dict(os.environ) == environ_before
    assert env is not inherited
    env["NEW"] = "changed"  # the result is the caller's own copy
    assert "NEW" not in inherited


def test_accepts_read_only_mappings():
    env = build_app_env(MappingProxyType({"PATH": "/bin"}), MappingProxyType({"A": "1"}))
    assert env["PATH"] == "/bin"
    assert env["A"] == "1"


def test_keeps_ordinary_inherited_variables():
    env = build_app_env({"PATH": "/usr/bin", "HOME": "/home/me", "LANG": "C.UTF-8"}, {})
    assert env["PATH"] == "/usr/bin"
    assert env["HOME"] == "/home/me"
    assert env["LANG"] == "C.UTF-8"


@pytest.mark.parametrize(
    "name",
    [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "PYTEST_CURRENT_TEST",
        "PYTEST_XDIST_WORKER",
        "WERKZEUG_SERVER_FD",
        "WERKZEUG_RUN_MAIN",
    ],
)
def test_scrubs_variables_that_would_redirect_traffic_or_break_tls(name):
    assert name in SCRUBBED
    env = build_app_env({name: "inherited", "PATH": "/bin"}, {})
    assert name not in env
    assert env["PATH"] == "/bin"


def test_scrubs_every_listed_variable_at_once():
    inherited = {name: f"inherited-{name}" for name in SCRUBBED}
    env = build_app_env(inherited, {})
    assert set(SCRUBBED).isdisjoint(env)


@pytest.mark.parametrize("name", SCRUBBED)
def test_scrubbed_variable_is_kept_when_the_values_set_it(name):
    env = build_app_env({name: "inherited"}, {name: "configured"})
    assert env[name] == "configured"


def test_no_proxy_covers_loopback_in_both_spellings():
    env = build_app_env({}, {})
    assert entries(env["NO_PROXY"]) == LOOPBACK
    assert entries(env["no_proxy"]) == LOOPBACK


def test_no_proxy_keeps_existing_entries_without_duplicates():
    env = build_app_env({"NO_PROXY": "corp.example, localhost", "no_proxy": ".internal,corp.example,::1"}, {})
    expected = ["corp.example", "localhost", ".internal", "::1", "127.0.0.1"]
    assert entries(env["NO_PROXY"]) == expected
    assert entries(env["no_proxy"]) == expected
    assert len(set(expected)) == len(expected)


def test_no_proxy_from_the_values_is_kept_and_extended():
    env = build_app_env({"NO_PROXY": "inherited.example"}, {"NO_PROXY": "configured.example"})
    assert entries(env["NO_PROXY"]) == ["configured.example", *LOOPBACK]
    assert "inherited.example" not in env["NO_PROXY"]


def test_no_proxy_ignores_empty_entries():
    env = build_app_env({"NO_PROXY": ",, ,"}, {})
    assert entries(env["NO_PROXY"]) == LOOPBACK


def test_env_file_value_wins_over_an_inherited_one():
    env = build_app_env({"LOG_LEVEL": "warning", "PATH": "/bin"}, {"LOG_LEVEL": "debug"})
    assert env["LOG_LEVEL"] == "debug"


def test_none_value_removes_an_inherited_variable():
    inherited = {"AZURE_SEARCH_SERVICE": "https://real.example", "PATH": "/bin"}
    env = build_app_env(inherited, {"AZURE_SEARCH_SERVICE": None})
    assert "AZURE_SEARCH_SERVICE" not in env
    assert env["PATH"] == "/bin"


def test_none_value_for_an_absent_variable_is_harmless():
    env = build_app_env({"PATH": "/bin"}, {"NEVER_SET": None})
    assert "NEVER_SET" not in env


def test_pythonunbuffered_is_on_by_default():
    assert build_app_env({}, {})["PYTHONUNBUFFERED"] == "1"


def test_pythonunbuffered_can_be_configured_or_removed():
    assert build_app_env({}, {"PYTHONUNBUFFERED": "0"})["PYTHONUNBUFFERED"] == "0"
    assert "PYTHONUNBUFFERED" not in build_app_env({}, {"PYTHONUNBUFFERED": None})


def test_harness_variables_are_set():
    env = build_app_env({}, {}, env_file="/run/app.env", marker="run-123", app_marker="run-123-app-1")
    assert env[ENV_FILE_VARIABLE] == "/run/app.env"
    assert env[MARKER_VARIABLE] == "run-123"
    assert env[APP_MARKER_VARIABLE] == "run-123-app-1"
    assert (ENV_FILE_VARIABLE, MARKER_VARIABLE, APP_MARKER_VARIABLE) == (
        "HARNESS_ENV_FILE",
        "HARNESS_RUN_MARKER",
        "HARNESS_APP_MARKER",
    )


def test_harness_variables_win_over_inherited_and_configured_ones():
    stale = {ENV_FILE_VARIABLE: "stale", MARKER_VARIABLE: "stale", APP_MARKER_VARIABLE: "stale"}
    env = build_app_env(stale, stale, env_file="/run/app.env", marker="run", app_marker="app")
    assert env[ENV_FILE_VARIABLE] == "/run/app.env"
    assert env[MARKER_VARIABLE] == "run"
    assert env[APP_MARKER_VARIABLE] == "app"


def test_result_holds_only_strings():
    env = build_app_env({"PATH": "/bin"}, {"A": "1", "B": None}, env_file="/e", marker="m", app_marker="a")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
