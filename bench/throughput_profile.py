"""Where a mock's CPU goes per request, without the network: the figures behind "What limits us" in
docs/benchmarks.md.

Usage: python bench/throughput_profile.py [--requests N] [--runs R] [--profile] [--top K]

One ``MockService`` inside a test, journal on, expecting ``GET /bench`` and answering 200 ``ok``,
as in bench/throughput.py. Its request handler serves one end of a socket pair in this thread; the
other end gets N pipelined keep-alive requests from a feeding thread, and a draining thread reads
the answers. So what is timed is the mock's own per-request work (request line and headers parsed,
WSGI environ, werkzeug ``Request``, matching, journal, answer written) with no accept, no thread
hand-off and no TCP connection set-up: the floor under the figures of bench/throughput.py.
Prints µs of wall and CPU per request (medians of R runs), and what http.server's header parsing
(``http.client.parse_headers``, the ``email`` package) costs for the headers the openai SDK sends,
the largest part a faster parser could save; with ``--profile``, a cProfile of one more run,
grouped by the stage each function belongs to, and its top K functions by own time.
Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import pstats
import socket
import threading
import time

import _common  # noqa: F401  # puts the checkout on sys.path
from _common import median

from harness.mocks import MockService
from harness.mocks.hardening import QuietRequestHandler

REQUEST = b"GET /bench HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#: The header block of an openai SDK chat call (8 headers), as http.server parses it.
SDK_HEADERS = (
    b"Host: 127.0.0.1:1234\r\nUser-Agent: AzureOpenAI/Python 1.50.0\r\nAccept: application/json\r\n"
    b"Content-Type: application/json\r\napi-key: key\r\nContent-Length: 120\r\n"
    b"x-stainless-lang: python\r\nx-stainless-retry-count: 0\r\n\r\n"
)

#: Stages of a request, by the module a profiled function lives in (the first that matches wins).
STAGES = (
    ("parse (http.server, email)", ("http/server.py", "http/client.py", "email/")),
    ("environ, Request (werkzeug)", ("werkzeug/serving.py", "werkzeug/sansio", "werkzeug/wrappers/request")),
    (
        "matching, journal (harness, pytest-httpserver)",
        ("harness/mocks/server.py", "harness/mocks/journal", "harness/mocks/matching", "pytest_httpserver"),
    ),
    (
        "answer (werkzeug Response, harness writer)",
        ("werkzeug/wrappers/response", "werkzeug/datastructures", "harness/mocks/keepalive"),
    ),
    ("reading, limits (harness hardening, io)", ("harness/mocks/hardening", "socket.py", "socketserver.py")),
)


def serve(count: int, profiler: cProfile.Profile | None = None) -> tuple[float, float]:
    """Serve ``count`` pipelined requests on one connection; return (wall, cpu) seconds each."""
    mock = MockService("bench")
    mock.start()
    mock.begin_test()
    mock.expect_request("/bench").respond_with_data("ok")
    client, server_end = socket.socketpair()

    def feed() -> None:
        for _ in range(count):
            client.sendall(REQUEST)
        client.shutdown(socket.SHUT_WR)

    def drain() -> None:
        while client.recv(1 << 20):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    drainer = threading.Thread(target=drain, daemon=True)
    feeder.start()
    drainer.start()
    wall, cpu = time.perf_counter(), time.thread_time()
    if profiler is not None:
        profiler.enable()
    QuietRequestHandler(server_end, ("127.0.0.1", 1), mock.server)  # serves until the client ends
    if profiler is not None:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    server_end.close()  # what the server does after its handler: the drainer sees the end
    feeder.join()
    drainer.join()
    client.close()
    served = len(mock.requests)
    mock.stop()
    if served != count:
        raise SystemExit(f"the mock journaled {served} of {count} requests")
    return wall / count, cpu / count


def header_parse_seconds(count: int = 20_000) -> float:
    """Seconds per ``http.client.parse_headers`` of :data:`SDK_HEADERS`."""
    started = time.perf_counter()
    for _ in range(count):
        http.client.parse_headers(io.BytesIO(SDK_HEADERS))
    return (time.perf_counter() - started) / count


def stage_of(filename: str) -> str:
    for stage, parts in STAGES:
        if any(part in filename for part in parts):
            return stage
    return "C built-ins (socket sends, str methods, isinstance), threading"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one more run, by stage")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    serve(500)  # warm-up: imports, first-call caches
    results = [serve(args.requests) for _ in range(args.runs)]
    wall = median([result[0] for result in results]) * 1e6
    cpu = median([result[1] for result in results]) * 1e6
    print(f"{args.requests} pipelined keep-alive requests on one connection, medians of {args.runs} runs:")
    print(f"  {wall:.0f} µs wall, {cpu:.0f} µs CPU (the serving thread's) per request")
    parse = median([header_parse_seconds() for _ in range(args.runs)]) * 1e6
    print(f"  http.client.parse_headers of the openai SDK's 8 request headers: {parse:.1f} µs")
    if not args.profile:
        return
    profiler = cProfile.Profile()
    serve(args.requests, profiler)
    stats = pstats.Stats(profiler)
    by_stage: dict[str, float] = {}
    total = 0.0
    for (filename, _line, _name), (_calls, _primitive, own, _cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_stage[stage_of(filename)] = by_stage.get(stage_of(filename), 0.0) + own
        total += own
    profiled = total * 1e6 / args.requests
    print(f"\ncProfile of one run ({profiled:.0f} µs per request profiled), own time by stage:")
    for stage, own in sorted(by_stage.items(), key=lambda item: -item[1]):
        print(f"  {100 * own / total:5.1f} %  {stage}")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
