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
