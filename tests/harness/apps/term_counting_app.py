"""An app that logs each SIGTERM it gets and exits 0.2 s after the first."""

import http.server
import os
import signal
import threading

received = []


def on_term(signum: int, frame: object) -> None:
    received.append(signum)
    print(f"SIGTERM #{len(received)}", flush=True)
    if len(received) == 1:
        threading.Timer(0.2, lambda: os._exit(0)).start()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


signal.signal(signal.SIGTERM, on_term)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
