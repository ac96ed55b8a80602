"""A small "chat with your data"-shaped app for bench/scaling.py (Python stdlib only).

``POST /api/ask`` with ``{"question": ..., "services": ["search", "openai", "safety"]}`` calls each
named upstream in turn (``POST <NAME>_URL/query`` with the configured API key) and answers with what
they said: ``{"config": APP_CONFIG, "answers": {name: upstream JSON}}``; an upstream failure is a 502
naming it. ``GET /health`` answers 200.

Two ways to run it, the two styles bench/scaling.py compares:

* as a process (what harness does): ``PORT=0 python cwyd_app.py``, configuration from the environment;
* in a thread of the test runner (the CWYD-style scaffolding): ``make_server(port, os.environ)``.

``BENCH_REQUEST_DELAY`` (seconds) is added to every ``/api/ask``, to model per-request work.
``BENCH_APP_IMPORTS`` (comma-separated module names, e.g. ``flask,openai``) are imported when the
server is built, to model a real app's start-up cost: a process pays it at every start, the
in-thread style only once per test run (the modules stay cached in the runner).
"""

from __future__ import annotations

import http.server
import importlib
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

SERVICES = ("search", "openai", "safety")


class AppServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, environ: Mapping[str, str]) -> None:
        for module in filter(None, environ.get("BENCH_APP_IMPORTS", "").split(",")):
            importlib.import_module(module.strip())
        # Read once, at start: the config lives as long as the server (as in a real app's singletons).
        self.config_name = environ.get("APP_CONFIG", "default")
        self.api_key = environ.get("API_KEY", "")
        self.timeout = float(environ.get("DOWNSTREAM_TIMEOUT", "5"))
        #: Seconds each request waits besides its upstream calls (models an app's own per-request work).
        self.request_delay = float(environ.get("BENCH_REQUEST_DELAY", "0"))
        self.urls = {name: environ.get(f"{name.upper()}_URL", "").rstrip("/") for name in SERVICES}
        super().__init__(("127.0.0.1", port), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    server: AppServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, {"status": "ok"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, {"error": "invalid JSON"})
            return
        if self.path != "/api/ask":
            self._send(404, {"error": "not found"})
            return
        if self.server.request_delay:
            time.sleep(self.server.request_delay)
        answers: dict[str, Any] = {}
        for name in body.get("services", []):
            url = self.server.urls.get(name)
            if not url:
                self._send(400, {"error": f"service {name!r} is not configured"})
                return
            try:
                answers[name] = self._call(url, body.get("question", ""))
            except (OSError, ValueError) as error:
                self._send(502, {"error": name, "detail": str(error)})
                return
        self._send(200, {"config": self.server.config_name, "answers": answers})

    def _call(self, url: str, question: str) -> Any:
        payload = json.dumps({"question": question, "config": self.server.config_name}).encode()
        request = urllib.request.Request(
            f"{url}/query",
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "api-key": self.server.api_key},
        )
        with urllib.request.urlopen(request, timeout=self.server.timeout) as response:
            return json.loads(response.read())

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


def make_server(port: int, environ: Mapping[str, str]) -> AppServer:
    return AppServer(port, environ)


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def main() -> int:
    server = make_server(int(os.environ.get("PORT", "0")), os.environ)
    signal.signal(signal.SIGTERM, _stop)
    print(f"cwyd_app {server.config_name} listening on port {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
