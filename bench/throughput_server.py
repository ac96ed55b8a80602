"""One mock server for bench/throughput.py, in a process of its own (so the load generator's GIL is
not the server's): ``python bench/throughput_server.py KIND``.

KIND is ``harness`` (a ``MockService``, inside a test: ``begin_test()`` called), ``phs-threaded``
(pytest-httpserver's ``HTTPServer(threaded=True)``), ``phs`` (its default, non-threaded), or one of
the experiments of bench/throughput_variants.py (``harness-pool``, ``harness-nothread``). Each
expects ``GET /bench`` and answers 200 ``ok``. Prints the port, then reads commands on stdin:
``reset`` forgets the requests so far (``end_test()``+``begin_test()``, or ``clear_log()``) and
answers ``ok``; end of input stops the server.
"""

from __future__ import annotations

import sys

from pytest_httpserver import HTTPServer
from throughput_variants import VARIANTS  # beside this script, so on sys.path

from harness.mocks import MockService


def main() -> None:
    kind = sys.argv[1]
    # The stock servers log every request through werkzeug's logger (to stderr, which the bench
    # sends to /dev/null): their default cost, left in. MockService's handler does not log.
    if kind == "harness":
        server: HTTPServer = MockService("bench")
    elif kind == "phs-threaded":
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    elif kind == "phs":
        server = HTTPServer(host="127.0.0.1", port=0)
    elif kind in VARIANTS:  # experiments, see bench/throughput_variants.py
        server = VARIANTS[kind]("bench")
    else:
        sys.exit(f"unknown server kind {kind!r}")
    server.expect_request("/bench").respond_with_data("ok")
    server.start()
    if isinstance(server, MockService):
        server.begin_test()
    print(server.port, flush=True)
    for line in sys.stdin:
        if line.strip() == "reset":
            if isinstance(server, MockService):
                server.end_test()
                server.begin_test()
            else:
                server.clear_log()
            print("ok", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
