"""Start -> ready and stop times: harness against a bare Popen with a 1 ms health poll.

Usage: python bench/startup.py [--runs N]

Both sides start the same trivial app (a ~50 ms Python start, and the same app with a 1 s delay
before it listens), interleaved run by run so machine noise hits both alike; medians are printed
with the difference. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Harness
from harness.config import parse_table
from harness.process.ports import free_port

APP = Path(__file__).parent / "apps" / "trivial_app.py"
WIDTHS = (14, 12, 15, 10, 11, 14)


def bare_start_stop(delay: float) -> tuple[float, float]:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "BENCH_START_DELAY": str(delay)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(APP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.001)
        finally:
            connection.close()
    ready = time.perf_counter() - started
    started = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait()
    return ready, time.perf_counter() - started


def harness_start_stop(delay: float, workdir: Path) -> tuple[float, float]:
    config = parse_table(
        {
            "command": [sys.executable, str(APP)],
            "health": "/health",
            "env_file": "bench.env",
            "log_dir": "logs",
            "env": {"BENCH_START_DELAY": str(delay)},
        },
        workdir / "pyproject.toml",
    )
    harness = Harness(config)
    harness.start_services()  # once per session in real use (mocks, run record, watchdog)
    started = time.perf_counter()
    harness.app_for()
    ready = time.perf_counter() - started
    started = time.perf_counter()
    harness.stop_app()
    stopped = time.perf_counter() - started
    harness.stop()
    return ready, stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"start -> ready and stop, medians of {args.runs} interleaved runs, {os.cpu_count()} cores")
    header = ("app", "bare ready", "harness ready", "overhead", "bare stop", "harness stop")
    columns = zip(header[1:], WIDTHS[1:], strict=True)
    print(f"{header[0]:<{WIDTHS[0]}}" + "".join(f"{h:>{w}}" for h, w in columns))
    with tempfile.TemporaryDirectory() as tmp:
        for label, delay in (("trivial", 0.0), ("slow (1 s)", 1.0)):
            bare, ours = [], []
            for _ in range(args.runs):
                bare.append(bare_start_stop(delay))
                ours.append(harness_start_stop(delay, Path(tmp)))
            bare_ready = statistics.median(r for r, _ in bare) * 1000
            our_ready = statistics.median(r for r, _ in ours) * 1000
            bare_stop = statistics.median(s for _, s in bare) * 1000
            our_stop = statistics.median(s for _, s in ours) * 1000
            print(
                f"{label:<14}{bare_ready:>10.1f}ms{our_ready:>13.1f}ms{our_ready - bare_ready:>+8.1f}ms"
                f"{bare_stop:>9.1f}ms{our_stop:>12.1f}ms"
            )


if __name__ == "__main__":
    main()
