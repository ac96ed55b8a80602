"""A minimal HTTP app for benchmarks that calls one downstream: GET /call makes one GET {UPSTREAM}/call
(a new connection, http.client, no proxy) and answers with the downstream's status and body; every
other GET (the health check) answers 200 at once."""

import http.client
import http.server
import os
import sys
from urllib.parse import urlsplit

UPSTREAM = urlsplit(os.environ["UPSTREAM"])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = 200, b"ok"
        if self.path == "/call":
            connection = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=10)
            try:
                connection.request("GET", "/call")
                response = connection.getresponse()
                status, body = response.status, response.read()
            except OSError as error:
                status, body = 502, f"upstream: {error}".encode()
            finally:
                connection.close()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


port = int(os.environ.get("PORT") or sys.argv[1])
http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
