"""Bounded requests: what one abusive request costs a mock, and how soon it serves again.

Usage: python bench/abusive_requests.py [--repeat N] [--window S] [--request-timeout S]

For each kind of abusive request (a huge declared chunk or Content-Length, a negative one, a header
line or request line over 64 KiB, over 1,000 headers, a request trickled a byte a second), a fresh
``MockService`` runs in this process, as mocks do in the test runner, with the default
``max_body_bytes`` (64 MiB) and ``--request-timeout`` (default 2 s, so that the trickles end soon;
the default of the configuration is 30 s). After one good request (the warm-up), the abusive one is
sent on a connection the client does not close (the mock must answer and close on its own), except
for "then closing", the request of issue 12: its client closes right after sending it. Printed per
kind, the worst of ``--repeat`` tries:

- the status the mock answered (as ``rejected_requests`` lists it) and how long until it closed the
  connection (for a trickle: about the request timeout; otherwise at once);
- how much this process's RSS grew, measured after a window of ``--window`` seconds following the
  rejection (a runaway reader keeps growing through it; before the fix, 0.3-0.8 GB/s);
- the share of a core this process used over that window (a spinning thread: ~100 %);
- the time for a good request on a new connection afterwards: the best and the median of 5.

Loopback only, one connection at a time. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import select
import socket
import statistics
import sys
import time
from dataclasses import dataclass

import psutil

from harness.mocks import MockService

MIB = 1024 * 1024
KIB_64 = 64 * 1024
HEAD = b"POST /next HTTP/1.1\r\nHost: x\r\n"
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


@dataclass(frozen=True)
class Abuse:
    sent: bytes
    trickle: bytes = b""  # then one byte a second until the mock answers
    then_close: bool = False  # the client closes right after sending


ABUSES = {
    "chunk size 0xFFFFFFFF, then closing": Abuse(CHUNKED + b"FFFFFFFF\r\nabc", then_close=True),
    "chunk size 0xFFFFFFFF": Abuse(CHUNKED + b"FFFFFFFF\r\n" + b"x" * 16),
    "chunk size of 20 hex digits": Abuse(CHUNKED + b"F" * 20 + b"\r\n"),
    "negative Content-Length": Abuse(HEAD + b"Content-Length: -1\r\n\r\n"),
    "overflowing Content-Length (2**64)": Abuse(HEAD + b"Content-Length: %d\r\n\r\n" % 2**64),
    "Content-Length 64 MiB + 1": Abuse(HEAD + b"Content-Length: %d\r\n\r\n" % (64 * MIB + 1)),
    "header line over 64 KiB": Abuse(HEAD + b"X-Big: " + b"a" * KIB_64 + b"\r\n\r\n"),
    "1,001 headers": Abuse(HEAD + b"".join(b"X-%d: v\r\n" % i for i in range(1001)) + b"\r\n"),
    "request line over 64 KiB": Abuse(b"GET /" + b"a" * KIB_64 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    "body trickled 1 byte/s": Abuse(HEAD + b"Content-Length: 100\r\n\r\n", trickle=b"x" * 100),
    "headers trickled 1 byte/s": Abuse(b"GET /next HTTP/1.1\r\n", trickle=b"X-Slow: " + b"s" * 100),
}

#: Bound on waiting for the mock to answer one abusive request.
ANSWER_BOUND = 60.0


@dataclass
class Figures:
    status: str
    closed_after: float
    rss_growth: float
    cpu_share: float
    good_best: float
    good_median: float


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def good_request(service: MockService) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(service.host, service.port, timeout=ANSWER_BOUND)
    try:
        connection.request("GET", "/next")
        response = connection.getresponse()
        if (response.status, response.read()) != (200, b"fine"):
            raise SystemExit(f"the good request was answered {response.status}")
    finally:
        connection.close()
    return time.perf_counter() - started


def send(service: MockService, abuse: Abuse) -> float:
    """Send ``abuse``; return the seconds until the mock closed the connection."""
    started = time.monotonic()
    with socket.create_connection((service.host, service.port), timeout=ANSWER_BOUND) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(abuse.sent)
        if abuse.then_close:
            return time.monotonic() - started
        trickle = iter(abuse.trickle)
        while time.monotonic() - started < ANSWER_BOUND:
            readable, _, _ = select.select([sock], [], [], 1.0 if abuse.trickle else ANSWER_BOUND)
            if not readable:
                byte = next(trickle, None)
                if byte is not None:
                    with contextlib.suppress(OSError):
                        sock.sendall(bytes([byte]))
                continue
            try:
                if not sock.recv(65536):
                    break
            except ConnectionError:
                break
    return time.monotonic() - started


def measure(abuse: Abuse, window: float, request_timeout: float) -> Figures:
    process = psutil.Process()
    service = MockService("abused", request_timeout=request_timeout)
    service.expect_request("/next").respond_with_data("fine")
    service.start()
    try:
        good_request(service)  # warm-up
        service.begin_test()
        gc.collect()
        before = process.memory_info().rss
        closed_after = send(service, abuse)
        deadline = time.monotonic() + ANSWER_BOUND
        while not service.rejected_requests and time.monotonic() < deadline:
            time.sleep(0.01)
        rejected = service.rejected_requests
        status = rejected[0].split(" (")[0] if rejected else "not rejected"
        cpu, started = cpu_seconds(process), time.monotonic()
        time.sleep(window)  # the measurement window
        cpu_share = (cpu_seconds(process) - cpu) / (time.monotonic() - started)
        growth = (process.memory_info().rss - before) / MIB
        goods = [good_request(service) for _ in range(5)]
        return Figures(status, closed_after, growth, cpu_share, min(goods), statistics.median(goods))
    finally:
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="tries per kind; the worst is shown")
    parser.add_argument("--window", type=float, default=1.0, help="seconds of RSS and CPU watch")
    parser.add_argument("--request-timeout", type=float, default=2.0)
    args = parser.parse_args()
    cores = psutil.cpu_count()
    print(
        f"worst of {args.repeat} tries; max_body_bytes 64 MiB, request_timeout {args.request_timeout:g} s, "
        f"{args.window:g} s window; {cores} cores, Python {sys.version.split()[0]}"
    )
    columns = ["request", "answered", "closed after", "RSS growth", "CPU over window"]
    columns.append("next good request (best / median of 5)")
    print(f"| {' | '.join(columns)} |")
    print("|---" * len(columns) + "|")
    for name, abuse in ABUSES.items():
        tries = [measure(abuse, args.window, args.request_timeout) for _ in range(args.repeat)]
        statuses = sorted({figures.status for figures in tries})
        closed = max(figures.closed_after for figures in tries)
        print(
            f"| {name} | {' / '.join(statuses)} | "
            f"{'(client closed)' if abuse.then_close else f'{closed:.2f} s'} | "
            f"{max(figures.rss_growth for figures in tries):.1f} MiB | "
            f"{max(figures.cpu_share for figures in tries):.0%} | "
            f"{max(figures.good_best for figures in tries) * 1000:.1f} / "
            f"{max(figures.good_median for figures in tries) * 1000:.1f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
