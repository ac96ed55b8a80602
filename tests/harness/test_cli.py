"""The ``harness`` command, used as a person would: a subprocess, its output read, Ctrl-C sent."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from harness.cli import main
from tests.support.apps import http_get
from tests.support.processes import wait_until_gone
from tests.support.projects import tiny_project
from tests.support.simulators import register_echo

HARNESS = str(Path(sys.executable).with_name("harness"))


def cli(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HARNESS, *args], cwd=project, capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_check_accepts_a_valid_configuration_and_lists_each_profile(tmp_path):
    tiny_project(tmp_path, extra="[tool.harness.profiles.slow]\nenv = { TINY_START_DELAY = 1 }\n")
    result = cli(tmp_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout
    assert "profile default: ok" in result.stdout
    assert "profile slow: ok" in result.stdout


def test_check_explains_each_problem(tmp_path):
    tiny_project(tmp_path, app={"startup_timout": 5, "port": "8080"})
    result = cli(tmp_path, "check")
    assert result.returncode == 1
    assert "tool.harness.startup_timout: unknown key (did you mean 'startup_timeout'?)" in result.stdout
    assert "tool.harness.port: expected an integer port" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_check_reports_a_command_that_is_not_installed(tmp_path):
    tiny_project(tmp_path, command='["no-such-server-binary", "--port", "{port}"]')
    result = cli(tmp_path, "check")
    assert result.returncode == 1
    assert "'no-such-server-binary'" in result.stdout
    assert "was not found on PATH" in result.stdout


def test_check_shows_env_placeholders_of_the_command_as_known_before_a_start(tmp_path):
    tiny_project(
        tmp_path,
        command='["python", "app.py", "--upstream", "{services.openai.url}/v1", "--port={port}", '
        '"--self={app.url}", "--ca={tls.ca_bundle}", "--data={root}/data"]',
        extra="[tool.harness.services.openai]\ntls = true\n",
    )
    result = cli(tmp_path, "check")
    assert "Traceback" not in result.stdout + result.stderr
    [command] = [line for line in result.stdout.splitlines() if line.strip().startswith("command:")]
    assert "--upstream 'https://127.0.0.1:<openai port>/v1'" in command
    assert "'--port=<app port>'" in command
    assert "'--self=http://127.0.0.1:<app port>'" in command
    assert f"--ca={tmp_path}/.harness/tls/" in command
    assert f"--data={tmp_path}/data" in command


def test_env_shows_empty_values_and_what_the_configuration_removes(tmp_path):
    tiny_project(
        tmp_path,
        env={"EMPTY": "", "GONE": False, "JSON": '{"accountName": "x", "to": "{app.url}"}'},
        extra="[tool.harness.profiles.p]\nenv = { EMPTY = false }\n",
    )
    environ = {**os.environ, "GONE": "inherited", "EMPTY": "inherited", "REQUESTS_CA_BUNDLE": "/x.pem"}
    lines = cli(tmp_path, "env", env=environ).stdout.splitlines()
    assert "EMPTY=" in lines
    assert 'JSON={"accountName": "x", "to": "http://127.0.0.1:<app port>"}' in lines
    assert not any(line.startswith("GONE=") for line in lines)
    assert "# removed by the configuration (NAME = false): GONE" in lines
    assert any(line.startswith("# removed from the inherited environment:") for line in lines)

    profile = cli(tmp_path, "env", "--profile", "p", env=environ).stdout.splitlines()
    assert not any(line.startswith(("EMPTY=", "GONE=")) for line in profile)
    assert "# removed by the configuration (NAME = false): EMPTY, GONE" in profile


def test_check_reports_files_a_run_would_refuse_to_write_and_writes_nothing(tmp_path):
    tiny_project(
        tmp_path,
        app={"env_file": "env/mine.env", "log_dir": "logs"},
        extra="[tool.harness.profiles.other]\nenv = { X = 1 }\n",
    )
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "mine.env").write_text("MINE=1\n")  # the project's own file
    (tmp_path / "env" / "mine.other.env").symlink_to(tmp_path / "pyproject.toml")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "default.log").write_text("the project's own log\n")

    result = cli(tmp_path, "check")

    assert result.returncode == 1, result.stdout
    assert "profile default: PROBLEM" in result.stdout
    assert "profile other: PROBLEM" in result.stdout
    assert f"{tmp_path / 'env' / 'mine.env'} exists and harness did not write it" in result.stdout
    assert f"{tmp_path / 'env' / 'mine.other.env'} is a symbolic link" in result.stdout
    assert f"{tmp_path / 'logs' / 'default.log'} exists and harness did not write it" in result.stdout
    assert (tmp_path / "env" / "mine.env").read_text() == "MINE=1\n"
    assert (tmp_path / "logs" / "default.log").read_text() == "the project's own log\n"
    assert not (tmp_path / ".harness").exists()  # check starts nothing and writes nothing


def test_check_refuses_a_path_outside_the_project_at_load(tmp_path):
    tiny_project(tmp_path / "project", app={"env_file": "../elsewhere/app.env"})
    result = cli(tmp_path / "project", "check")
    assert result.returncode == 1
    assert "tool.harness.env_file: the env file would be written at" in result.stdout
    assert "outside the project" in result.stdout
    assert "allow_writes_outside_project = true" in result.stdout
    assert not (tmp_path / "elsewhere").exists()


def test_env_prints_what_the_app_gets_with_secrets_masked(tmp_path):
    tiny_project(
        tmp_path,
        env={"SHOP_API_KEY": "s3cret", "MODE": "demo"},
        extra='[tool.harness.services.payments]\nenv = { PAYMENTS_URL = "{url}/v1" }\n',
    )
    result = cli(tmp_path, "env", env={**os.environ, "REQUESTS_CA_BUNDLE": "/etc/inherited.pem"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "SHOP_API_KEY=********" in lines
    assert "MODE=demo" in lines
    assert "PAYMENTS_URL=http://127.0.0.1:<payments port>/v1" in lines
    assert "PORT=<app port>" in lines
    assert "s3cret" not in result.stdout
    assert any(
        line.startswith("# removed from the inherited environment:") and "REQUESTS_CA_BUNDLE" in line
        for line in lines
    )


def _start_up(project: Path) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [HARNESS, "up"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    head: list[str] = []
    for line in process.stdout:
        head.append(line)
        if "log follows" in line:
            return process, head
    raise AssertionError("harness up ended early:\n" + "".join(head))


def _value(head: list[str], label: str) -> str:
    return next(line.split(None, len(label.split()))[-1] for line in head if line.strip().startswith(label))


def test_up_shows_where_everything_is_follows_the_log_and_stops_on_ctrl_c(tmp_path):
    tiny_project(tmp_path, extra='[tool.harness.services.payments]\nenv = { PAYMENTS_URL = "{url}" }\n')
    process, head = _start_up(tmp_path)
    try:
        text = "".join(head)
        assert "service payments" in text
        app_url = _value(head, "app (default)").split()[0]
        pid = int(text.split("pid ")[1].split(",")[0])
        assert "env file" in text
        assert "log " in text
        assert http_get(f"{app_url}/health")[0] == 200
        family = [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "tiny_app GET /health -> 200" in rest  # the app's log was followed
    assert "SIGINT received, stopping" in rest
    assert "stopped everything" in rest
    assert process.returncode == 0
    assert wait_until_gone(family) == []
    assert not (tmp_path / "env" / "harness.env").exists()


def test_up_shows_a_live_status_line_while_a_slow_app_starts(tmp_path):
    tiny_project(tmp_path, env={"TINY_START_DELAY": 2.8})
    started = time.monotonic()
    process, head = _start_up(tmp_path)
    try:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert time.monotonic() - started >= 2.8
    status = "".join(head)
    assert "harness: starting the app ..." in status
    assert "attempts, last: connection refused" in status


def test_up_reports_an_app_that_exits_and_fails(tmp_path):
    tiny_project(tmp_path, env={"TINY_EXIT_CODE": 3})
    result = cli(tmp_path, "up")
    assert result.returncode == 1
    assert "exited before it was ready: exit code 3" in result.stdout
    assert "tiny_app exiting with 3 on purpose" in result.stdout


TLS_SERVICES = """
[tool.harness.services.api]
tls = true
env = { API_URL = "{url}/v1" }

