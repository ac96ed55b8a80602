"""What users rely on around faults: the mock survives them, they never block other requests, every
stalled connection is released when the test ends, slow links deliver the whole body, seeded
randomness repeats, throttling looks like Azure OpenAI, sequences keep their order under
concurrency, streams are framed as OpenAI clients expect, the service can refuse connections and
come back, the journal names each fault, and impossible arguments fail when the fault is created.

What each client reports for each wire fault is in test_faults_clients.py.
"""

from __future__ import annotations

import json
import math
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from harness import faults
from harness.errors import HarnessError
from harness.faults import FaultError
from harness.faults.base import Fault
from harness.faults.wire import LAST_CHUNK, chunk
from harness.mocks import MockService
from tests.support.clients import CURL, fetch
from tests.support.mocks import in_a_test
from tests.support.polling import DEADLINE, wait_for

#: Client read timeout against faults that never answer.
SHORT = 0.2
BODY = b"0123456789" * 10
EVENTS: list[dict[str, object]] = [{"n": 1}, {"n": 2}, {"n": 3}]


@pytest.fixture
def service() -> Iterator[MockService]:
    yield from in_a_test(MockService("api"))


def get(mock: MockService, target: str, timeout: float = DEADLINE, **kwargs: object) -> requests.Response:
    return requests.get(mock.url + target, timeout=timeout, **kwargs)


def raw_request(mock: MockService, target: str) -> socket.socket:
    """A connection that has sent ``GET target`` and not read anything yet."""
    connection = socket.create_connection((mock.host, mock.port), timeout=DEADLINE)
    connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {mock.host}\r\n\r\n".encode())
    return connection


