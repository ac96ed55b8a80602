"""Mock throughput: requests per second, a new connection per request (or kept), 1 and 8 concurrent clients.

Usage: python bench/throughput.py [--runs R] [--seconds S] [--concurrency C ...] [--no-wiremock]
           [--keep-alive]

Servers, each in a process of its own (bench/throughput_server.py), all answering ``GET /bench``
with 200 ``ok`` on 127.0.0.1:

- ``harness``: a ``MockService`` inside a test (``begin_test()``), journal and all;
- ``phs-threaded``: pytest-httpserver's ``HTTPServer(threaded=True)``;
- ``phs``: pytest-httpserver's default ``HTTPServer()`` (one request at a time, HTTP/1.0);
- ``wiremock``: WireMock 3 standalone (``java -jar``, default JVM flags, its request journal on as
  ours is), installed from npm into ~/.cache/harness-tests/wiremock by tests/support/wiremock.py;
  left out with a note when java or npm (or the first download) is unavailable.

The client is the same for every server: one thread, non-blocking raw sockets and a selector,
keeping C requests in flight; each request is a new TCP connection (``Connection: close``), read
up to its Content-Length, then closed. With ``--keep-alive`` each of the C connections sends its
next request once the answer is in, and is replaced only when the server ends it (pytest-httpserver's
default server speaks HTTP/1.0 and ends every one). A measurement runs for S seconds (no new request after S;
those in flight are finished) and counts completed 200s. Every server is warmed up first (3 s;
WireMock 30 s, until the JVM has compiled its hot paths), and its requests are forgotten before
each measurement (``end_test()``/``clear_log()``, WireMock's ``DELETE /__admin/requests``).
Measurements are interleaved (run, concurrency, server order rotated). Also printed: the server
process's CPU time per request (user+system, all its threads), which does not depend on how fast
the client is, and how busy the client was. A measurement during which other processes used more
than ``--foreign-limit`` cores (bench/_common.py) is repeated, up to ``--retries`` times, and left
out of the medians if it never was quiet. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import math
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common
import psutil
from _common import median, rotated, undisturbed

from tests.support import wiremock

SERVER = _common.BENCH / "throughput_server.py"
PYTHON_SERVERS = ("harness", "phs-threaded", "phs")
#: What every server answers; WireMock is told so by this stub.
STUB = {"request": {"method": "GET", "url": "/bench"}, "response": {"status": 200, "body": "ok"}}
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)


# -- servers -----------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[Any]

    def reset(self) -> None:
        if self.name == "wiremock":
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            connection.request("DELETE", "/__admin/requests")
            connection.getresponse().read()
            connection.close()
            return
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("reset\n")
        self.process.stdin.flush()
        self.process.stdout.readline()

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.name == "wiremock":
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_python_server(kind: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, str(SERVER), kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    return Server(kind, int(process.stdout.readline()), process)


def start_wiremock(workdir: Path) -> Server | str:
    """A running WireMock (fully compiling, with its request journal, as it runs for real), or why it
    is unavailable."""
    try:
        jar = wiremock.ensure_jar(announce=lambda text: print(text, flush=True))
        started = wiremock.start(jar, workdir / "wiremock.log", journal=True, quick=False)
    except (wiremock.WireMockUnavailable, AssertionError) as error:
        return str(error).splitlines()[0]
    try:
        started.add_stub(STUB)
    except AssertionError as error:
        started.stop()
        return str(error)
    finally:
        started.session.close()
    print(f"WireMock {wiremock.package_version()}: {jar}", flush=True)
    return Server("wiremock", started.port, started.process)


# -- the client --------------------------------------------------------------------------------------


@dataclass
class Load:
    completed: int
    errors: int
    seconds: float
    client_cpu: float

    @property
    def rps(self) -> float:
        return self.completed / self.seconds


def load(port: int, concurrency: int, seconds: float, keep_alive: bool = False) -> Load:
    """Keep ``concurrency`` requests in flight for ``seconds``, a new connection each (``keep_alive``:
    the next request on the same connection, unless the server ended it); finish those in flight at
    the end."""
    address = ("127.0.0.1", port)
    closing = "" if keep_alive else "Connection: close\r\n"
    request = f"GET /bench HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{closing}\r\n".encode()
    selector = selectors.DefaultSelector()
    completed = errors = 0

    def open_one() -> bool:
        nonlocal errors
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.settimeout(10)
        try:
            connection.connect(address)  # loopback: completes in the kernel, or waits in the backlog
            connection.sendall(request)
        except OSError:
            connection.close()
            errors += 1
            return False
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ, bytearray())
        return True

    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    for _ in range(concurrency):
        open_one()
    while selector.get_map():
        events = selector.select(timeout=10)
        if not events:  # nothing in 10 s: count what is stuck as failed, stop
            for key in list(selector.get_map().values()):
                selector.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]
                errors += 1
            break
        for key, _ in events:
            connection: socket.socket = key.fileobj  # type: ignore[assignment]
            buffer: bytearray = key.data
            try:
                data = connection.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data, failed = b"", True
            else:
                failed = False
            buffer += data
            head_end = buffer.find(b"\r\n\r\n")
            done = False
            if head_end >= 0:
                length = _CONTENT_LENGTH.search(buffer, 0, head_end + 2)
                if length:
                    done = len(buffer) >= head_end + 4 + int(length.group(1))
                elif _CHUNKED.search(buffer, 0, head_end + 2):  # WireMock's way: the last chunk ends it
                    done = buffer.endswith(b"\r\n0\r\n\r\n")
                else:
                    done = not data
            if done and keep_alive and data and time.perf_counter() < deadline:
                head = bytes(buffer[:head_end]).lower()
                if buffer.startswith(b"HTTP/1.1 200") and b"\r\nconnection: close" not in head:
                    completed += 1
                    del buffer[:]
                    try:
                        connection.send(request)  # a few dozen bytes: the socket buffer takes them
                    except OSError:
                        pass
                    else:
                        continue
                    completed -= 1
            if done or not data or failed:
                selector.unregister(connection)
                connection.close()
                if done and buffer.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                    completed += 1
                else:
                    errors += 1
                if time.perf_counter() < deadline:
                    while not open_one() and time.perf_counter() < deadline:
                        pass
    elapsed = time.perf_counter() - started
    selector.close()
    return Load(completed, errors, elapsed, time.process_time() - cpu)


# -- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the runs")
    parser.add_argument(
        "--jvm-warmup", type=float, default=30.0, help="seconds of load before the runs, for WireMock"
    )
    parser.add_argument("--no-wiremock", action="store_true")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="clients keep their connection for the next request (a server that ends it gets a new one)",
    )
    _common.add_arguments(parser)
    parser.add_argument(
        "--only",
        action="append",
        metavar="KIND",
        help="servers to measure (repeatable): harness, phs-threaded, phs, wiremock, or an experiment "
        "of bench/throughput_variants.py (harness-pool, harness-nothread); default: the first four",
    )
    args = parser.parse_args()
    levels = args.concurrency or [1, 8]
    mode = "keep-alive connections" if args.keep_alive else "new connection per request"
    print(
        f"requests/s, {mode}, {args.seconds:g} s per measurement, medians of "
        f"{args.runs} interleaved runs, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        flush=True,
    )
    kinds = args.only or [*PYTHON_SERVERS, "wiremock"]
    servers: list[Server] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="harness-throughput-") as tmp:
        try:
            for kind in kinds:
                if kind != "wiremock":
                    servers.append(start_python_server(kind))
                elif args.no_wiremock:
                    notes.append("wiremock: left out (--no-wiremock)")
                else:
                    started = start_wiremock(Path(tmp))
                    if isinstance(started, str):
                        notes.append(f"wiremock: left out: {started}")
                    else:
                        servers.append(started)
            for server in servers:  # the JVM compiles its hot paths during the first seconds
                warmup = max(args.warmup, args.jvm_warmup) if server.name == "wiremock" else args.warmup
                for concurrency in levels:
                    load(server.port, concurrency, warmup / len(levels), args.keep_alive)
            rps: dict[tuple[str, int], list[float]] = {(s.name, c): [] for s in servers for c in levels}
            cpu: dict[tuple[str, int], list[float]] = {(s.name, c): [] for s in servers for c in levels}
            busy: dict[tuple[str, int], list[float]] = {(s.name, c): [] for s in servers for c in levels}
            errors: dict[tuple[str, int], int] = {(s.name, c): 0 for s in servers for c in levels}
            redone = dropped = 0
            for run in range(args.runs):
                shown = []
                for concurrency in levels:
                    for server in rotated(servers, run):
                        server.reset()
                        time.sleep(0.2)  # let the previous server's last threads and sockets go

                        def measure(
                            server: Server = server, concurrency: int = concurrency
                        ) -> tuple[Load, float]:
                            before = server.cpu_seconds()
                            result = load(server.port, concurrency, args.seconds, args.keep_alive)
                            return result, server.cpu_seconds() - before

                        (result, used), share, repeats = undisturbed(
                            measure, limit=args.foreign_limit, retries=args.retries
                        )
                        redone += repeats
                        key = (server.name, concurrency)
                        errors[key] += result.errors
                        if share > args.foreign_limit:  # still disturbed: left out of the medians
                            dropped += 1
                            result = Load(0, result.errors, math.nan, math.nan)
                        rps[key].append(result.rps)
                        cpu[key].append(
                            used * 1e6 / max(result.completed, 1) if result.completed else math.nan
                        )
                        busy[key].append(result.client_cpu / result.seconds * 100)
                    shown.append(
                        f"c={concurrency} "
                        + " ".join(f"{s.name} {rps[s.name, concurrency][-1]:.0f}" for s in servers)
                    )
                print(f"  run {run + 1}: " + "; ".join(shown), flush=True)
        finally:
            for server in servers:
                server.stop()
    names = [server.name for server in servers]
    width = max(14, *(len(name) + 2 for name in names))
    heading = f"{'clients':<8}" + "".join(f"{name:>{width}}" for name in names)
    print(heading + "   (requests/s, median)")
    for concurrency in levels:
        figures = (median(rps[n, concurrency]) for n in names)
        print(f"{concurrency:<8}" + "".join(f"{figure:>{width}.0f}" for figure in figures))
    print(heading + "   (server CPU µs/request, median)")
    for concurrency in levels:
        figures = (median(cpu[n, concurrency]) for n in names)
        print(f"{concurrency:<8}" + "".join(f"{figure:>{width}.0f}" for figure in figures))
    print(heading + "   (client CPU busy %, median: near 100 means the client limits the figure)")
    for concurrency in levels:
        figures = (median(busy[n, concurrency]) for n in names)
        print(f"{concurrency:<8}" + "".join(f"{figure:>{width}.0f}" for figure in figures))
    if "harness" in names:
        print("harness / other: ratio of median rps (median of the per-run ratios)")
        for concurrency in levels:
            ours = rps["harness", concurrency]
            parts = []
            for name in names:
                if name == "harness":
                    continue
                theirs = rps[name, concurrency]
                paired = median([a / b for a, b in zip(ours, theirs, strict=True)])
                ratio = median(ours) / median(theirs)
                parts.append(f"{name} {ratio:.2f}x ({paired:.2f}x)")
            print(f"  c={concurrency}: " + ", ".join(parts))
    failed = {key: count for key, count in errors.items() if count}
    print("errors: " + (", ".join(f"{n} c={c}: {k}" for (n, c), k in failed.items()) if failed else "none"))
    print(_common.summary(args, redone, dropped))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
