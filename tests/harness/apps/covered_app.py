"""A tiny app whose code coverage the harness's own tests measure (see test_app_coverage.py).

GET /health      200 "ok"
GET /covered     200 "covered", through only_on_the_covered_route(): a line only this process runs
PORT             port to listen on
COVERED_ON_TERM  what SIGTERM does:
                 "exit"    (default) our handler ends serve_forever() with SystemExit(0): a clean exit
                           that runs the finally block and atexit handlers (where coverage saves)
                 "default" no handler of ours: the process dies of the signal and atexit handlers do
                           NOT run (only coverage's own `sigterm = true` handler can save its data)

The test finds the lines it checks by the marker comment that ends them (ONLY-THE-APP, NEVER-RUN,
AFTER-SIGTERM), so this file can change without renumbering the test.
"""

import http.server
import os
import signal
import sys


def only_on_the_covered_route() -> bytes:
    return b"covered"  # ONLY-THE-APP


def never_called() -> bytes:
    return b"nobody calls this"  # NEVER-RUN


def _stop(signum: int, frame: object) -> None:
    # Ignore any further SIGTERM: a second one arriving while atexit handlers run (coverage writing
    # its data file) would raise SystemExit inside them and lose the data.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = only_on_the_covered_route() if self.path == "/covered" else b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def main() -> None:
    if os.environ.get("COVERED_ON_TERM", "exit") == "exit":
        signal.signal(signal.SIGTERM, _stop)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    print(f"covered_app pid={os.getpid()} listening on {server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        print("covered_app stopped", flush=True)  # AFTER-SIGTERM


if __name__ == "__main__":
    sys.exit(main())
