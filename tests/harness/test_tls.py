"""HTTPS mocks (``tls = true``): real apps trust them through the environment harness gives them.

The app (apps/tls_client_app.py) calls the mock with each client left at its defaults -- no
``verify=`` anywhere -- so what makes each one accept the certificate is the environment alone.
A profile that removes harness's trust variables is the control: the same calls then fail
certificate verification, so the successes cannot come from anything else.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import dotenv
import pytest

from harness import Harness, faults
from harness.run.tls import TRUST_VARIABLES
from tests.support.apps import APPS, app_env, http_get
from tests.support.polling import poll
from tests.support.processes import assert_gone
from tests.support.projects import run_python, tiny_project

TLS_APP = APPS / "tls_client_app.py"
COMMAND = f'["{sys.executable}", "{TLS_APP}"]'

#: A TLS mock the app finds through API_URL, and API_PORT for spelling its host differently.
TLS_SERVICE = """
[tool.harness.services.api]
tls = true
env = { API_URL = "{url}", API_PORT = "{port}" }
"""

#: The control: the same app without any of harness's trust variables.
_REMOVED = ", ".join(f"{name} = false" for name in TRUST_VARIABLES)
UNTRUSTING = f"[tool.harness.profiles.untrusting]\nenv = {{ {_REMOVED} }}\n"

PYTHON_CLIENTS = ("requests", "httpx", "httpx2", "openai", "urllib", "http.client")
MODELS = {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": 0, "owned_by": "me"}]}


def tls_project(directory: Path, *, env: dict[str, object] | None = None, extra: str = "") -> Path:
    return tiny_project(directory, command=COMMAND, env=env, extra=TLS_SERVICE + extra)


def fetch(app_url: str, client: str, url: str) -> dict[str, Any]:
    """Have the app GET ``url`` with ``client``; what the client saw."""
    query = urllib.parse.urlencode({"client": client, "url": url})
    status, body = http_get(f"{app_url}/fetch?{query}", timeout=60)
    assert status == 200, body
    outcome: dict[str, Any] = json.loads(body)
    return outcome


def prime(h: Harness) -> None:
    api = h.services["api"]
    api.expect_request("/thing").respond_with_data("the thing")
    api.expect_request("/models").respond_with_json(MODELS)


def expected_body(client: str) -> str:
    return "gpt-4o" if client == "openai" else "the thing"


def target(h: Harness, client: str) -> str:
    return h.services["api"].url + ("" if client == "openai" else "/thing")


def check_clients(h: Harness, clients: tuple[str, ...], *, alerts: bool = True) -> list[int]:
    """Every client succeeds from the app; from the untrusting app every one fails verification
    (and, with ``alerts``, tells the mock so with an ``unknown ca`` alert: Node just hangs up).
    Returns the pids of both apps."""
    prime(h)
    trusting, untrusting = h.app, h.app_for("untrusting")
    seen = {client: fetch(trusting.url, client, target(h, client)) for client in clients}
    wrong = {c: o for c, o in seen.items() if o != {"status": 200, "body": expected_body(c)}}
    assert not wrong, f"clients that did not get the mock's answer over TLS: {wrong}"
    reached = len(h.services["api"].requests)
    assert reached == len(clients)

    refused = {client: fetch(untrusting.url, client, target(h, client)) for client in clients}
    accepted = {c: o for c, o in refused.items() if "cert" not in o.get("error", "").lower()}
    assert not accepted, f"clients that did not reject the untrusted certificate: {accepted}"
    # Verification fails in the handshake: not one of those calls became a request, and the mock
    # says why in the failure report instead of logging on the console.
    api = h.services["api"]
    assert len(api.requests) == reached
    if not alerts:
        return [trusting.pid, untrusting.pid]
    # The mock records a refused handshake in its own thread, possibly just after the client gave up.
    poll(lambda: len(api.tls_errors) >= len(clients))
    assert len(api.tls_errors) >= len(clients), api.tls_errors
    assert all("unknown ca" in error.lower() for error in api.tls_errors), api.tls_errors
    assert "the client does not trust the run's CA; fix:" in api.describe_requests()
    return [trusting.pid, untrusting.pid]


# -- every client, through the environment alone ------------------------------------------------------


def test_python_clients_trust_the_mock_through_the_environment_alone(tmp_path):
    with Harness.from_pyproject(tls_project(tmp_path, extra=UNTRUSTING)) as h:
        pids = check_clients(h, PYTHON_CLIENTS)
    assert_gone(*pids)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_trusts_the_mock_through_curl_ca_bundle(tmp_path):
    with Harness.from_pyproject(tls_project(tmp_path, extra=UNTRUSTING)) as h:
        pids = check_clients(h, ("curl",))
    assert_gone(*pids)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_fetch_trusts_the_mock_through_node_extra_ca_certs(tmp_path):
    with Harness.from_pyproject(tls_project(tmp_path, extra=UNTRUSTING)) as h:
        pids = check_clients(h, ("node",), alerts=False)
    assert_gone(*pids)


#: The user's step for a JVM app: point it at the run's PKCS12 trust store.
JAVA_TRUST = "-Djavax.net.ssl.trustStore={tls.truststore} -Djavax.net.ssl.trustStoreType=PKCS12"


@pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed")
def test_java_trusts_the_mock_through_the_truststore_placeholder(tmp_path):
    untrusting = "[tool.harness.profiles.untrusting]\nenv = { JAVA_TOOL_OPTIONS = false }\n"
    pyproject = tls_project(tmp_path, env={"JAVA_TOOL_OPTIONS": JAVA_TRUST}, extra=untrusting)
    with Harness.from_pyproject(pyproject) as h:
        assert h.java_truststore == h.ca_bundle.with_name(f"{h.marker}-ca.p12")
        assert app_env(h.app.url, "JAVA_TOOL_OPTIONS") == JAVA_TRUST.replace(
            "{tls.truststore}", str(h.java_truststore)
        )
        pids = check_clients(h, ("java",), alerts=False)
        store = h.java_truststore
    assert_gone(*pids)
    assert not store.exists()


def test_the_certificate_is_valid_for_127_0_0_1_and_localhost(tmp_path):
    with Harness.from_pyproject(tls_project(tmp_path)) as h:
        prime(h)
        port = h.services["api"].port
        for host in ("127.0.0.1", "localhost"):
            for client in ("requests", "http.client"):
                assert fetch(h.app.url, client, f"https://{host}:{port}/thing") == {
                    "status": 200,
                    "body": "the thing",
                }, (host, client)
        # The bundle is all a client in the test process needs too, under either name.
        assert h.ca_bundle is not None
        context = ssl.create_default_context(cafile=str(h.ca_bundle))
        for host in ("127.0.0.1", "localhost"):
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                context.wrap_socket(raw, server_hostname=host) as tls,
            ):
                assert tls.version() is not None
        pid = h.app.pid
    assert_gone(pid)


# -- which values reach the app -----------------------------------------------------------------------


def test_inherited_ca_variables_do_not_reach_the_app(tmp_path, monkeypatch):
    foreign = tmp_path / "foreign-ca.pem"
    foreign.write_text("not a certificate\n")
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        monkeypatch.setenv(name, str(foreign))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with Harness.from_pyproject(tls_project(tmp_path)) as h:
        prime(h)
        bundle = str(h.ca_bundle)
        for name in TRUST_VARIABLES:
            assert app_env(h.app.url, name) == bundle, name
        assert app_env(h.app.url, "SSL_CERT_DIR") == "<unset>"
        for client in ("requests", "httpx", "urllib"):
            assert fetch(h.app.url, client, target(h, client))["status"] == 200, client
        pid = h.app.pid
    assert_gone(pid)


def test_a_configured_ssl_cert_file_wins_over_the_bundle(tmp_path):
    own = tmp_path / "own-ca.pem"
    with Harness.from_pyproject(tls_project(tmp_path, env={"SSL_CERT_FILE": "{root}/own-ca.pem"})) as h:
        prime(h)
        assert app_env(h.app.url, "SSL_CERT_FILE") == str(own)
        assert app_env(h.app.url, "REQUESTS_CA_BUNDLE") == str(h.ca_bundle)
        assert dotenv.dotenv_values(h.env_file)["SSL_CERT_FILE"] == str(own)
        # requests reads REQUESTS_CA_BUNDLE, still harness's: it keeps working.
        assert fetch(h.app.url, "requests", target(h, "requests"))["status"] == 200
        # httpx reads SSL_CERT_FILE, the user's (missing) file: the user's choice is what it gets.
        assert "error" in fetch(h.app.url, "httpx", target(h, "httpx"))
        pid = h.app.pid
    assert_gone(pid)


def test_bundle_and_env_file_exist_while_the_app_runs_and_are_gone_after_stop(tmp_path):
    with Harness.from_pyproject(tls_project(tmp_path)) as h:
        bundle = h.ca_bundle
        assert bundle is not None
        assert bundle == tmp_path / ".harness" / "tls" / f"{h.marker}-ca.pem"
        assert h.certificate_authority is not None
        text = bundle.read_text()
        assert text.startswith(h.certificate_authority.ca_pem.decode())
        assert "PRIVATE KEY" not in text  # the CA's key never touches the disk
        values = dotenv.dotenv_values(h.env_file)
        assert {name: values[name] for name in TRUST_VARIABLES} == dict.fromkeys(TRUST_VARIABLES, str(bundle))
        assert values["API_URL"] == h.services["api"].url
        assert values["API_URL"].startswith("https://127.0.0.1:")
        store = h.java_truststore
        assert store is not None
        assert store.stat().st_size > 0
        env_file, pid = h.env_file, h.app.pid
    assert_gone(pid)
    assert not bundle.exists()
    assert not store.exists()
    assert not env_file.exists()
    assert h.ca_bundle == bundle  # still named after stop, but not written again
    assert not bundle.exists()


def test_the_bundle_holds_the_run_ca_alone(tmp_path):
    # One certificate: requests parses REQUESTS_CA_BUNDLE for every new connection, and the public
    # roots would cost each downstream call ~30 ms. The app trusts the mocks and nothing else.
    h = Harness.from_pyproject(tls_project(tmp_path))
    try:
        h.start_services()
        assert h.ca_bundle is not None
        assert h.certificate_authority is not None
        assert h.ca_bundle.read_bytes() == h.certificate_authority.ca_pem
        assert h.ca_bundle.read_text().count("BEGIN CERTIFICATE") == 1
    finally:
        h.stop()


def test_parallel_runs_get_their_own_ca(tmp_path):
    # As under xdist: two workers, one checkout, each with its own CA, bundle and env file.
    pyproject = tls_project(tmp_path)
    with Harness.from_pyproject(pyproject, instance="gw0") as first:
        with Harness.from_pyproject(pyproject, instance="gw1") as second:
            prime(first)
            prime(second)
            assert first.ca_bundle != second.ca_bundle
            assert first.certificate_authority is not None
            assert second.certificate_authority is not None
            assert first.certificate_authority.ca_pem != second.certificate_authority.ca_pem
            assert app_env(first.app.url, "SSL_CERT_FILE") == str(first.ca_bundle)
            assert app_env(second.app.url, "SSL_CERT_FILE") == str(second.ca_bundle)
            own = fetch(first.app.url, "requests", target(first, "requests"))
            assert own == {"status": 200, "body": "the thing"}
            # The other worker's mock presents a certificate of a CA this app does not trust.
            other = fetch(first.app.url, "requests", target(second, "requests"))
            assert "CERTIFICATE_VERIFY_FAILED" in other.get("error", ""), other
            pids = [first.app.pid, second.app.pid]
            second_bundle = second.ca_bundle
        assert not second_bundle.exists()
        assert first.ca_bundle is not None
        assert first.ca_bundle.exists()
    assert_gone(*pids)


def test_a_stale_bundle_of_a_dead_run_is_swept(tmp_path):
    pyproject = tls_project(tmp_path)
    stale = tmp_path / ".harness" / "tls" / f"harness-1-{'0123456789abcdef' * 2}-ca.pem"
    stale.parent.mkdir(parents=True)
    stale.write_text("left behind by a run that was SIGKILLed\n")
    stale_store = stale.with_name(f"harness-1-{'0123456789abcdef' * 2}-ca.p12")
    stale_store.write_bytes(b"")
    # Not named as a run names its bundles: someone else's, never swept.
    decoys = [stale.with_name("my-own-ca.pem"), stale.with_name("harness-1-abc-ca.pem")]
    for decoy in decoys:
        decoy.write_text("not harness's\n")
    h = Harness.from_pyproject(pyproject)
    try:
        h.start_services()
        assert not stale.exists()
        assert not stale_store.exists()
        assert all(decoy.read_text() == "not harness's\n" for decoy in decoys)
        assert h.ca_bundle is not None
        assert h.ca_bundle.exists()
    finally:
        h.stop()


def test_a_run_without_tls_services_makes_no_ca_and_never_imports_trustme(tmp_path):
    tiny_project(tmp_path, extra='[tool.harness.services.plain]\nenv = { PLAIN_URL = "{url}" }\n')
    done = run_python(tmp_path, str(APPS / "tls_free_run.py"), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None []"
    assert not (tmp_path / ".harness" / "tls").exists()


# -- faults over TLS ---------------------------------------------------------------------------------


def test_a_wire_fault_over_tls_reaches_the_app_as_a_broken_connection(tmp_path):
    with Harness.from_pyproject(tls_project(tmp_path)) as h:
        api = h.services["api"]
        api.expect_oneshot_request("/thing").respond_with_fault(faults.empty_response())
        api.expect_request("/thing").respond_with_data("the thing")
        broken = fetch(h.app.url, "requests", api.url + "/thing")
        assert broken.get("error", "").startswith("ConnectionError:"), broken
        assert "RemoteDisconnected" in broken["error"]
        assert fetch(h.app.url, "requests", api.url + "/thing") == {"status": 200, "body": "the thing"}
        first, second = api.requests
        assert first.fault is not None
        assert second.fault is None
        pid = h.app.pid
    assert_gone(pid)
