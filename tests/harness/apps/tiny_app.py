"""A throwaway app for the harness's own tests; every behaviour is chosen through the environment.

TINY_START_DELAY   seconds to sleep before listening (default 0)
TINY_EXIT_CODE     exit with this code instead of listening (after TINY_START_DELAY)
TINY_HEALTH_STATUS status code of GET /health (default 200)
TINY_IGNORE_TERM   "1": ignore SIGTERM (teardown must SIGKILL)
TINY_GRANDCHILD    "1": start a child process that sleeps forever (teardown must find it)
UPSTREAM           base URL of a mock; GET /call fetches UPSTREAM + "/thing" and returns its body
PORT               port to listen on (or argv[1])
TINY_HOST          address to listen on (default 127.0.0.1; an IPv6 address such as ::1 works)
GET /env?name=X answers the value of env var X (or "<unset>").
GET /say?text=T writes T (decoded) to stdout, the app's log.

Command line: ``tiny_app.py [PORT] [--upstream URL] [anything else]``: ``--upstream`` wins over
UPSTREAM; GET /argv answers the arguments after the script as a JSON array.
"""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

print(f"tiny_app pid={os.getpid()} starting", flush=True)
time.sleep(float(os.environ.get("TINY_START_DELAY", "0")))
if "TINY_EXIT_CODE" in os.environ:
    print(f"tiny_app exiting with {os.environ['TINY_EXIT_CODE']} on purpose", flush=True)
    sys.exit(int(os.environ["TINY_EXIT_CODE"]))
if os.environ.get("TINY_IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, lambda *_: print("tiny_app ignoring SIGTERM", flush=True))
if os.environ.get("TINY_GRANDCHILD") == "1":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    print(f"tiny_app started child pid={child.pid}", flush=True)

port = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else int(os.environ["PORT"])
upstream = os.environ.get("UPSTREAM")
if "--upstream" in sys.argv[:-1]:
    upstream = sys.argv[sys.argv.index("--upstream") + 1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        status, body = 200, b"ok"
        if url.path == "/health":
            status = int(os.environ.get("TINY_HEALTH_STATUS", "200"))
        elif url.path == "/call":
            try:
                with urllib.request.urlopen(f"{upstream}/thing", timeout=5) as response:
                    body = response.read()
            except urllib.error.HTTPError as error:
                status, body = 502, f"upstream answered {error.code}".encode()
        elif url.path == "/env":
            name = urllib.parse.parse_qs(url.query)["name"][0]
            body = os.environ.get(name, "<unset>").encode()
        elif url.path == "/argv":
            body = json.dumps(sys.argv[1:]).encode()
        elif url.path == "/say":  # writes its text to the log, control characters included
            print(urllib.parse.parse_qs(url.query)["text"][0], flush=True)
        print(f"tiny_app {self.command} {self.path} -> {status}", flush=True)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


host = os.environ.get("TINY_HOST", "127.0.0.1")


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in host else socket.AF_INET


server = Server((host, port), Handler)
print(f"tiny_app listening on {port}", flush=True)
server.serve_forever()