def read_to_eof(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes (fails the test after DEADLINE of silence)."""
    received = b""
    with connection:
        while piece := connection.recv(65536):
            received += piece
    return received


def entered(fault: Fault, arrived: set[str], name: str) -> Callable[[Request], Response]:
    """``fault`` as a plain handler that first notes that the request reached it."""

    def handler(request: Request) -> Response:
        arrived.add(name)
        return fault(request)

    return handler


def split_response(raw: bytes) -> tuple[str, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


# -- the mock survives every fault ----------------------------------------------------------------

SURVIVABLE: dict[str, Callable[[], Fault]] = {
    "reset": faults.reset,
    "empty_response": faults.empty_response,
    "malformed_chunk": faults.malformed_chunk,
    "random_data_then_close": faults.random_data_then_close,
    "hang": faults.hang,
    "truncate": lambda: faults.truncate(BODY, 10),
    "stall_after_headers": lambda: faults.stall_after_headers(BODY),
    "after_bytes_close": lambda: faults.after_bytes(10, BODY, then="close"),
    "after_bytes_reset": lambda: faults.after_bytes(10, BODY, then="reset"),
    "after_bytes_stall": lambda: faults.after_bytes(10, BODY, then="stall"),
    "dribble": lambda: faults.dribble(BODY, 4, 0.02),
    "bandwidth": lambda: faults.bandwidth(BODY, 10_000),
    "slow_close": lambda: faults.slow_close(BODY, 0.02),
    "delay_then_reset": lambda: faults.delay(0.02, faults.reset()),
    "throttle": lambda: faults.throttle(0.1),
    "sse": lambda: faults.sse([*EVENTS, faults.DONE]),
    "sse_reset": lambda: faults.sse([EVENTS[0], faults.RESET]),
    "sse_close": lambda: faults.sse([EVENTS[0], faults.CLOSE]),
    "sse_stall": lambda: faults.sse([EVENTS[0], faults.STALL]),
    "sse_bad_chunk": lambda: faults.sse([EVENTS[0], faults.BAD_CHUNK]),
}


def outcome_kind(mock: MockService, target: str) -> str:
    try:
        return f"status {get(mock, target, timeout=SHORT).status_code}"
    except requests.RequestException as error:
        return type(error).__name__


@pytest.mark.parametrize("make", SURVIVABLE.values(), ids=SURVIVABLE.keys())
def test_a_fault_never_breaks_the_server(service: MockService, make: Callable[[], Fault]) -> None:
    service.expect_request("/fault").respond_with_fault(make())
    service.expect_request("/ok").respond_with_json({"ok": True})
    first = outcome_kind(service, "/fault")
    assert get(service, "/ok").json() == {"ok": True}
    assert outcome_kind(service, "/fault") == first  # the same fault again, not a broken server
    response = get(service, "/ok")
    assert (response.status_code, response.json()) == (200, {"ok": True})


# -- nothing blocks anything else -----------------------------------------------------------------


def test_hang_and_delay_never_block_other_requests(service: MockService) -> None:
    arrived: set[str] = set()
    service.expect_request("/hang").respond_with_fault(faults.hang())
    service.expect_request("/slow").respond_with_handler(
        entered(faults.delay(1.0, {"slow": True}), arrived, "slow")
    )
    service.expect_request("/fast").respond_with_data("fast")
    finished: list[str] = []
    lock = threading.Lock()
    hang_outcome: list[object] = []

    def ask_hang() -> None:
        try:
            hang_outcome.append(get(service, "/hang"))
        except requests.RequestException as error:
            hang_outcome.append(error)

    def ask_slow() -> None:
        response = get(service, "/slow")
        with lock:
            finished.append(f"slow {response.status_code}")

    hanging = threading.Thread(target=ask_hang, daemon=True)
    slow = threading.Thread(target=ask_slow, daemon=True)
    hanging.start()
    slow.start()
    wait_for(lambda: any(entry.path == "/hang" for entry in service.requests), "the hang to be in flight")
    wait_for(lambda: "slow" in arrived, "the delay to be in flight")

    for _ in range(5):
        assert get(service, "/fast").text == "fast"
        with lock:
            finished.append("fast")

    with lock:
        assert finished == ["fast"] * 5, "the fast requests waited for the delayed one"
    assert hanging.is_alive(), "the hang answered"
    slow.join(DEADLINE)
    assert finished == ["fast"] * 5 + ["slow 200"]

    service.end_test()
    hanging.join(DEADLINE)
    assert not hanging.is_alive()
    assert len(hang_outcome) == 1
    assert isinstance(hang_outcome[0], requests.ConnectionError)  # released: the server hung up


# -- every stalled connection is released ---------------------------------------------------------

STALLING: dict[str, Callable[[], Fault]] = {
    "hang": faults.hang,
    "stall_after_headers": lambda: faults.stall_after_headers(BODY),
    "after_bytes_stall": lambda: faults.after_bytes(10, BODY, then="stall"),
    "delay": lambda: faults.delay(3600, "late"),
    "dribble": lambda: faults.dribble(BODY, 2, 3600),
    "bandwidth": lambda: faults.bandwidth(BODY, 0.001),
    "slow_close": lambda: faults.slow_close(BODY, 3600),
    "sse_stall": lambda: faults.sse([EVENTS[0], faults.STALL]),
    "sse_pause": lambda: faults.sse([EVENTS[0], faults.pause(3600), EVENTS[1]]),
    "sse_slow_events": lambda: faults.sse(EVENTS, delay=3600),
}


@pytest.mark.parametrize("release", ["end_test", "stop"])
def test_every_stalled_connection_is_released(service: MockService, release: str) -> None:
    threads_before = threading.active_count()
    arrived: set[str] = set()
    for name, make in STALLING.items():
        service.expect_request(f"/{name}").respond_with_handler(entered(make(), arrived, name))
    connections = {name: raw_request(service, f"/{name}") for name in STALLING}
    wait_for(lambda: arrived == set(STALLING), "every request to reach its fault")
    assert threading.active_count() >= threads_before + len(STALLING)

    getattr(service, release)()

    for name, connection in connections.items():
        try:
            received = read_to_eof(connection)  # end of file, not a read timeout or a reset
        except OSError as error:
            pytest.fail(f"{name}: no clean end of file after {release}: {error!r}")
        if name in {"hang", "delay"}:
            assert received == b"", name  # nothing was ever sent
        else:
            assert received.startswith(b"HTTP/1.1 200 OK\r\n"), (name, received)
    wait_for(lambda: threading.active_count() <= threads_before, "the server's handler threads to end")


def test_a_released_stall_leaves_the_next_test_alone(service: MockService) -> None:
    service.expect_request("/hang").respond_with_fault(faults.hang())
    connection = raw_request(service, "/hang")
    wait_for(lambda: len(service.requests) == 1, "the hang to be in flight")
    service.end_test()
    assert read_to_eof(connection) == b""
    service.begin_test()
    assert service.requests == []  # the released hang did not land in the next test's journal
    service.expect_request("/ok").respond_with_data("ok")
    assert get(service, "/ok").text == "ok"


# -- slow links deliver the whole body ------------------------------------------------------------


def test_dribble_delivers_the_whole_response_in_pieces(service: MockService) -> None:
    body = bytes(range(256)) * 4
    response = Response(body, status=201, headers={"X-Kind": "dribbled"}, content_type="application/x-test")
    service.expect_request("/slow").respond_with_fault(faults.dribble(response, chunks=5, over=0.5))
    started = time.monotonic()
    pieces: list[bytes] = []
    with httpx.stream("GET", service.url + "/slow", timeout=DEADLINE) as streamed:
        assert streamed.status_code == 201
        assert streamed.headers["X-Kind"] == "dribbled"
        assert streamed.headers["Content-Type"] == "application/x-test"
        assert streamed.headers["Content-Length"] == str(len(body))
        pieces.extend(streamed.iter_raw())
    assert b"".join(pieces) == body
    assert len(pieces) >= 2  # it did not arrive in one piece
    assert time.monotonic() - started >= 0.45  # five pauses of 0.1 s


def test_bandwidth_delivers_the_whole_body_no_faster_than_the_rate(service: MockService) -> None:
    body = bytes(range(250)) * 8  # 2000 bytes at 4000 B/s: at least half a second
    service.expect_request("/slow").respond_with_fault(faults.bandwidth(body, 4000))
    started = time.monotonic()
    response = get(service, "/slow")
    assert response.content == body
    assert time.monotonic() - started >= 0.45


def test_slow_close_delivers_the_body_and_hangs_up_late(service: MockService) -> None:
    service.expect_request("/slow").respond_with_fault(faults.slow_close({"done": True}, 0.5))
    started = time.monotonic()
    response = get(service, "/slow")
    assert response.json() == {"done": True}
    assert "Content-Length" not in response.headers  # the body ends when the connection does
    assert time.monotonic() - started >= 0.45


# -- delays ---------------------------------------------------------------------------------------


def test_delay_answers_after_waiting(service: MockService) -> None:
    service.expect_request("/late").respond_with_fault(faults.delay(0.3, {"late": True}))
    started = time.monotonic()
    assert get(service, "/late").json() == {"late": True}
    assert time.monotonic() - started >= 0.3


def test_delay_then_a_fault(service: MockService) -> None:
    service.expect_request("/late").respond_with_fault(faults.delay(0.2, faults.reset()))
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError, match="Connection reset by peer"):
        get(service, "/late")
    assert time.monotonic() - started >= 0.2
    assert [entry.fault for entry in service.requests] == ["delay 0.2 s, then connection reset"]


def test_delay_drawn_from_a_distribution(service: MockService) -> None:
    service.expect_request("/late").respond_with_fault(
        faults.delay(faults.uniform(0.2, 0.25, seed=1), "late")
    )
    started = time.monotonic()
    assert get(service, "/late").text == "late"
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: faults.uniform(0.1, 0.5, seed=seed),
        lambda seed: faults.lognormal(0.2, 0.8, seed=seed),
    ],
    ids=["uniform", "lognormal"],
)
def test_a_seeded_distribution_repeats_its_delays(make: Callable[[int], faults.Distribution]) -> None:
    one, again, other = make(7), make(7), make(8)
    samples = [one.sample() for _ in range(50)]
    assert samples == [again.sample() for _ in range(50)]
    assert samples != [other.sample() for _ in range(50)]
    assert len(set(samples)) == 50  # a spread, not one value


def test_uniform_stays_within_its_bounds() -> None:
    spread = faults.uniform(0.1, 0.5, seed=3)
    samples = [spread.sample() for _ in range(1000)]
    assert all(0.1 <= sample <= 0.5 for sample in samples)
    assert 0.2 < statistics.mean(samples) < 0.4


def test_lognormal_centres_on_its_median_with_a_long_tail() -> None:
    latency = faults.lognormal(0.2, 0.5, seed=3)
    samples = [latency.sample() for _ in range(2001)]
    assert 0.15 < statistics.median(samples) < 0.27
    assert max(samples) > 2 * 0.2  # a tail well above the median
    assert statistics.mean(samples) > statistics.median(samples)


# -- throttling -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "seconds", "milliseconds"),
    [(1.0, "1", "1000"), (1.2, "2", "1200"), (0.1, "1", "100"), (0, "0", "0"), (30, "30", "30000")],
)
def test_throttle_answers_like_azure_openai(
    service: MockService, retry_after: float, seconds: str, milliseconds: str
) -> None:
    service.expect_request("/chat").respond_with_fault(faults.throttle(retry_after))
    response = get(service, "/chat")
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Retry-After"] == seconds  # whole seconds, rounded up
    assert response.headers["retry-after-ms"] == milliseconds
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.headers["x-ratelimit-remaining-tokens"] == "0"
    error = response.json()["error"]
    assert error["code"] == "429"
    assert f"retry after {seconds} seconds" in error["message"]


def test_throttle_with_a_custom_body(service: MockService) -> None:
    body = {"error": {"code": "RateLimitReached", "message": "slow down"}}
    service.expect_request("/chat").respond_with_fault(faults.throttle(2, body=body))
    response = get(service, "/chat")
    assert (response.status_code, response.json()) == (429, body)
    assert response.headers["Retry-After"] == "2"


# -- sequences and chance -------------------------------------------------------------------------


def texts(mock: MockService, target: str, count: int) -> list[str]:
    return [get(mock, target).text for _ in range(count)]


def test_sequence_answers_in_order_then_repeats_then(service: MockService) -> None:
    service.expect_request("/s").respond_with_fault(faults.sequence("a", "b", then="c"))
    assert texts(service, "/s", 5) == ["a", "b", "c", "c", "c"]


def test_sequence_repeats_its_last_response_by_default(service: MockService) -> None:
    service.expect_request("/s").respond_with_fault(faults.sequence("a", "b"))
    assert texts(service, "/s", 4) == ["a", "b", "b", "b"]


def test_sequence_of_faults_and_responses(service: MockService) -> None:
    service.expect_request("/s").respond_with_fault(
        faults.sequence(faults.reset(), Response("created", status=201), then={"ok": True})
    )
    with pytest.raises(requests.ConnectionError):
        get(service, "/s")
    created = get(service, "/s")
    assert (created.status_code, created.text) == (201, "created")
    assert get(service, "/s").json() == {"ok": True}


def test_fail_times_then_succeed(service: MockService) -> None:
    service.expect_request("/chat").respond_with_fault(
        faults.fail_times(2, faults.throttle(0.1), then={"ok": True})
    )
    statuses = [get(service, "/chat").status_code for _ in range(4)]
    assert statuses == [429, 429, 200, 200]


def test_fail_times_zero_never_fails(service: MockService) -> None:
    service.expect_request("/chat").respond_with_fault(faults.fail_times(0, faults.throttle(), then="ok"))
    assert texts(service, "/chat", 2) == ["ok", "ok"]


def test_sequence_gives_concurrent_requests_distinct_positions(service: MockService) -> None:
    count = 12
    service.expect_request("/s").respond_with_fault(
        faults.sequence(*[str(position) for position in range(count)], then="after")
    )
    start = threading.Barrier(count)
    answers: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait(DEADLINE)
        text = get(service, "/s").text
        with lock:
            answers.append(text)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert sorted(answers, key=int) == [str(position) for position in range(count)]
    assert get(service, "/s").text == "after"


def chance_pattern(mock: MockService, target: str, count: int) -> list[int]:
    return [get(mock, target).status_code for _ in range(count)]


def test_chance_with_a_seed_repeats_its_pattern(service: MockService) -> None:
    requests_made = 100
    for target in ("/a", "/b"):
        service.expect_request(target).respond_with_fault(
            faults.chance(0.3, faults.throttle(), "ok", seed=42)
        )
    service.expect_request("/c").respond_with_fault(faults.chance(0.3, faults.throttle(), "ok", seed=43))
    first = chance_pattern(service, "/a", requests_made)
    assert first == chance_pattern(service, "/b", requests_made)
    assert first != chance_pattern(service, "/c", requests_made)
    assert set(first) == {200, 429}
    assert 15 <= first.count(429) <= 45  # about 0.3 of 100


@pytest.mark.parametrize(("probability", "expected"), [(0, 200), (1, 429)])
def test_chance_at_the_extremes(service: MockService, probability: float, expected: int) -> None:
    service.expect_request("/c").respond_with_fault(faults.chance(probability, faults.throttle(), "ok"))
    assert set(chance_pattern(service, "/c", 20)) == {expected}


# -- server-sent events ---------------------------------------------------------------------------


def frames(*events: bytes) -> bytes:
    return b"".join(chunk(event) for event in events) + LAST_CHUNK


def test_sse_is_framed_as_openai_clients_expect(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse([*EVENTS, faults.DONE])
    head, body = split_response(read_to_eof(raw_request(service, "/stream")))
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "Content-Type: text/event-stream; charset=utf-8" in lines
    assert "Transfer-Encoding: chunked" in lines
    assert "Cache-Control: no-cache" in lines
    assert not any(line.lower().startswith("content-length") for line in lines)
    # one chunk per event, each `data: <compact json>\n\n`, the [DONE] terminator, then the last chunk
    assert body == frames(
        b'data: {"n":1}\n\n', b'data: {"n":2}\n\n', b'data: {"n":3}\n\n', b"data: [DONE]\n\n"
    )


def test_sse_event_fields(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse(
        [
            faults.SSEEvent({"a": 1}, event="delta", id="7", retry=1500),
            faults.SSEEvent("two\nlines"),
            b": a comment, sent as is\n\n",
        ]
    )
    _, body = split_response(read_to_eof(raw_request(service, "/stream")))
    assert body == frames(
        b'event: delta\nid: 7\nretry: 1500\ndata: {"a":1}\n\n',
        b"data: two\ndata: lines\n\n",
        b": a comment, sent as is\n\n",
    )


def test_sse_is_readable_by_a_streaming_client(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse(
        [*EVENTS, faults.DONE], status=201, headers={"X-Id": "1"}
    )
    with httpx.stream("GET", service.url + "/stream", timeout=DEADLINE) as response:
        assert response.status_code == 201
        assert response.headers["X-Id"] == "1"
        data = [line.removeprefix("data: ") for line in response.iter_lines() if line]
    assert data == [*(json.dumps(e, separators=(",", ":")) for e in EVENTS), "[DONE]"]


def test_sse_waits_before_each_event(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse(EVENTS, delay=0.1)
    started = time.monotonic()
    assert get(service, "/stream").text.count("data: ") == 3
    assert time.monotonic() - started >= 0.3


def test_sse_list_is_replayed_for_every_request(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse([*EVENTS, faults.DONE])
    first = get(service, "/stream").text
    assert first.count("data: ") == 4
    assert get(service, "/stream").text == first


def test_sse_callable_source_is_fresh_for_every_request(service: MockService) -> None:
    calls = 0

    def source() -> Iterator[object]:
        nonlocal calls
        calls += 1
        yield {"request": calls}
        yield faults.DONE

    service.expect_request("/stream").respond_with_sse(source)
    assert get(service, "/stream").text == 'data: {"request":1}\n\ndata: [DONE]\n\n'
    assert get(service, "/stream").text == 'data: {"request":2}\n\ndata: [DONE]\n\n'


def test_sse_iterator_is_consumed_by_the_first_request(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse(iter(EVENTS))
    assert get(service, "/stream").text.count("data: ") == 3
    assert get(service, "/stream").text == ""  # documented: an iterator is used up


def test_sse_marker_stops_the_stream_where_it_stands(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse([EVENTS[0], faults.CLOSE, EVENTS[1]])
    outcome = fetch("httpx", service.url + "/stream", stream=True)
    assert isinstance(outcome.error, httpx.RemoteProtocolError), outcome.describe()
    assert "incomplete chunked read" in str(outcome.error)
    assert outcome.body == b'data: {"n":1}\n\n'  # nothing after the marker
    outcome = fetch("requests", service.url + "/stream", stream=True)
    assert isinstance(outcome.error, requests.exceptions.ChunkedEncodingError), outcome.describe()
    assert outcome.body == b'data: {"n":1}\n\n'


def test_sse_stall_marker_times_the_client_out_after_the_events(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse(EVENTS[:2], after_events=1, then=faults.STALL)
    outcome = fetch("httpx", service.url + "/stream", timeout=SHORT, stream=True)
    assert isinstance(outcome.error, httpx.ReadTimeout), outcome.describe()
    assert outcome.body == b'data: {"n":1}\n\n'


def test_sse_then_accepts_a_connection_fault(service: MockService) -> None:
    service.expect_request("/stream").respond_with_sse(EVENTS, after_events=3, then=faults.empty_response())
    outcome = fetch("httpx", service.url + "/stream", stream=True)
    assert isinstance(outcome.error, httpx.RemoteProtocolError), outcome.describe()
    assert outcome.body.count(b"data: ") == 3


# -- refusing connections -------------------------------------------------------------------------


def connect(mock: MockService) -> None:
    socket.create_connection((mock.host, mock.port), timeout=DEADLINE).close()


def test_refusing_connections_then_serving_again(service: MockService) -> None:
    service.expect_request("/ok").respond_with_data("ok")
    url = service.url + "/ok"
    with service.refusing_connections():
        with pytest.raises(ConnectionRefusedError):
            connect(service)
        curl = subprocess.run(
            [CURL, "-sS", "-m", "5", url], capture_output=True, timeout=DEADLINE, check=False
        )
        assert curl.returncode == 7, curl.stderr
    assert service.url + "/ok" == url  # same port, same URL
    assert get(service, "/ok").text == "ok"


def test_going_down_releases_stalled_connections(service: MockService) -> None:
    service.expect_request("/hang").respond_with_fault(faults.hang())
    connection = raw_request(service, "/hang")
    wait_for(lambda: len(service.requests) == 1, "the hang to be in flight")
    with service.refusing_connections():
        assert read_to_eof(connection) == b""


def test_a_test_that_never_leaves_refusing_still_gets_the_service_back(service: MockService) -> None:
    refusing = service.refusing_connections()
    refusing.__enter__()  # and never left, as by a test that forgets
    with pytest.raises(ConnectionRefusedError):
        connect(service)
    service.end_test()
    service.begin_test()
    service.expect_request("/ok").respond_with_data("ok")
    assert get(service, "/ok").text == "ok"
    refusing.__exit__(None, None, None)  # leaving late changes nothing
    assert get(service, "/ok").text == "ok"


# -- the journal, and ways to attach a fault ------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (faults.reset, None),
        (faults.empty_response, None),
        (faults.malformed_chunk, 200),
        (faults.hang, None),
        (lambda: faults.truncate(BODY, 40), 200),
        (lambda: faults.after_bytes(40, Response(BODY, status=206), then="reset"), 206),
        (lambda: faults.sse(EVENTS, after_events=2), 200),
        (lambda: faults.throttle(0.5), 429),
        (lambda: faults.delay(0.01, "late"), 200),
        (lambda: faults.fail_times(1, faults.throttle(), then="ok"), 429),
    ],
    ids=[
        "reset",
        "empty_response",
        "malformed_chunk",
        "hang",
        "truncate",
        "after_bytes",
        "sse",
        "throttle",
        "delay",
        "fail_times",
    ],
)
def test_the_journal_records_each_fault(
    service: MockService, make: Callable[[], Fault], status: int | None
) -> None:
    fault = make()
    service.expect_request("/fault").respond_with_fault(fault)
    fetch("requests", service.url + "/fault", timeout=SHORT)
    wait_for(lambda: [e.pending for e in service.requests] == [False], "the completed journal entry")
    entry = service.requests[0]
    assert (entry.path, entry.fault, entry.status) == ("/fault", fault.description, status)
    assert f"with fault: {fault.description}" in service.describe_requests()


def test_the_journal_describes_faults_in_words(service: MockService) -> None:
    described = [
        (faults.reset(), "connection reset"),
        (faults.truncate(BODY, 40), "truncated to 40 of 100 bytes"),
        (faults.after_bytes(10, BODY, then="stall"), "stall after 10 of 100 body bytes"),
        (faults.sse(EVENTS, after_events=2), "event stream, reset after 2 events"),
        (faults.throttle(0.5), "throttled (429, retry after 0.5 s)"),
    ]
    assert [fault.description for fault, _ in described] == [words for _, words in described]


def test_respond_with_handler_takes_a_fault_too(service: MockService) -> None:
    service.expect_request("/reset").respond_with_handler(faults.reset())
    service.expect_request("/throttle").respond_with_handler(faults.throttle())
    with pytest.raises(requests.ConnectionError, match="Connection reset by peer"):
        get(service, "/reset")
    assert get(service, "/throttle").status_code == 429
    assert service.requests[0].fault == "connection reset"


@pytest.mark.parametrize(
    "not_a_fault",
    [lambda request: Response("x"), {"ok": True}, "text", None],
    ids=["callable", "dict", "str", "None"],
)
def test_respond_with_fault_rejects_what_is_not_a_fault(service: MockService, not_a_fault: object) -> None:
    with pytest.raises(FaultError, match=r"respond_with_fault takes a fault from harness\.faults"):
        service.expect_request("/x").respond_with_fault(not_a_fault)


def test_a_wire_fault_on_a_stock_pytest_httpserver_fails_clearly() -> None:
    """Only a harness mock can act on the connection; a stock server answers 500, names the
    problem and keeps serving (it used to lose its serving thread)."""
    stock = HTTPServer(host="127.0.0.1")
    stock.start()
    try:
        stock.expect_request("/reset").respond_with_handler(faults.reset())
        stock.expect_request("/ok").respond_with_data("ok")
        assert requests.get(stock.url_for("/reset"), timeout=DEADLINE).status_code == 500
        assert requests.get(stock.url_for("/ok"), timeout=DEADLINE).text == "ok"
        assert len(stock.handler_errors) == 1
        assert isinstance(stock.handler_errors[0], FaultError)
        assert "needs a harness MockService" in str(stock.handler_errors[0])
        stock.clear_handler_errors()
    finally:
        stock.stop()


# -- impossible arguments fail at creation --------------------------------------------------------

BAD_INPUT: dict[str, tuple[Callable[[], object], str]] = {
    "delay_negative": (lambda: faults.delay(-1), r"^delay must be a finite number of seconds >= 0, got -1"),
    "delay_nan": (lambda: faults.delay(math.nan), r"^delay must be .*got nan"),
    "delay_infinite": (lambda: faults.delay(math.inf), r"^delay must be .*got inf"),
    "uniform_low_above_high": (lambda: faults.uniform(2, 1), r"^uniform needs low <= high, got 2 > 1"),
    "uniform_negative_low": (lambda: faults.uniform(-1, 1), r"^uniform low must be"),
    "lognormal_median_zero": (lambda: faults.lognormal(0, 1), r"^lognormal median must be > 0"),
    "lognormal_median_negative": (lambda: faults.lognormal(-1, 1), r"^lognormal median must be"),
    "lognormal_sigma_negative": (lambda: faults.lognormal(1, -0.1), r"^lognormal sigma must be"),
    "lognormal_sigma_infinite": (lambda: faults.lognormal(1, math.inf), r"^lognormal sigma must be"),
    "truncate_at_body_size": (lambda: faults.truncate(BODY, 100), r"^truncate at must be .* got 100"),
    "truncate_negative": (lambda: faults.truncate(BODY, -1), r"^truncate at must be .* got -1"),
    "truncate_empty_body": (lambda: faults.truncate(b"", 0), r"^truncate at must be"),
    "after_bytes_beyond_body": (
        lambda: faults.after_bytes(101, BODY),
        r"^after_bytes count must be .*got 101",
    ),
    "after_bytes_negative": (lambda: faults.after_bytes(-1, BODY), r"^after_bytes count must be"),
    "after_bytes_then_unknown": (
        lambda: faults.after_bytes(1, BODY, then="explode"),
        r"^then must be one of close, reset, stall, got 'explode'",
    ),
    "dribble_zero_chunks": (lambda: faults.dribble(BODY, 0, 1), r"^dribble chunks must be .*got 0"),
    "dribble_more_chunks_than_bytes": (lambda: faults.dribble(BODY, 101, 1), r"^dribble chunks must be"),
    "dribble_negative_over": (lambda: faults.dribble(BODY, 2, -1), r"^dribble over must be"),
    "bandwidth_zero": (lambda: faults.bandwidth(BODY, 0), r"^bytes_per_second must be .*> 0, got 0"),
    "bandwidth_negative": (lambda: faults.bandwidth(BODY, -5), r"^bytes_per_second must be"),
    "bandwidth_infinite": (lambda: faults.bandwidth(BODY, math.inf), r"^bytes_per_second must be"),
    "slow_close_negative": (lambda: faults.slow_close(BODY, -1), r"^slow_close seconds must be"),
    "chance_above_one": (lambda: faults.chance(1.5, faults.reset()), r"^chance probability must be .*1.5"),
    "chance_below_zero": (lambda: faults.chance(-0.1, faults.reset()), r"^chance probability must be"),
    "chance_nan": (lambda: faults.chance(math.nan, faults.reset()), r"^chance probability must be"),
    "fail_times_negative": (
        lambda: faults.fail_times(-1, faults.reset(), "ok"),
        r"^fail_times needs .*times",
    ),
    "fail_times_fraction": (lambda: faults.fail_times(1.5, faults.reset(), "ok"), r"^fail_times needs"),
    "sequence_empty": (faults.sequence, r"^sequence needs at least one response"),
    "sse_after_events_beyond": (
        lambda: faults.sse(EVENTS, after_events=4),
        r"^after_events=4 but the stream has only 3 events",
    ),
    "sse_after_events_negative": (lambda: faults.sse(EVENTS, after_events=-1), r"^after_events must be"),
    "sse_invalid_item": (lambda: faults.sse([EVENTS[0], 42]), r"^a stream event must be .*got 42"),
    "sse_body_fault_as_item": (
        lambda: faults.sse([faults.truncate(BODY, 1)]),
        r"cannot stand inside a stream; use RESET, CLOSE, STALL or BAD_CHUNK",
    ),
    "sse_then_not_a_marker": (
        lambda: faults.sse(EVENTS, then="reset"),
        r"^then must be RESET, CLOSE, STALL or BAD_CHUNK, got 'reset'",
    ),
    "sse_negative_delay": (lambda: faults.sse(EVENTS, delay=-1), r"^delay must be"),
    "pause_negative": (lambda: faults.pause(-1), r"^pause must be"),
    "throttle_negative": (lambda: faults.throttle(-1), r"^retry_after must be"),
    "response_of_unknown_type": (lambda: faults.stall_after_headers(42), r"^expected a response"),
}


@pytest.mark.parametrize(("create", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_impossible_arguments_fail_at_creation(create: Callable[[], object], message: str) -> None:
    with pytest.raises(FaultError, match=message) as raised:
        create()
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, HarnessError)


def test_huge_delays_are_capped_not_crashing(service: MockService) -> None:
    """A finite but enormous wait (a long-tailed distribution's outlier) is a stall until the test
    ends, not an OverflowError in the server."""
    arrived: set[str] = set()
    service.expect_request("/late").respond_with_handler(entered(faults.delay(1e12, "late"), arrived, "late"))
    service.expect_request("/pause").respond_with_handler(
        entered(faults.sse([faults.pause(1e12), EVENTS[0]]), arrived, "pause")
    )
    late, paused = raw_request(service, "/late"), raw_request(service, "/pause")
    wait_for(lambda: arrived == {"late", "pause"}, "both requests to reach their faults")
    service.end_test()
    assert read_to_eof(late) == b""
    assert split_response(read_to_eof(paused))[1] == b""
    assert service.handler_errors == []
