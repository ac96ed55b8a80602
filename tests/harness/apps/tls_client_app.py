"""An app that calls HTTPS URLs with many clients, each left at its defaults (no verify argument).

Whatever trust it has comes from its environment: the TLS tests prove that the environment harness
gives an app is enough for each client to accept a ``tls = true`` mock.

PORT                    port to listen on
GET /health             200
GET /fetch?client=C&url=U
                        GET U with client C (requests, httpx, httpx2, openai, urllib, http.client,
                        curl, node, java); always answers 200 with JSON {"status", "body", "error"}: the
                        upstream's status and body, or the client's error as "Type: message".
                        openai: U is the base URL, the call is ``client.models.list()``.
GET /env?name=X         the value of env var X (or "<unset>")
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

TIMEOUT = 10

#: Node's fetch, left at its defaults: it trusts its own roots plus NODE_EXTRA_CA_CERTS.
NODE_FETCH = Path(__file__).with_name("node_fetch.js")


def fetch(client: str, url: str) -> dict[str, Any]:
    """GET ``url`` with ``client`` at its defaults; the outcome as a dict."""
    if client == "requests":
        import requests  # noqa: PLC0415 - each client only when asked for

        response = requests.get(url, timeout=TIMEOUT)
        return {"status": response.status_code, "body": response.text}
    if client == "httpx":
        import httpx  # noqa: PLC0415 - each client only when asked for

        reply = httpx.get(url, timeout=TIMEOUT)
        return {"status": reply.status_code, "body": reply.text}
    if client == "httpx2":
        import httpx2  # noqa: PLC0415 - each client only when asked for

        with httpx2.Client(timeout=TIMEOUT) as session:
            answer = session.get(url)
            return {"status": answer.status_code, "body": answer.text}
    if client == "openai":
        import openai  # noqa: PLC0415 - each client only when asked for

        sdk = openai.OpenAI(base_url=url, api_key="test-key", max_retries=0, timeout=TIMEOUT)
        models = sdk.models.list()
        return {"status": 200, "body": ",".join(model.id for model in models.data)}
    if client == "urllib":
        with urllib.request.urlopen(url, timeout=TIMEOUT) as opened:
            return {"status": opened.status, "body": opened.read().decode()}
    if client == "http.client":
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=TIMEOUT)
        try:
            connection.request("GET", parts.path or "/")
            got = connection.getresponse()
            return {"status": got.status, "body": got.read().decode()}
        finally:
            connection.close()
    if client == "curl":
        done = subprocess.run(
            ["curl", "-sS", "-w", "\n%{http_code}", "-m", str(TIMEOUT), url],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return {"error": f"curl exit {done.returncode}: {done.stderr.strip()}"}
        body, _, status = done.stdout.rpartition("\n")
        return {"status": int(status), "body": body}
    if client == "java":  # trusts what JAVA_TOOL_OPTIONS names (-Djavax.net.ssl.trustStore=...)
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fetch.java")
        done = subprocess.run(
            ["java", source, url], capture_output=True, text=True, check=False, timeout=TIMEOUT * 6
        )
        if done.returncode != 0:
            return {"error": f"java exit {done.returncode}: {done.stderr.strip()[-2000:]}"}
        status, _, body = done.stdout.partition(" ")
        return {"status": int(status), "body": body}
    if client == "node":
        done = subprocess.run(
            ["node", str(NODE_FETCH), url], capture_output=True, text=True, check=False, timeout=TIMEOUT * 2
        )
        outcome: dict[str, Any] = json.loads(done.stdout or '{"error": "node printed nothing"}')
        if done.stderr.strip():
            outcome["stderr"] = done.stderr.strip()
        return outcome
    raise ValueError(f"unknown client {client!r}")


def describe(error: BaseException) -> str:
    """``Type: message`` of ``error`` and of what it wraps (SDKs hide the TLS error in a cause)."""
    parts = []
    current: BaseException | None = error
    while current is not None and len(parts) < 6:
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {key: values[0] for key, values in urllib.parse.parse_qs(url.query).items()}
        body: bytes = b"ok"
        if url.path == "/fetch":
            try:
                outcome = fetch(query["client"], query["url"])
            except Exception as error:  # reported to the test, which asserts on it
                outcome = {"error": describe(error)}
            body = json.dumps(outcome).encode()
        elif url.path == "/env":
            body = os.environ.get(query["name"], "<unset>").encode()
        print(f"tls_client_app {self.command} {self.path}", flush=True)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ["PORT"])
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
print(f"tls_client_app pid={os.getpid()} listening on {port}", flush=True)
server.serve_forever()
