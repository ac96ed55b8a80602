"""One environment plan: what ``harness env`` prints is what the app really gets.

``harness env --all`` shows the plan a start makes, with placeholders for what only a start knows
(ports, markers, the CA bundle's name). Here a real run's app reports its whole environment, and the
printed one, its placeholders filled with that run's values, must equal it -- every variable, with
an IPv6 host, a TLS mock, the offline guard, a profile and a removed variable.
"""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path

import psutil
import pytest

from harness import Harness
from harness.cli import main
from harness.secrets import mask_env
from tests.support.processes import project_processes
from tests.support.projects import tiny_project


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def fill(shown: str, fills: dict[str, str]) -> str:
    for placeholder, filled in fills.items():
        shown = shown.replace(placeholder, filled)
    return shown


def printed_environment(pyproject: Path, profile: str) -> dict[str, str]:
    out = io.StringIO()
    assert main(["--config", str(pyproject), "env", "--all", "--profile", profile], out=out) == 0
    lines = [line for line in out.getvalue().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_harness_env_prints_exactly_the_environment_the_app_gets(
    tmp_path: Path, host: str, monkeypatch
) -> None:
    if host == "::1" and not ipv6_loopback():
        pytest.skip("no IPv6 loopback on this machine")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")  # inherited, and scrubbed
    monkeypatch.setenv("RUNNER_ONLY", "inherited as it is")
    pyproject = tiny_project(
        tmp_path,
        app={"host": host, "env_file": "env/app.env"},
        env={"TINY_HOST": "{app.host}", "SELF": "{app.url}/callback", "RUNNER_ONLY": False},
        extra="""
        [tool.harness.services.api]
        tls = true
        env = { API_URL = "{url}/v1", API_PORT = "{port}", CA = "{tls.ca_bundle}" }

        [tool.harness.profiles.other]
        env = { WHO = "other" }
        """,
    )
    printed = printed_environment(pyproject, "other")
    started = time.time()

    with Harness.from_pyproject(pyproject, profile="other") as harness:
        app = harness.app
        real = psutil.Process(app.pid).environ()
        assert harness.offline_guard is not None
        assert harness.ca_bundle is not None
        fills = {
            "<app port>": str(app.port),
            "<api port>": str(harness.services["api"].port),
            "<offline guard port>": harness.offline_guard.url.rsplit(":", 1)[1],
            "<run marker>": harness.marker,
            "<app instance marker>": app.app_marker,
        }
        expected = {name: fill(shown, fills) for name, shown in printed.items()}

        assert mask_env(real) == expected  # printed masked, as every value harness shows
        assert real["SELF"] == f"{app.url}/callback"
        assert real["API_URL"] == harness.services["api"].url + "/v1"
        assert real["CA"] == str(harness.ca_bundle)
        assert "RUNNER_ONLY" not in real
        assert real["HTTP_PROXY"] == harness.offline_guard.url  # the guard's, not the inherited proxy
    assert not project_processes(tmp_path, started)
