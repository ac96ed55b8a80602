"""A tiny app whose code coverage the harness's own tests measure (see test_app_coverage.py).

GET /health      200 "ok"
GET /covered     calls only_on_the_covered_route(): its marked line runs in this process only
PORT             port to listen on
COVERED_ON_TERM  what SIGTERM does:
                 "exit"    (default) a handler raises SystemExit(0): a clean exit, atexit handlers run
                 "default" no handler of ours: the process dies of the signal, atexit handlers do NOT run

The lines marked ``# ONLY-THE-APP`` and ``# NEVER-RUN`` are found by the test through those markers.
"""

import http.server
import os
import signal
import sys


def only_on_the_covered_route() -> bytes:
    answer = b"covered"  # ONLY-THE-APP
    return answer


def never_called() -> bytes:
    return b"nobody calls this"  # NEVER-RUN


def _stop(signum: int, frame: object) -> None:
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
        print("covered_app stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
