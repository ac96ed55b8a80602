"""A TLS mock keeps a trace of every client that refused it, alert or not: a client that rejects the
certificate may just close the connection (async httpx does), and the failure report must still say
that the client does not trust the run's CA."""

from __future__ import annotations

import asyncio
import http.client
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness import MockService
from harness.mocks.hardening import SILENT_TLS_CLOSE_ERROR
from harness.mocks.server import UNTRUSTED_HINT
from harness.run.tls import CertificateAuthority
from tests.support.mocks import in_a_test
from tests.support.polling import DEADLINE, wait_for


@pytest.fixture
def authority(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path / "ca.pem")


@pytest.fixture
def service(authority: CertificateAuthority) -> Iterator[MockService]:
    yield from in_a_test(MockService("tls", ssl_context=authority.server_context()))


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has ended the connection (what the client reads is its end)."""
    sock.settimeout(DEADLINE)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_an_async_client_that_hangs_up_on_the_certificate_is_recorded_with_the_hint(service):
    async def call() -> None:
        async with httpx.AsyncClient(timeout=DEADLINE) as client:  # trusts the system roots only
            await client.get(service.url + "/x")

    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(call())
    wait_for(lambda: service.tls_errors, "the refused handshake recorded")
    assert service.tls_errors == [SILENT_TLS_CLOSE_ERROR]
    assert service.requests == []
    assert service.rejected_requests == []
    report = service.describe_requests()
    assert f"TLS error (no request was read): {SILENT_TLS_CLOSE_ERROR}" in report
    assert UNTRUSTED_HINT in report


def test_a_handshake_then_silence_is_recorded_too(service, authority):
    sock = authority.client_context().wrap_socket(
        socket.create_connection(("127.0.0.1", service.port)), server_hostname="localhost"
    )
    sock.close()  # handshake done, no request
    wait_for(lambda: service.tls_errors, "the silent connection recorded")
    assert service.tls_errors == [SILENT_TLS_CLOSE_ERROR]


def test_trusting_clients_leave_no_tls_error_even_when_they_close_kept_connections(service, authority):
    service.expect_request("/ok").respond_with_data("ok")
    with httpx.Client(verify=authority.client_context(), timeout=DEADLINE) as client:
        assert [client.get(service.url + "/ok").text for _ in range(3)] == ["ok"] * 3
    connection = http.client.HTTPSConnection("localhost", service.port, context=authority.client_context())
    connection.request("GET", "/ok")
    assert connection.getresponse().read() == b"ok"
    connection.close()
    assert len(service.requests) == 4
    # Each connection's end was read by its handler before this request was answered on a new one.
    service.expect_request("/last").respond_with_data("last")
    assert httpx.get(service.url + "/last", verify=authority.client_context()).text == "last"
    assert service.tls_errors == []


def test_connections_ended_by_the_service_going_down_are_not_the_client_s_refusal(service):
    waiting = socket.create_connection(("127.0.0.1", service.port))  # connected, no handshake yet
    try:
        service.go_down()
        assert closed_by_server(waiting)
    finally:
        waiting.close()
    service.come_up()
    assert service.tls_errors == []
