"""``python -m quotes``: serves /healthz and GET /quote/<id> on $PORT, from the quotes service at
$QUOTES_URL (its key in $QUOTES_API_KEY).

Standard library only, so the example needs nothing but harness and requests.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

QUOTES_URL = os.environ.get("QUOTES_URL", "")
QUOTES_API_KEY = os.environ.get("QUOTES_API_KEY", "")


class Quotes(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(200, {"status": "ok"})
        elif self.path.startswith("/quote/"):
            self._quote(self.path.removeprefix("/quote/"))
        else:
            self._answer(404, {"error": "not found"})

    def _quote(self, quote_id: str) -> None:
        # ts changes on every call: the example's [replay] options leave it out of matching.
        call = urllib.request.Request(
            f"{QUOTES_URL}/v1/quotes/{quote_id}?lang=en&ts={time.time():.0f}",
            headers={"x-api-key": QUOTES_API_KEY, "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(call, timeout=5) as response:
                quote = json.load(response)
            self._answer(200, {"quote": f"{quote['text']} ({quote['author']})"})
        except urllib.error.HTTPError as error:
            self._answer(502 if error.code >= 500 else error.code, {"error": f"quotes said {error.code}"})
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            self._answer(502, {"error": f"quotes failed: {error}"})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        print(f"quotes {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Quotes).serve_forever()
