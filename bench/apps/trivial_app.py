"""A minimal HTTP app for benchmarks: answers every GET with 200 after BENCH_START_DELAY seconds.

Run as a script it serves on $PORT (or argv[1]); BENCH_IGNORE_TERM=1 makes it ignore SIGTERM (a
stubborn app that only SIGKILL stops); BENCH_START_CPU=N makes its start busy for N seconds of CPU
time (a start that computes, like heavy imports or a JIT warming up, rather than waits);
BENCH_READY_FILE names a file it writes its time.monotonic() to once it listens.
:func:`serve_in_thread` runs the same server inside the calling process instead, in a daemon thread
(how CWYD-style scaffolding ran its app).
"""

import http.server
import os
import signal
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return


class InProcessApp:
    """The app served by a daemon thread of this process (see :func:`serve_in_thread`)."""

    def __init__(self, port: int, delay: float) -> None:
        self.server: http.server.HTTPServer | None = None
        #: time.monotonic() right after the server started listening (None until then).
        self.listening_at: float | None = None
        self.thread = threading.Thread(
            target=self._run, args=(port, delay), name="in-process-app", daemon=True
        )
        self.thread.start()

    def _run(self, port: int, delay: float) -> None:
        time.sleep(delay)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.listening_at = time.monotonic()
        self.server.serve_forever()

    def shutdown(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(port: int, delay: float = 0.0) -> InProcessApp:
    """Start the app in a daemon thread of this process: sleep ``delay``, then serve on ``port``."""
    return InProcessApp(port, delay)


if __name__ == "__main__":
    if os.environ.get("BENCH_IGNORE_TERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(float(os.environ.get("BENCH_START_DELAY", "0")))
    busy_until = time.process_time() + float(os.environ.get("BENCH_START_CPU", "0"))
    while time.process_time() < busy_until:
        pass
    port = int(os.environ.get("PORT") or sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if os.environ.get("BENCH_READY_FILE"):  # when it started listening, for the benchmark's lag figures
        with open(os.environ["BENCH_READY_FILE"], "w") as handle:
            handle.write(repr(time.monotonic()))
    server.serve_forever()
