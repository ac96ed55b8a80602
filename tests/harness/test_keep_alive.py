"""HTTP/1.1 keep-alive: a mock answers request after request on one connection when the client keeps
it, and ends the connection whenever keeping it would be wrong (a streamed answer, a fault, a
refused request, a service going down)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from werkzeug import Request, Response

from harness import MockService, faults
from harness.run.tls import CertificateAuthority
from tests.support.mocks import in_a_test
from tests.support.polling import DEADLINE, wait_for


@pytest.fixture
def service() -> Iterator[MockService]:
    yield from in_a_test(MockService("kept"))


def client_port(request: Request) -> Response:
    """Answers with the client's port: one connection, one port."""
    return Response(str(request.environ["REMOTE_PORT"]))


def test_pooling_clients_reuse_one_connection(service):
    service.expect_request("/port").respond_with_handler(client_port)
    with requests.Session() as session:
        ports = {session.get(service.url + "/port", timeout=DEADLINE).text for _ in range(5)}
    assert len(ports) == 1
    with httpx.Client(timeout=DEADLINE) as client:
        ports = {client.post(service.url + "/port", content=b"x" * 5000).text for _ in range(5)}
    assert len(ports) == 1
    assert len(service.requests) == 10  # every request journaled, each on its own


def test_a_client_that_asks_to_close_gets_a_connection_per_request(service):
    service.expect_request("/port").respond_with_handler(client_port)
    ports = {
        requests.get(service.url + "/port", headers={"Connection": "close"}, timeout=DEADLINE).text
        for _ in range(3)
    }
    assert len(ports) == 3


def test_http_1_0_keeps_a_connection_only_when_it_asks(service):
    service.expect_request("/x").respond_with_data("ok")
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = read_response(sock)
        assert b"\r\nConnection: keep-alive\r\n" in first
        sock.sendall(b"GET /x HTTP/1.0\r\n\r\n")
        second = read_until_closed(sock)
    assert second.startswith(b"HTTP/1.1 200")
    assert second.endswith(b"ok")
    assert b"connection: close" in second.lower()


def test_keep_alive_over_tls(tmp_path: Path):
    authority = CertificateAuthority(tmp_path / "ca.pem")
    mock = MockService("kept-tls", ssl_context=authority.server_context())
    mock.start()
    try:
        mock.begin_test()
        mock.expect_request("/port").respond_with_handler(client_port)
        connection = http.client.HTTPSConnection(
            "localhost", mock.port, context=authority.client_context(), timeout=DEADLINE
        )
        ports = set()
        for _ in range(4):
            connection.request("GET", "/port")
            response = connection.getresponse()
            ports.add(response.read())
            assert response.getheader("Connection") is None
        connection.close()
        assert len(ports) == 1
        assert mock.tls_errors == []
    finally:
        mock.stop()


# -- when the connection ends anyway --------------------------------------------------------------


def test_a_streamed_answer_without_a_length_ends_the_connection(service):
    service.expect_request("/events").respond_with_sse(["one", "two"])
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_until_closed(sock)
    assert b"data: two" in answer
    assert b"connection: close" in answer.lower()


def test_an_answer_shorter_than_its_content_length_ends_the_connection(service):
    # The client would wait for bytes that never come; closing tells it the body was cut off.
    service.expect_request("/short").respond_with_response(
        Response(iter([b"abc"]), headers={"Content-Length": "10"})
    )
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /short HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        answer = read_until_closed(sock)
    assert answer.endswith(b"\r\n\r\nabc")
    assert time.monotonic() - started < DEADLINE / 2  # closed at once, not when the client gives up


def test_a_handler_that_fails_after_the_head_ends_the_connection_without_a_500_page(service):
    # werkzeug appended its 500 page to the body already begun; the client read it as body.
    def fails_half_way() -> Iterator[bytes]:
        yield b"part"
        raise RuntimeError("the handler broke half-way")

    service.expect_request("/half").respond_with_response(
        Response(fails_half_way(), headers={"Content-Length": "8"})
    )
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /half HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"\r\n\r\npart")  # cut off where it broke: no error page after it


def test_a_handler_that_fails_before_answering_is_a_500_and_the_connection_ends(service):
    def broken(request: Request) -> Response:
        raise RuntimeError("broken handler")

    service.expect_request("/broken").respond_with_handler(broken)
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 500")
    assert b"connection: close" in answer.lower()


