"""What a failing test's report carries: log, requests with near misses, the app's environment."""

from __future__ import annotations

from tests.support.projects import project_files, run_pytest, tiny_project


def test_a_failing_test_reports_the_near_miss_and_the_masked_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INHERITED_NOISE", "from-the-runner")
    tiny_project(
        tmp_path,
        env={"SERVICE_API_KEY": "s3cret-value", "MODE": "checkout"},
        extra='[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n',
        files=project_files("failure_bundle/test_bundle.py"),
    )

    result = run_pytest(tmp_path, "-q")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "differs in method: expected 'POST', found 'GET'" in output
    assert "harness: environment harness gave the app (profile default, secrets masked)" in output
    assert "SERVICE_API_KEY=********" in output
    assert "s3cret-value" not in output
    assert "MODE=checkout" in output
    assert "INHERITED_NOISE" not in output.split("secrets masked")[1]  # unchanged: not repeated


def test_reports_quote_logs_without_escapes_expectations_as_written_and_the_environment_once(tmp_path):
    tiny_project(
        tmp_path,
        env={"MODE": "checkout"},
        extra='[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n',
        files=project_files("failure_bundle/test_colour.py"),
    )

    result = run_pytest(tmp_path, "-q")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "RED ALERT done" in output  # the log's text, its colour codes and title sequence gone
    assert "GREEN" in output
    assert "\x1b" not in output.split("= FAILURES =")[1].split("short test summary")[0]
    assert 'closest expectation: POST /never (json {"a": 1})' in output
    assert "RequestMatcher" not in output
    assert output.count("harness: environment harness gave the app (profile default") == 2
    assert output.count("MODE=checkout") == 1  # the environment in full once, in the first report
    assert "(shown in the report of test_colour.py::test_first)" in output


def test_a_secret_value_from_the_configuration_is_masked_wherever_the_app_logs_it(tmp_path):
    """The app's log line carries the key without its name; the report knows the value (it gave it
    to the app under a secret name) and masks it all the same."""
    tiny_project(
        tmp_path,
        env={"WEATHER_API_KEY": "sk-live-SUPERSECRET-123", "SHORT_TOKEN": "abc"},
        files=project_files("failure_bundle/test_leak.py"),
    )

    result = run_pytest(tmp_path, "-q")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "calling the weather API with key ******** now" in output
    assert "SUPERSECRET" not in output
    assert "WEATHER_API_KEY=********" in output
