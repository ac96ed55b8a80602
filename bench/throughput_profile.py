"""Where a mock server's time per request goes: companion of bench/throughput.py, for investigation.

Usage:
    python bench/throughput_profile.py wsgi [--n N]
    python bench/throughput_profile.py threads [--n N]
    python bench/throughput_profile.py pyspy KIND [--seconds S] [--concurrency C] [--rate HZ]

``wsgi``: the WSGI callable alone (no sockets, no threads), called in a loop with one environ of a
typical request: stock ``HTTPServer.application`` against ``MockService.application``, then the
pieces MockService adds, each timed on its own (µs per call, median of 5 batches).

``threads``: what starting one thread costs (werkzeug's threaded server starts one per connection).

``pyspy``: runs bench/throughput_server.py KIND under ``py-spy record`` (all threads, raw collapsed
stacks; needs ``pip install py-spy``) while bench/throughput.py's client loads it for S seconds at
concurrency C, then splits the samples of busy threads (py-spy leaves out threads waiting in a
system call) into stages: each stack goes to the first stage of STAGES one of whose frames it holds.
Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import collections
import gc
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from harness.mocks import MockService

BENCH = Path(__file__).resolve().parent
HEADERS = {"Host": "127.0.0.1:40000", "Connection": "close", "Accept-Encoding": "identity"}


def per_call(function: Callable[[], object], n: int) -> float:
    """Median of 5 batches of ``n`` calls, µs per call."""
    batches = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            function()
        batches.append((time.perf_counter() - started) * 1e6 / n)
    return statistics.median(batches)


def wsgi(n: int) -> None:
    environ = EnvironBuilder(path="/bench", headers=HEADERS).get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        return None

    def call(server: HTTPServer) -> Callable[[], object]:
        app = Request.application(server.application)

        def once() -> None:
            env = dict(environ)
            env["wsgi.input"] = io.BytesIO(b"")
            b"".join(app(env, start_response))
            if len(server.log) > 1000:
                server.clear_log()
                if isinstance(server, MockService):
                    server.end_test()
                    server.begin_test()

        return once

    sys.path.insert(0, str(BENCH))
    from throughput_variants import LazyJournalMock  # noqa: PLC0415

    stock, ours, lazy = HTTPServer(threaded=True), MockService("bench"), LazyJournalMock("bench")
    for server in (stock, ours, lazy):
        server.expect_request("/bench").respond_with_data("ok")
    ours.begin_test()
    lazy.begin_test()
    rounds: list[list[float]] = [[], [], []]
    for _ in range(5):  # interleaved
        for index, server in enumerate((stock, ours, lazy)):
            gc.collect()
            rounds[index].append(per_call(call(server), n))
    base, mine, deferred = (statistics.median(values) for values in rounds)
    print(f"WSGI callable, one GET /bench answered 200 'ok', µs per request (median of 25 x {n}):")
    print(f"  pytest-httpserver HTTPServer.application    {base:8.1f}")
    print(f"  MockService.application                     {mine:8.1f}   (+{mine - base:.1f})")
    print(f"  the same, JournalEntry built when read      {deferred:8.1f}   (+{deferred - base:.1f})")

    request = Request(dict(environ, **{"wsgi.input": io.BytesIO(b"")}))
    request.get_data()
    response = ours.dispatch(request)
    now = time.time()
    pieces: dict[str, Callable[[], object]] = {
        "one JournalEntry (_entry, final)": lambda: ours._entry(request, now, 0.0, response=response),
        "one JournalEntry (_entry, pending)": lambda: ours._entry(request, now, 0.0, pending=True),
        "journal open + close": lambda: ours.journal.close(ours.journal.open(None), None),  # type: ignore[arg-type]
        "repr(matcher) (the expectation's name)": lambda: repr(ours.handlers[0].matcher),
        "tuple(request.headers.items())": lambda: tuple(request.headers.items()),
        "request.path + query_string decode": lambda: (request.path, request.query_string.decode("latin-1")),
        "'X-Harness-Unmatched' in response.headers": lambda: "X-Harness-Unmatched" in response.headers,
        "Request(environ) (werkzeug)": lambda: Request(dict(environ, **{"wsgi.input": io.BytesIO(b"")})),
        "dispatch (match + respond)": lambda: ours.dispatch(request),
    }
    print("pieces, µs per call:")
    for label, function in pieces.items():
        if label == "journal open + close":
            ours.journal.clear()
        print(f"  {label:<44}{per_call(function, n):8.2f}")
        ours.journal.clear()


def threads(n: int) -> None:
    def start_join() -> None:
        thread = threading.Thread(target=lambda: None, daemon=True)
        thread.start()
        thread.join()

    def start_only() -> None:
        threading.Thread(target=lambda: None, daemon=True).start()

    print(f"thread start+join       {per_call(start_join, n):8.1f} µs")
    print(f"thread start (no join)  {per_call(start_only, n):8.1f} µs")


# -- py-spy ------------------------------------------------------------------------------------------

#: (stage, frame text that marks it), most specific first: a sample goes to the first stage with a
#: marker in any frame of its stack.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("journal: JournalEntry built (_entry)", ("_entry (harness/mocks/server.py",)),
    (
        "journal: open/close/log",
        ("open (harness/mocks/journal.py", "close (harness/mocks/journal.py", "_complete ("),
    ),
    ("near miss", ("near_miss (",)),
    ("dispatch: match + respond (pytest-httpserver)", ("dispatch (", "respond (")),
    (
        "werkzeug Request/Response objects",
        (
            "application (werkzeug/wrappers/request.py",
            "__call__ (werkzeug/wrappers/response.py",
            "get_wsgi_response",
            "get_app_iter",
            "__init__ (werkzeug/wrappers",
        ),
    ),
    ("MockService.application (own lines)", ("application (harness/mocks/server.py",)),
    ("pytest-httpserver application (own lines)", ("application (pytest_httpserver",)),
    (
        "werkzeug: write response (send_response, headers, socket write)",
        ("write (werkzeug/serving.py", "send_response", "send_header", "end_headers", "flush ("),
    ),
    ("werkzeug: make_environ", ("make_environ (",)),
    ("werkzeug: run_wsgi (own lines)", ("run_wsgi (",)),
    ("access log (werkzeug logger)", ("log_request (", "_log (werkzeug", "log (werkzeug")),
    (
        "http.server: read + parse request line and headers",
        ("parse_request (", "parse_headers (", "readline (", "handle_one_request ("),
    ),
    (
        "connection: setup/finish/shutdown/close",
        (
            "setup (socketserver",
            "finish (socketserver",
            "shutdown_request (",
            "close_request (",
            "_sock_close",
            "close (socket",
        ),
    ),
    (
        "thread per connection: Thread.start in the serving loop",
        ("start (threading.py", "process_request (socketserver"),
    ),
    ("thread bootstrap/exit", ("_bootstrap", "_delete (threading", "process_request_thread (")),
    (
        "serving loop: accept + select",
        ("_handle_request_noblock", "get_request (", "serve_forever (", "accept ("),
    ),
]


def classify(stack: list[str]) -> str:
    for stage, markers in STAGES:
        for frame in reversed(stack):
            if any(marker in frame for marker in markers):
                return stage
    return "other"


def pyspy(
    kind: str, *, seconds: float, concurrency: int, rate: int, keep: str | None, nonblocking: bool
) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        sys.exit("py-spy is not installed (pip install py-spy)")
    sys.path.insert(0, str(BENCH))
    import throughput  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        process = subprocess.Popen(
            [
                spy,
                "record",
                *(["--nonblocking"] if nonblocking else []),
                *("--format", "raw", "--rate", str(rate), "--output", str(out), "--"),
                *(sys.executable, str(BENCH / "throughput_server.py"), kind),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdin is not None
        line = process.stdout.readline()
        while not line.strip().isdigit():  # py-spy's own lines come first
            line = process.stdout.readline()
        port = int(line)
        throughput.load(port, concurrency, 1.0)  # warm up
        result = throughput.load(port, concurrency, seconds)
        process.stdin.close()
        process.wait(timeout=60)
        if keep:
            shutil.copy(out, keep)
        stages: collections.Counter[str] = collections.Counter()
        total = 0
        for line in out.read_text().splitlines():
            stack_text, _, count_text = line.rpartition(" ")
            if not stack_text:
                continue
            stack = stack_text.split(";")
            count = int(count_text)
            innermost = stack[-1]
            # Idle: blocked in select/poll/accept waits or lock waits of the serving loop.
            if any(
                idle in innermost
                for idle in ("select (selectors.py", "poll (selectors.py", "wait (threading.py")
            ):
                continue
            total += count
            stages[classify(stack)] += count
    print(
        f"py-spy on {kind}, {seconds:g} s at concurrency {concurrency}: {result.rps:.0f} requests/s; "
        f"{total} busy samples at {rate} Hz"
    )
    per_request_us = total / rate / max(result.completed, 1) * 1e6
    print(f"busy Python time ≈ {per_request_us:.0f} µs per request, by stage:")
    for stage, count in stages.most_common():
        print(f"  {stage:<64}{count / total * 100:6.1f}%  {count / total * per_request_us:6.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["wsgi", "threads", "pyspy"])
    parser.add_argument("kind", nargs="?", default="harness")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rate", type=int, default=250)
    parser.add_argument(
        "--nonblocking", action="store_true", help="py-spy does not pause the process (stacks may tear)"
    )
    parser.add_argument("--keep", metavar="PATH", help="keep py-spy's collapsed stacks there")
    args = parser.parse_args()
    if args.what == "wsgi":
        wsgi(args.n)
    elif args.what == "threads":
        threads(args.n)
    else:
        pyspy(
            args.kind,
            seconds=args.seconds,
            concurrency=args.concurrency,
            rate=args.rate,
            keep=args.keep,
            nonblocking=args.nonblocking,
        )


if __name__ == "__main__":
    main()
