"""How closely a MockService keeps the delays harness.faults asks for, as a client sees them.

Usage: python bench/fault_timing.py [--requests N] [--concurrency N]

Three routes on one MockService on 127.0.0.1, each hit by a client that opens a new connection for
every request (http.client, no keep-alive):

* ``faults.delay(0.2, {"ok": True})``, N sequential requests: min / median / p95 / max latency, and
  whether p95 lies within 200-215 ms;
* ``faults.delay(1.0, ...)``, C requests at once from C threads: wall time until the last answer
  (target <= 1.2 s, i.e. the delays overlap instead of queueing);
* ``faults.delay(faults.uniform(0.1, 0.3, seed=1), ...)``, N sequential requests: the observed median
  next to the median of the delays the seeded distribution drew.

Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import statistics
import threading
import time
from urllib.parse import urlsplit

from harness import MockService, faults

FIXED = 0.2
FIXED_TARGET_MS = (200.0, 215.0)
CONCURRENT_DELAY = 1.0
CONCURRENT_TARGET = 1.2
UNIFORM = (0.1, 0.3, 1)  # low, high, seed


def timed_get(host: str, port: int, path: str) -> float:
    """Seconds from opening a new connection to the end of the answer's body."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
    finally:
        connection.close()
    return time.perf_counter() - started


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def sequential(host: str, port: int, path: str, count: int) -> list[float]:
    timed_get(host, port, path)  # warm-up, not counted: first-request imports and allocations
    return [timed_get(host, port, path) for _ in range(count)]


def concurrent(host: str, port: int, path: str, count: int) -> tuple[float, list[float]]:
    """Wall time from a common start to the last answer, and each request's own latency."""
    barrier = threading.Barrier(count + 1)
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        latency = timed_get(host, port, path)
        with lock:
            latencies.append(latency)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="sequential requests per route")
    parser.add_argument("--concurrency", type=int, default=16, help="simultaneous requests")
    args = parser.parse_args()

    low, high, seed = UNIFORM
    service = MockService("bench")
    service.expect_request("/fixed").respond_with_fault(faults.delay(FIXED, {"ok": True}))
    service.expect_request("/slow").respond_with_fault(faults.delay(CONCURRENT_DELAY, {"ok": True}))
    service.expect_request("/uniform").respond_with_fault(
        faults.delay(faults.uniform(low, high, seed=seed), {"ok": True})
    )
    service.start()
    address = urlsplit(service.url)
    host, port = address.hostname or "127.0.0.1", address.port or 0
    print(f"MockService on {service.url}, {os.cpu_count()} cores, a new connection per request")
    try:
        fixed = [s * 1000 for s in sequential(host, port, "/fixed", args.requests)]
        low_ms, high_ms = FIXED_TARGET_MS
        fixed_p95 = p95(fixed)
        verdict = "within" if low_ms <= fixed_p95 <= high_ms else "OUTSIDE"
        print(
            f"delay {FIXED * 1000:.0f} ms, {args.requests} sequential: min {min(fixed):.1f} ms, "
            f"median {statistics.median(fixed):.1f} ms, p95 {fixed_p95:.1f} ms, max {max(fixed):.1f} ms"
            f" -> p95 {verdict} {low_ms:.0f}-{high_ms:.0f} ms"
        )

        wall, each = concurrent(host, port, "/slow", args.concurrency)
        verdict = "within" if wall <= CONCURRENT_TARGET else "OVER"
        print(
            f"delay {CONCURRENT_DELAY:g} s, {args.concurrency} concurrent: wall {wall * 1000:.1f} ms "
            f"(each {min(each) * 1000:.1f}-{max(each) * 1000:.1f} ms) -> {verdict} target "
            f"{CONCURRENT_TARGET * 1000:.0f} ms"
        )

        # The service's generator draws one delay per request, warm-up included: replay the same draws.
        rng = random.Random(seed)
        drawn = [rng.uniform(low, high) * 1000 for _ in range(args.requests + 1)][1:]
        observed = [s * 1000 for s in sequential(host, port, "/uniform", args.requests)]
        print(
            f"uniform {low:g}-{high:g} s (seed {seed}), {args.requests} sequential: observed median "
            f"{statistics.median(observed):.1f} ms, drawn median {statistics.median(drawn):.1f} ms, "
            f"overhead median {statistics.median(o - d for o, d in zip(observed, drawn, strict=True)):.1f} ms"
        )
    finally:
        service.stop()


if __name__ == "__main__":
    main()
