"""``python -m shop``: serves /healthz and POST /checkout on $PORT; charges at $PAYMENTS_URL/charges.

Standard library only, so the quickstart example needs nothing but harness and requests.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAYMENTS_URL = os.environ.get("PAYMENTS_URL", "")


class Shop(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer(200, {"status": "ok"} if self.path == "/healthz" else {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/checkout":
            self._answer(404, {"error": "not found"})
            return
        cart = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if not PAYMENTS_URL:
            self._answer(503, {"error": "payments are disabled"})
            return
        charge = urllib.request.Request(
            f"{PAYMENTS_URL}/charges",
            data=json.dumps({"cart": cart.get("cart")}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(charge, timeout=5) as response:
                self._answer(200, {"charge": json.load(response)["id"]})
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            self._answer(502, {"error": f"payments failed: {error}"})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        print(f"shop {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Shop).serve_forever()