[tool.harness.services.plain]
env = { PLAIN_URL = "{url}" }
"""


def test_check_and_env_show_which_services_are_https_and_where_the_bundle_goes(tmp_path):
    tiny_project(
        tmp_path,
        env={"CURL_CA_BUNDLE": "/mine/ca.pem", "JAVA_STORE": "{tls.truststore}"},
        extra=TLS_SERVICES,
    )
    bundle = str(tmp_path / ".harness" / "tls" / "<run marker>-ca.pem")
    checked = cli(tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "  services: api (https), plain\n" in checked.stdout
    assert f"TLS: a CA made per run, its bundle in {bundle} while it runs" in checked.stdout

    result = cli(tmp_path, "env", env={**os.environ, "SSL_CERT_FILE": "/etc/inherited.pem"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "API_URL=https://127.0.0.1:<api port>/v1" in lines
    assert "PLAIN_URL=http://127.0.0.1:<plain port>" in lines
    assert f"SSL_CERT_FILE={bundle}" in lines  # not the inherited one
    assert f"REQUESTS_CA_BUNDLE={bundle}" in lines
    assert f"NODE_EXTRA_CA_CERTS={bundle}" in lines
    assert "CURL_CA_BUNDLE=/mine/ca.pem" in lines  # the configuration wins
    assert f"JAVA_STORE={bundle.removesuffix('.pem')}.p12" in lines


def test_env_without_tls_services_sets_no_trust_variables(tmp_path):
    tiny_project(tmp_path, extra='[tool.harness.services.plain]\nenv = { PLAIN_URL = "{url}" }\n')
    result = cli(tmp_path, "env")
    assert result.returncode == 0, result.stderr
    names = {line.split("=")[0] for line in result.stdout.splitlines() if not line.startswith("#")}
    assert not names & {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"}, result.stdout


def test_up_shows_the_https_service_and_the_bundle_it_removes_at_stop(tmp_path):
    tiny_project(tmp_path, extra=TLS_SERVICES)
    process, head = _start_up(tmp_path)
    try:
        text = "".join(head)
        assert _value(head, "service api").startswith("https://127.0.0.1:")
        assert _value(head, "service plain").startswith("http://127.0.0.1:")
        bundle = Path(_value(head, "CA bundle").split()[0])
        assert bundle.parent == tmp_path / ".harness" / "tls"
        assert bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert "(the app trusts it via SSL_CERT_FILE, REQUESTS_CA_BUNDLE" in text
        pid = int(text.split("pid ")[1].split(",")[0])
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert wait_until_gone([pid]) == []
    assert not bundle.exists()


def test_check_names_the_simulator_of_a_service(tmp_path, request):
    request.addfinalizer(register_echo().unregister)
    pyproject = tiny_project(
        tmp_path,
        extra='[tool.harness.services.chat]\nsimulator = "echo"\ntls = true\n[tool.harness.services.cache]\n',
    )
    out = io.StringIO()
    assert main(["--config", str(pyproject), "check"], out=out) == 0, out.getvalue()
    assert "  services: chat (https, simulator echo), cache\n" in out.getvalue()


def test_check_reports_a_host_the_app_cannot_listen_on(tmp_path):
    tiny_project(tmp_path, app={"host": "no-such-host.invalid"})
    result = cli(tmp_path, "check")
    assert result.returncode == 1
    assert "profile default: PROBLEM" in result.stdout
    assert "the app cannot listen on host 'no-such-host.invalid'" in result.stdout


def test_config_is_taken_before_or_after_the_command(tmp_path):
    pyproject = tiny_project(tmp_path / "project")
    before = cli(tmp_path, "--config", str(pyproject), "check")
    after = cli(tmp_path, "check", "--config", str(pyproject))
    assert before.returncode == after.returncode == 0, before.stdout + after.stdout + after.stderr
    assert f"{pyproject}: [tool.harness] is valid" in after.stdout


def test_env_shows_every_variable_harness_gives_the_app(tmp_path):
    tiny_project(tmp_path)
    result = cli(tmp_path, "env")
    for name in ("HARNESS_ENV_FILE", "HARNESS_RUN_MARKER", "HARNESS_APP_MARKER", "PORT"):
        assert f"{name}=" in result.stdout