def test_expect_100_continue_on_a_kept_connection(service):
    service.expect_request("/upload", method="POST", data=b"payload").respond_with_data("stored")
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        for _ in range(2):
            sock.sendall(
                b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n"
            )
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                interim += sock.recv(1)
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"payload")
            assert read_response(sock).endswith(b"\r\n\r\nstored")
    assert len(service.requests) == 2


def test_a_refused_request_ends_the_connection(tmp_path: Path):
    mock = MockService("small", max_body_bytes=10)
    mock.start()
    try:
        with socket.create_connection((mock.host, mock.port), timeout=DEADLINE) as sock:
            sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
            answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 413")
    finally:
        mock.stop()


def test_a_wire_fault_on_a_kept_connection_ends_it_and_the_next_call_is_served(service):
    service.expect_request("/x").respond_with_data("ok")
    service.expect_oneshot_request("/boom").respond_with_fault(faults.reset())
    with requests.Session() as session:
        assert session.get(service.url + "/x", timeout=DEADLINE).text == "ok"
        with pytest.raises(requests.ConnectionError):
            session.get(service.url + "/boom", timeout=DEADLINE)
        assert session.get(service.url + "/x", timeout=DEADLINE).text == "ok"  # a new connection


# -- a service that goes down or stops ------------------------------------------------------------


def test_a_service_that_goes_down_ends_its_kept_connections(service):
    service.expect_request("/x").respond_with_data("ok")
    with socket.create_connection((service.host, service.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock).endswith(b"ok")
        with service.refusing_connections():
            assert read_until_closed(sock) == b""  # the kept connection ended with the service
            with pytest.raises(requests.ConnectionError):
                requests.get(service.url + "/x", timeout=DEADLINE)
    assert requests.get(service.url + "/x", timeout=DEADLINE).text == "ok"


def test_a_pooled_client_sees_a_service_that_went_down_as_down(service):
    service.expect_request("/x").respond_with_data("ok")
    with requests.Session() as session:
        assert session.get(service.url + "/x", timeout=DEADLINE).text == "ok"
        with service.refusing_connections(), pytest.raises(requests.ConnectionError, match="refused"):
            session.get(service.url + "/x", timeout=DEADLINE)
        assert session.get(service.url + "/x", timeout=DEADLINE).text == "ok"


def test_stop_ends_kept_connections_and_their_threads_at_once():
    threads_before = threading.active_count()
    mock = MockService("stopping")
    mock.start()
    mock.expect_request("/x").respond_with_data("ok")
    sockets = []
    try:
        for _ in range(5):
            sock = socket.create_connection((mock.host, mock.port), timeout=DEADLINE)
            sockets.append(sock)
            sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock).endswith(b"ok")
        started = time.monotonic()
        mock.stop()
        assert time.monotonic() - started < DEADLINE / 2
        for sock in sockets:
            assert read_until_closed(sock) == b""
        wait_for(lambda: threading.active_count() <= threads_before, "the connections' threads to end")
    finally:
        for sock in sockets:
            sock.close()


def test_a_request_in_flight_when_the_service_stops_is_answered_then_the_connection_ends():
    mock = MockService("draining")
    mock.start()
    entered, release = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        entered.set()
        release.wait(DEADLINE)
        return Response("late")

    mock.expect_request("/slow").respond_with_handler(slow)
    with socket.create_connection((mock.host, mock.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert entered.wait(DEADLINE)
        stopper = threading.Thread(target=mock.stop)
        stopper.start()
        wait_for(lambda: mock.server is None or not mock.is_running(), "the service to stop")
        release.set()
        answer = read_until_closed(sock)
        stopper.join(DEADLINE)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"late")
    assert b"connection: close" in answer.lower()


# -- helpers --------------------------------------------------------------------------------------


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length (the connection stays open after it)."""
    received = b""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        head, separator, body = received.partition(b"\r\n\r\n")
        if separator:
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(body) >= length:
                return received
        chunk = sock.recv(65536)
        assert chunk, f"the connection ended inside a response: {received[:300]!r}"
        received += chunk
    raise AssertionError(f"no whole response within {DEADLINE} s: {received[:300]!r}")


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything until the mock ends the connection; fails if it does not within the deadline."""
    received = b""
    sock.settimeout(DEADLINE)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError(
            f"the connection was still open after {DEADLINE} s: {received[:300]!r}"
        ) from None
    return received
