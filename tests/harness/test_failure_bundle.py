"""What a failing test's report carries: log, requests with near misses, the app's environment."""

from __future__ import annotations

from .api_support import tiny_project
from .support import run_pytest

FAILING_TEST = """
import urllib.request

def test_calls_with_the_wrong_method(harness_app, harness_services):
    harness_services["up"].expect_request("/thing", method="POST").respond_with_data("x")
    urllib.request.urlopen(harness_app.url_for("/call")).read()
"""


def test_a_failing_test_reports_the_near_miss_and_the_masked_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INHERITED_NOISE", "from-the-runner")
    tiny_project(
        tmp_path,
        env={"SERVICE_API_KEY": "s3cret-value", "MODE": "checkout"},
        extra='[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n',
        files={"test_bundle.py": FAILING_TEST},
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


COLOURED_FAILURES = """
import urllib.parse
import urllib.request

def say(app, text):
    urllib.request.urlopen(app.url_for("/say?text=" + urllib.parse.quote(text))).read()

def test_first(harness_app, harness_services):
    harness_services["up"].expect_request("/never", method="POST", json={"a": 1}).respond_with_data("x")
    say(harness_app, "\\x1b[31mRED ALERT\\x1b[0m \\x1b]0;title\\x07done\\x07")
    urllib.request.urlopen(harness_app.url_for("/call")).read()

def test_second(harness_app):
    say(harness_app, "\\x1b[1;32mGREEN\\x1b[0m")
    assert False, "second failure"
"""


def test_reports_quote_logs_without_escapes_expectations_as_written_and_the_environment_once(tmp_path):
    tiny_project(
        tmp_path,
        env={"MODE": "checkout"},
        extra='[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n',
        files={"test_colour.py": COLOURED_FAILURES},
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


LEAKY_APP_TEST = """
import urllib.parse
import urllib.request

def test_the_app_logs_its_key(harness_app):
    key = "sk-live-" + "SUPER" + "SECRET-123"  # in pieces: pytest quotes this source in the report
    text = f"calling the weather API with key {key} now"
    urllib.request.urlopen(harness_app.url_for("/say?text=" + urllib.parse.quote(text))).read()
    assert False, "fails, so that the report quotes the log"
"""


def test_a_secret_value_from_the_configuration_is_masked_wherever_the_app_logs_it(tmp_path):
    """The app's log line carries the key without its name; the report knows the value (it gave it
    to the app under a secret name) and masks it all the same."""
    tiny_project(
        tmp_path,
        env={"WEATHER_API_KEY": "sk-live-SUPERSECRET-123", "SHORT_TOKEN": "abc"},
        files={"test_leak.py": LEAKY_APP_TEST},
    )

    result = run_pytest(tmp_path, "-q")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "calling the weather API with key ******** now" in output
    assert "SUPERSECRET" not in output
    assert "WEATHER_API_KEY=********" in output
