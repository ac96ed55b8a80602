"""A misbehaving app for the chaos suite; every misbehaviour is chosen through the environment.

CHAOS_DIR          directory for its pid files (``pids/<role>-<pid>``) and event files (required)
CHAOS_CHILDREN     start this many children that sleep forever, in the app's process group
CHAOS_DAEMON       "1": double-fork a daemon that leaves the session (setsid) and sleeps forever
CHAOS_START_DELAY  seconds to sleep before listening (after the children and the daemon exist)
CHAOS_STOP_DELAY   on SIGTERM: log, touch CHAOS_DIR/stopping, sleep this long, then exit 0
CHAOS_IGNORE_TERM  "1": the app and its children log SIGTERM (the app does) and carry on
CHAOS_FLOOD_MB     write this many MB to stdout at start and before answering each GET /flood
CHAOS_CLOSE_STDIO  "1": close stdout and stderr once listening (it never writes again)
CHAOS_PORT_TAKEN   N: the first N starts (counted in CHAOS_DIR/starts) die "Address already in use"
CHAOS_EXIT_AFTER   seconds: sleep, write time.time() to CHAOS_DIR/exit_stamp, exit 1 (never listens)
PORT               port to listen on

GET /health -> ok; GET /pid -> its pid; GET /flood -> floods, then ok;
GET /crash?code=N -> answers, logs its last line, exits with N.
On SIGTERM (unless told otherwise) it logs "chaos_app pid=N got SIGTERM, exiting" and exits 0.
"""

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

CHAOS_DIR = Path(os.environ["CHAOS_DIR"])
PIDS = CHAOS_DIR / "pids"
PIDS.mkdir(parents=True, exist_ok=True)
ME = os.getpid()
quiet = False  # set once stdout and stderr are closed


def say(text: str) -> None:
    if not quiet:
        print(f"chaos_app pid={ME} {text}", flush=True)


def write_pid(role: str, pid: int) -> None:
    (PIDS / f"{role}-{pid}").write_text(str(pid))


def flood(megabytes: float, label: str) -> None:
    line = f"{label} ".ljust(1023, "x").encode() + b"\n"  # 1 KiB a line
    out = sys.stdout.buffer
    for _ in range(int(megabytes * 1024)):
        out.write(line)
    out.flush()


def start_daemon() -> None:
    """The classic double fork: the daemon ends up in a session of its own, a child of init.

    Returns once the daemon has written its pid file (it says so through a pipe).
    """
    ready_read, ready_write = os.pipe()
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            write_pid("daemon", os.getpid())
            os.write(ready_write, b"x")
            null = os.open(os.devnull, os.O_RDWR)
            for descriptor in (0, 1, 2):
                os.dup2(null, descriptor)
            os.closerange(3, 256)
            time.sleep(3600)
        os._exit(0)
    os.waitpid(first, 0)
    os.close(ready_write)
    os.read(ready_read, 1)
    os.close(ready_read)


write_pid("app", ME)
say("starting")

if "CHAOS_PORT_TAKEN" in os.environ:
    with open(CHAOS_DIR / "starts", "a") as starts:
        starts.write(f"{os.environ['PORT']}\n")
    count = len((CHAOS_DIR / "starts").read_text().splitlines())
    if count <= int(os.environ["CHAOS_PORT_TAKEN"]):
        say(f"start {count}: cannot bind")
        print("OSError: [Errno 98] Address already in use", file=sys.stderr, flush=True)
        sys.exit(1)

if "CHAOS_EXIT_AFTER" in os.environ:
    time.sleep(float(os.environ["CHAOS_EXIT_AFTER"]))
    say("exiting with 1 on purpose")
    stamp = CHAOS_DIR / "exit_stamp"
    stamp.write_text(repr(time.time()))
    os._exit(1)

ignore_term = os.environ.get("CHAOS_IGNORE_TERM") == "1"
for _ in range(int(os.environ.get("CHAOS_CHILDREN", "0"))):
    ignore = "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_term else ""
    code = f"import signal, time\n{ignore}"
    child = subprocess.Popen([sys.executable, "-c", code + "time.sleep(3600)"], stdin=subprocess.DEVNULL)
    write_pid("child", child.pid)
    say(f"started child pid={child.pid}")
if os.environ.get("CHAOS_DAEMON") == "1":
    start_daemon()
    say("started a daemon")


def on_sigterm(signum: int, frame: object) -> None:
    if ignore_term:
        say("ignoring SIGTERM")
        return
    stop_delay = float(os.environ.get("CHAOS_STOP_DELAY", "0"))
    if stop_delay:
        say(f"got SIGTERM, stopping slowly ({stop_delay:g} s)")
        (CHAOS_DIR / "stopping").write_text(str(ME))
        time.sleep(stop_delay)
        say("stopped slowly")
    else:
        say("got SIGTERM, exiting")
    os._exit(0)


signal.signal(signal.SIGTERM, on_sigterm)

if "CHAOS_FLOOD_MB" in os.environ:
    flood(float(os.environ["CHAOS_FLOOD_MB"]), "start")
    say("flooded at start")

start_delay = float(os.environ.get("CHAOS_START_DELAY", "0"))
if start_delay:
    say(f"sleeping {start_delay:g} s before listening")
    time.sleep(start_delay)

port = int(os.environ["PORT"])
flood_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = b"ok"
        if url.path == "/pid":
            body = str(ME).encode()
        elif url.path == "/flood":
            with flood_lock:
                flood(float(os.environ["CHAOS_FLOOD_MB"]), "request")
                say("flooded for a request")
        elif url.path == "/crash":
            code = int(urllib.parse.parse_qs(url.query).get("code", ["3"])[0])
            self.answer(b"crashing")
            say(f"crashing with exit code {code}")
            os._exit(code)
        self.answer(body)

    def answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def log_message(self, *args: object) -> None:
        return


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
say(f"serving on port {port}")
if os.environ.get("CHAOS_CLOSE_STDIO") == "1":
    say("closing stdout and stderr")
    quiet = True
    null = os.open(os.devnull, os.O_RDONLY)
    os.close(1)
    os.close(2)
    # Keep descriptors 1 and 2 from being reused by a client socket: take them with read-only
    # /dev/null, so even a stray write fails instead of landing in a response.
    os.dup2(null, 1)
    os.dup2(null, 2)
server.serve_forever()
