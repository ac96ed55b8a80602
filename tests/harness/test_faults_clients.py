"""The proof matrix: for every wire fault, what real clients report -- exactly.

Each row serves one fault from a harness mock and asks it with ``requests``, ``httpx``, ``urllib3``
(``PoolManager(retries=False)``), ``http.client`` and ``curl``; the test asserts the exact exception
type each Python client raises (plus the exact types it wraps) and curl's exit code. docs/faults.md
publishes this table; change both together.

The WireMock-parity set (reset, empty response, malformed chunk, random data, truncate, hang) runs
again over TLS. The one difference: Python's ssl module reports the RST of ``reset()`` as an end of
file, so the Python clients see "server disconnected" (as for ``empty_response()``); curl still
sees the reset.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import requests
import trustme
import urllib3

from harness import faults
from harness.faults.base import Fault
from harness.faults.sse import EventLike
from harness.mocks import MockService
from tests.support.clients import CLIENTS, Outcome, Trust, chain, fetch
from tests.support.mocks import in_a_test

#: The body the body faults promise (Content-Length 100).
BODY = b"0123456789" * 10
#: Read timeout for faults that never answer: small, so the suite stays fast.
SHORT = 0.3
#: Read timeout for everything else: far above what any fault takes, never what a test waits for.
LONG = 10.0

EVENTS: list[EventLike] = [{"n": 1}, {"n": 2}, {"n": 3}]
TWO_EVENTS = b'data: {"n":1}\n\ndata: {"n":2}\n\n'


# -- what a client should report ------------------------------------------------------------------


@dataclass(frozen=True)
class Raises:
    """A Python client raises exactly ``top``; ``inner`` types are each exactly somewhere in what it
    wraps (see :func:`tests.support.clients.chain`); ``message`` is part of ``str(error)``."""

    top: type[BaseException]
    inner: tuple[type[BaseException], ...] = ()
    message: str | None = None


@dataclass(frozen=True)
class CurlExit:
    code: int
    message: str


@dataclass(frozen=True)
class Answers:
    """No error: this status and body."""

    status: int
    body: bytes


Expect = Raises | CurlExit | Answers


@dataclass(frozen=True)
class Case:
    name: str
    #: The fault to serve; None serves ``BODY`` normally.
    fault: Callable[[], Fault] | None
    expected: dict[str, Expect]
    timeout: float = LONG
    #: Read the body as a stream (see tests/support/clients.py); curl always streams.
    stream: bool = False
    #: Body bytes every streaming reader must have received (before the error).
    received: bytes | None = None
    #: Streaming readers that receive nothing instead: requests and urllib3 read a Content-Length
    #: body in one read (chunk size None) and drop what it had got when that read fails.
    received_nothing: frozenset[str] = frozenset()
    #: Ask while the service refuses connections.
    refused: bool = False


CONNECTION_RESET = Raises(ConnectionResetError)
REQUESTS_TIMEOUT = requests.exceptions.ReadTimeout
U3 = urllib3.exceptions

CASES = [
    Case(
        "normal",
        None,
        dict.fromkeys(CLIENTS, Answers(200, BODY)) | {"curl": CurlExit(0, "")},
    ),
    Case(
        "reset",
        faults.reset,
        {
            "requests": Raises(
                requests.exceptions.ConnectionError, (U3.ProtocolError, ConnectionResetError), "aborted"
            ),
            "httpx": Raises(httpx.ReadError, (ConnectionResetError,)),
            "urllib3": Raises(U3.ProtocolError, (ConnectionResetError,), "Connection aborted"),
            "http.client": CONNECTION_RESET,
            "curl": CurlExit(56, "Recv failure: Connection reset by peer"),
        },
    ),
    Case(
        "empty_response",
        faults.empty_response,
        {
            "requests": Raises(requests.exceptions.ConnectionError, (http.client.RemoteDisconnected,)),
            "httpx": Raises(httpx.RemoteProtocolError, (), "Server disconnected without sending a response"),
            "urllib3": Raises(U3.ProtocolError, (http.client.RemoteDisconnected,)),
            "http.client": Raises(http.client.RemoteDisconnected),
            "curl": CurlExit(52, "Empty reply from server"),
        },
    ),
    Case(
        "malformed_chunk",
        faults.malformed_chunk,
        {
            "requests": Raises(requests.exceptions.ChunkedEncodingError, (U3.InvalidChunkLength,)),
            "httpx": Raises(httpx.RemoteProtocolError, (), "peer unexpectedly closed connection"),
            # preloaded: http.client decodes the chunks (streamed, urllib3 does: see the test below)
            "urllib3": Raises(U3.ProtocolError, (http.client.IncompleteRead, ValueError), "0 bytes read"),
            "http.client": Raises(http.client.IncompleteRead, (ValueError,), "0 bytes read"),
            "curl": CurlExit(56, "Illegal or missing hexadecimal sequence in chunked-encoding"),
        },
    ),
    Case(
        "random_data_then_close",
        faults.random_data_then_close,
        {
            "requests": Raises(requests.exceptions.ConnectionError, (http.client.BadStatusLine,)),
            "httpx": Raises(httpx.RemoteProtocolError, (), "Server disconnected without sending a response"),
            "urllib3": Raises(U3.ProtocolError, (http.client.BadStatusLine,)),
            "http.client": Raises(http.client.BadStatusLine),
            "curl": CurlExit(1, "Received HTTP/0.9 when not allowed"),
        },
    ),
    Case(
        "hang",
        faults.hang,
        {
            "requests": Raises(REQUESTS_TIMEOUT, (U3.ReadTimeoutError, TimeoutError)),
            "httpx": Raises(httpx.ReadTimeout, (TimeoutError,)),
            "urllib3": Raises(U3.ReadTimeoutError, (TimeoutError,)),
            "http.client": Raises(TimeoutError),
            "curl": CurlExit(28, "with 0 bytes received"),
        },
        timeout=SHORT,
    ),
    Case(
        "truncate",
        lambda: faults.truncate(BODY, 40),
        {
            "requests": Raises(
                requests.exceptions.ChunkedEncodingError,
                (U3.IncompleteRead,),
                "40 bytes read, 60 more expected",
            ),
            "httpx": Raises(
                httpx.RemoteProtocolError,
                (),
                "peer closed connection without sending complete message body "
                "(received 40 bytes, expected 100)",
            ),
            "urllib3": Raises(
                U3.ProtocolError, (http.client.IncompleteRead,), "40 bytes read, 60 more expected"
            ),
            "http.client": Raises(http.client.IncompleteRead, (), "40 bytes read, 60 more expected"),
            "curl": CurlExit(18, "transfer closed with 60 bytes remaining to read"),
        },
        received=BODY[:40],
    ),
    Case(
        "stall_after_headers",
        lambda: faults.stall_after_headers(BODY),
        {
            # Not requests.ReadTimeout: the timeout fires while reading the body, and requests
            # reports that as a ConnectionError (see test_requests_stall_in_body_is_not_a_timeout).
            "requests": Raises(requests.exceptions.ConnectionError, (U3.ReadTimeoutError, TimeoutError)),
            "httpx": Raises(httpx.ReadTimeout, (TimeoutError,)),
            "urllib3": Raises(U3.ReadTimeoutError, (TimeoutError,)),
            "http.client": Raises(TimeoutError),
            "curl": CurlExit(28, "with 0 out of 100 bytes received"),
        },
        timeout=SHORT,
    ),
    Case(
        "after_bytes_reset",
        lambda: faults.after_bytes(40, BODY, then="reset"),
        {
            "requests": Raises(requests.exceptions.ChunkedEncodingError, (ConnectionResetError,)),
            "httpx": Raises(httpx.ReadError, (ConnectionResetError,)),
            "urllib3": Raises(U3.ProtocolError, (ConnectionResetError,), "Connection broken"),
            "http.client": CONNECTION_RESET,
            "curl": CurlExit(56, "Recv failure: Connection reset by peer"),
        },
        stream=True,
        received=BODY[:40],
        received_nothing=frozenset({"requests", "urllib3"}),
    ),
    Case(
        "sse_reset_after_2_events",
        lambda: faults.sse(EVENTS, after_events=2),
        {
            "requests": Raises(requests.exceptions.ChunkedEncodingError, (ConnectionResetError,)),
            "httpx": Raises(httpx.ReadError, (ConnectionResetError,)),
            "urllib3": Raises(U3.ProtocolError, (ConnectionResetError,), "Connection broken"),
            "http.client": CONNECTION_RESET,
            "curl": CurlExit(56, "Recv failure: Connection reset by peer"),
        },
        stream=True,
        received=TWO_EVENTS,
    ),
    Case(
        "sse_bad_chunk_after_2_events",
        lambda: faults.sse([*EVENTS[:2], faults.BAD_CHUNK, EVENTS[2]]),
        {
            "requests": Raises(requests.exceptions.ChunkedEncodingError, (U3.InvalidChunkLength, ValueError)),
            "httpx": Raises(httpx.RemoteProtocolError, (), "illegal chunk header"),
            "urllib3": Raises(U3.ProtocolError, (U3.InvalidChunkLength, ValueError)),
            "http.client": Raises(http.client.IncompleteRead, (ValueError,), "0 bytes read"),
            "curl": CurlExit(56, "Illegal or missing hexadecimal sequence in chunked-encoding"),
        },
        stream=True,
        received=TWO_EVENTS,
    ),
    Case(
        "refusing_connections",
        None,
        {
            "requests": Raises(
                requests.exceptions.ConnectionError, (U3.NewConnectionError, ConnectionRefusedError)
            ),
            "httpx": Raises(httpx.ConnectError, (ConnectionRefusedError,)),
            "urllib3": Raises(U3.NewConnectionError, (ConnectionRefusedError,)),
            "http.client": Raises(ConnectionRefusedError),
            "curl": CurlExit(7, "Couldn't connect to server"),
        },
        refused=True,
    ),
]

#: Over TLS, Python's ssl module turns the RST into an end of file (SSLEOFError, a "ragged EOF" that
#: the clients' sockets suppress): every Python client reports reset() like empty_response().
TLS_DIFFERENCES: dict[tuple[str, str], Expect] = {
    ("reset", "requests"): Raises(requests.exceptions.ConnectionError, (http.client.RemoteDisconnected,)),
    ("reset", "httpx"): Raises(
        httpx.RemoteProtocolError, (), "Server disconnected without sending a response"
    ),
    ("reset", "urllib3"): Raises(U3.ProtocolError, (http.client.RemoteDisconnected,)),
    ("reset", "http.client"): Raises(http.client.RemoteDisconnected),
}
TLS_CASES = {
    "normal",
    "reset",
    "empty_response",
    "malformed_chunk",
    "random_data_then_close",
    "truncate",
    "hang",
}


def matrix(cases: list[Case], differences: dict[tuple[str, str], Expect]) -> list[object]:
    return [
        pytest.param(
            case,
            client,
            differences.get((case.name, client), case.expected[client]),
            id=f"{case.name}-{client}",
        )
        for case in cases
        for client in CLIENTS
    ]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def service() -> Iterator[MockService]:
    yield from in_a_test(MockService("faults"))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def trust(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Trust:
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return Trust(ca_file, context)


@pytest.fixture
def tls_service(ca: trustme.CA) -> Iterator[MockService]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    yield from in_a_test(MockService("tls", ssl_context=context))


# -- checks ---------------------------------------------------------------------------------------


def ask(mock: MockService, case: Case, client: str, trust: Trust | None = None) -> Outcome:
    if case.fault is None:
        mock.expect_request("/target").respond_with_data(BODY)
    else:
        mock.expect_request("/target").respond_with_fault(case.fault())
    url = mock.url + "/target"
    if case.refused:
        with mock.refusing_connections():
            return fetch(client, url, timeout=case.timeout, trust=trust, stream=case.stream)
    return fetch(client, url, timeout=case.timeout, trust=trust, stream=case.stream)


def check(outcome: Outcome, expected: Expect, case: Case) -> None:
    seen = outcome.describe()
    if isinstance(expected, CurlExit):
        assert outcome.exit_code == expected.code, seen
        assert expected.message in outcome.stderr, seen
        if expected.code == 0:
            assert outcome.body == BODY, seen
    elif isinstance(expected, Answers):
        assert outcome.error is None, seen
        assert (outcome.status, outcome.body) == (expected.status, expected.body), seen
    else:
        assert outcome.error is not None, f"expected {expected.top.__qualname__}, got {seen}"
        assert type(outcome.error) is expected.top, seen
        wrapped = [type(error) for error in chain(outcome.error)]
        for inner in expected.inner:
            assert inner in wrapped, f"{inner.__qualname__} not in {seen}"
        if expected.message is not None:
            assert expected.message in str(outcome.error), seen
    if case.received is not None and (case.stream or outcome.client == "curl"):
        received = b"" if outcome.client in case.received_nothing else case.received
        assert outcome.body == received, seen


@pytest.mark.parametrize(("case", "client", "expected"), matrix(CASES, {}))
def test_client_reports(service: MockService, case: Case, client: str, expected: Expect) -> None:
    check(ask(service, case, client), expected, case)


@pytest.mark.parametrize(
    ("case", "client", "expected"), matrix([c for c in CASES if c.name in TLS_CASES], TLS_DIFFERENCES)
)
def test_client_reports_over_tls(
    tls_service: MockService, trust: Trust, case: Case, client: str, expected: Expect
) -> None:
    assert tls_service.url.startswith("https://")
    check(ask(tls_service, case, client, trust), expected, case)


# -- how the way of reading changes what a client reports ----------------------------------------


def test_urllib3_streamed_malformed_chunk_is_invalid_chunk_length(service: MockService) -> None:
    """Preloaded, urllib3 lets http.client decode the chunks (IncompleteRead); streamed, it decodes
    them itself and reports InvalidChunkLength, like requests."""
    service.expect_request("/target").respond_with_fault(faults.malformed_chunk())
    outcome = fetch("urllib3", service.url + "/target", stream=True)
    assert type(outcome.error) is urllib3.exceptions.ProtocolError, outcome.describe()
    assert urllib3.exceptions.InvalidChunkLength in [type(e) for e in chain(outcome.error)]


def test_http_client_read1_does_not_notice_truncation(service: MockService) -> None:
    """http.client's read() checks Content-Length (IncompleteRead, in the matrix); read1() in a loop
    just stops at end of file: a truncated body looks complete."""
    service.expect_request("/target").respond_with_fault(faults.truncate(BODY, 40))
    outcome = fetch("http.client", service.url + "/target", stream=True)
    assert outcome.error is None, outcome.describe()
    assert (outcome.status, outcome.body) == (200, BODY[:40])


def test_requests_stall_in_body_is_not_a_timeout(service: MockService) -> None:
    """A read timeout in the body (after the headers) reaches requests users as ConnectionError, so
    ``except requests.Timeout`` misses it; a timeout before the headers is a ReadTimeout."""
    service.expect_request("/stall").respond_with_fault(faults.stall_after_headers(BODY))
    service.expect_request("/hang").respond_with_fault(faults.hang())
    stalled = fetch("requests", service.url + "/stall", timeout=SHORT)
    hung = fetch("requests", service.url + "/hang", timeout=SHORT)
    assert isinstance(stalled.error, requests.exceptions.ConnectionError), stalled.describe()
    assert not isinstance(stalled.error, requests.exceptions.Timeout), stalled.describe()
    assert isinstance(hung.error, requests.exceptions.Timeout), hung.describe()


def test_requests_reading_small_pieces_gets_the_bytes_before_a_mid_body_reset(service: MockService) -> None:
    """after_bytes(then="reset") really resets mid-body: read in pieces, requests hands over exactly
    the 40 bytes sent before the RST, then raises."""
    service.expect_request("/target").respond_with_fault(faults.after_bytes(40, BODY, then="reset"))
    pieces: list[bytes] = []
    with requests.get(service.url + "/target", stream=True, timeout=LONG) as response:
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(len(BODY))
        with pytest.raises(requests.exceptions.ChunkedEncodingError) as raised:
            pieces.extend(response.iter_content(chunk_size=1))
    assert b"".join(pieces) == BODY[:40]
    assert ConnectionResetError in [type(error) for error in chain(raised.value)]


def test_a_client_that_never_starts_the_tls_handshake_blocks_no_one(tls_service, trust):
    tls_service.expect_request("/ok").respond_with_data("ok")
    idle = socket.create_connection(("127.0.0.1", tls_service.port))  # connects, never handshakes
    try:
        response = requests.get(f"{tls_service.url}/ok", verify=str(trust.ca_file), timeout=5)
        assert response.text == "ok"
    finally:
        idle.close()
