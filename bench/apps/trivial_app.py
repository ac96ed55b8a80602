"""A minimal HTTP app for benchmarks: answers every GET with 200 after BENCH_START_DELAY seconds."""

import http.server
import os
import sys
import time

time.sleep(float(os.environ.get("BENCH_START_DELAY", "0")))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return


port = int(os.environ.get("PORT") or sys.argv[1])
http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
