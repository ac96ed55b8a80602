"""Per-test cost of the pytest plugin: N trivial tests against one app, against the same requests in a loop.

Usage: python bench/per_test_overhead.py [--runs R] [--tests N] [--variant mock|direct ...]

A throwaway project (a temporary directory) holds a ``[tool.harness]`` for one app and N+2 tests,
each making one GET to the app over a new connection (http.client). Two apps:

- ``mock``: bench/apps/forwarding_app.py, whose /call makes one request to the mock service
  ``upstream`` (a session fixture expects it), so every test exercises what the plugin does per
  test: the ``app`` fixture, ``begin_test``/``end_test`` on the mock, the journal, the strict check
  and the report hooks;
- ``direct``: bench/apps/trivial_app.py, no mock service (the fixture and hook cost alone).

Each is measured three ways, interleaved run by run (and rotated, so no side always goes first):

- ``loop``: the same N requests, same client function, in a plain Python loop, against the same
  app and mock started through harness's Python API (``Harness.app_for()``);
- ``pytest``: ``pytest -p no:harness`` on the project, a plain session fixture starting the same
  app and mock through the Python API (and, like pytest-httpserver's ``httpserver`` fixture, an
  autouse fixture clearing the mock's log after each test; the loop clears it after each request
  too): pytest's own per-test cost;
- ``harness``: pytest with the plugin, tests using its ``harness_app_url`` fixture (and ``harness``).

The test phase is timed inside the pytest process by a conftest hook wrapper around
``pytest_runtest_protocol``: from the start of test 1 to the end of test N. Test 0 (which starts
the app) and test N+1 (after which the plugin stops the idle app and the session ends) are outside,
as are interpreter start-up and collection. Printed: medians of ms per test, and the medians of the
per-run differences. A measurement during which other processes used more than ``--foreign-limit``
cores (bench/_common.py: /proc/stat minus this process tree) is repeated, up to ``--retries`` times.
Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import _common
from _common import median, paired, rotated, undisturbed

from harness import Harness

APPS = {"mock": _common.APPS / "forwarding_app.py", "direct": _common.APPS / "trivial_app.py"}
PATHS = {"mock": "/call", "direct": "/"}
MODES = ("loop", "pytest", "harness")
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider"]

# The one client, used by the tests and by the loop alike.
CLIENT = '''
import http.client
from urllib.parse import urlsplit


def get(url, path):
    """GET url+path over a new connection; the status must be 200."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200, (response.status, body)
'''

CONFTEST = """
import gc
import json
import os
import time
from pathlib import Path

import pytest

MODE = os.environ["BENCH_MODE"]
VARIANT = os.environ["BENCH_VARIANT"]
FIRST, LAST = os.environ["BENCH_FIRST"], os.environ["BENCH_LAST"]
_times = {"gc": 0.0}
_gc_started = [0.0]


def _gc_pause(phase, info):  # garbage collection time within the timed tests (any thread)
    if "start" in _times and "end" not in _times:
        if phase == "start":
            _gc_started[0] = time.perf_counter()
        else:
            _times["gc"] += time.perf_counter() - _gc_started[0]


gc.callbacks.append(_gc_pause)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if item.name == FIRST:
        _times["start"] = time.perf_counter()
    result = yield
    if item.name == LAST:
        _times["end"] = time.perf_counter()
        Path(os.environ["BENCH_TIMES"]).write_text(json.dumps(_times))
    return result


def _stub(service):
    service.expect_request("/call").respond_with_data("ok")


if MODE == "harness":
    if VARIANT == "mock":

        @pytest.fixture(scope="session", autouse=True)
        def _upstream(harness):
            _stub(harness.services["upstream"])  # a session fixture's: every test's baseline

else:
    from harness import Harness

    _plain = {}

    # The plugin's fixture name, so that one test file serves both modes (the plugin is off here).
    @pytest.fixture(scope="session")
    def harness_app_url():
        with Harness.from_pyproject(Path(__file__).with_name("pyproject.toml")) as plain:
            _plain["services"] = plain.services.values()
            if VARIANT == "mock":
                _stub(plain.services["upstream"])
            yield plain.app.url

    @pytest.fixture(autouse=True)
    def _forget_requests():
        # As pytest-httpserver's own httpserver fixture does after each test: no growing log.
        yield
        for service in _plain.get("services", ()):
            forget(service)


def forget(service):
    service.clear_log()
    service.journal.clear()
"""

TEST = """
def test_{index:04d}(harness_app_url):
    get(harness_app_url, {path!r})
"""


def write_project(root: Path, variant: str, tests: int) -> None:
    root.mkdir()
    services = '[tool.harness.services.upstream]\nenv = { UPSTREAM = "{url}" }\n' if variant == "mock" else ""
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [tool.harness]
            command = [{json.dumps(sys.executable)}, {json.dumps(str(APPS[variant]))}]
            health = "/health"
            env_file = "env/bench.env"
            log_dir = "logs"

            """
        )
        + services
        + '\n[tool.pytest.ini_options]\naddopts = ""\n'
    )
    (root / "benchclient.py").write_text(CLIENT)
    (root / "conftest.py").write_text(CONFTEST)
    body = "".join(TEST.format(index=index, path=PATHS[variant]) for index in range(tests + 2))
    (root / "test_trivial.py").write_text("from benchclient import get\n" + body)


def run_pytest(root: Path, variant: str, mode: str, tests: int) -> tuple[float, float]:
    """Seconds for tests 1..N inside one pytest run, and the garbage collection pauses among them."""
    times = root / "times.json"
    times.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_VARIANT": variant,
        "BENCH_FIRST": "test_0001",
        "BENCH_LAST": f"test_{tests:04d}",
        "BENCH_TIMES": str(times),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    plugin = [] if mode == "harness" else ["-p", "no:harness"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST_ARGS, *plugin, str(root)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not times.exists():
        sys.exit(
            f"pytest ({variant}, {mode}) failed with {result.returncode}:\n{result.stdout[-3000:]}"
            f"\n{result.stderr[-3000:]}"
        )
    recorded = json.loads(times.read_text())
    return float(recorded["end"] - recorded["start"]), float(recorded["gc"])


def run_loop(root: Path, tests: int) -> tuple[float, float]:
    """Seconds for the same N requests in a plain loop (app and mock started by the Python API),
    and the garbage collection pauses among them."""
    namespace: dict[str, object] = {}
    exec(CLIENT, namespace)  # the very client the tests use
    get = namespace["get"]
    variant = root.name
    with Harness.from_pyproject(root / "pyproject.toml") as plain:
        if variant == "mock":
            plain.services["upstream"].expect_request("/call").respond_with_data("ok")
        url = plain.app.url
        get(url, PATHS[variant])  # type: ignore[operator]  # the warm-up test's counterpart
        services = list(plain.services.values())
        pauses = [0.0, 0.0]

        def pause(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                pauses[1] = time.perf_counter()
            else:
                pauses[0] += time.perf_counter() - pauses[1]

        gc.callbacks.append(pause)
        started = time.perf_counter()
        try:
            for _ in range(tests):
                get(url, PATHS[variant])  # type: ignore[operator]
                for service in services:  # what the plain pytest run does after each test
                    service.clear_log()
                    service.journal.clear()
            return time.perf_counter() - started, pauses[0]
        finally:
            gc.callbacks.remove(pause)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--variant", choices=sorted(APPS), action="append")
    _common.add_arguments(parser)
    args = parser.parse_args()
    variants = args.variant or ["mock", "direct"]
    print(
        f"ms per test, {args.tests} tests, medians of {args.runs} interleaved runs, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        for variant in variants:
            write_project(Path(tmp) / variant, variant, args.tests)
        # ms per test (NaN: still disturbed after every retry, left out of the medians)
        samples: dict[tuple[str, str], list[float]] = {(v, m): [] for v in variants for m in MODES}
        pauses: dict[tuple[str, str], list[float]] = {(v, m): [] for v in variants for m in MODES}
        redone = 0
        for run in range(args.runs):
            for variant in variants:
                root = Path(tmp) / variant
                for mode in rotated(MODES, run):

                    def measure(
                        root: Path = root, variant: str = variant, mode: str = mode
                    ) -> tuple[float, float]:
                        if mode == "loop":
                            return run_loop(root, args.tests)
                        return run_pytest(root, variant, mode, args.tests)

                    (seconds, collecting), share, repeats = undisturbed(
                        measure, limit=args.foreign_limit, retries=args.retries
                    )
                    redone += repeats
                    clean = share <= args.foreign_limit
                    samples[variant, mode].append(seconds * 1000 / args.tests if clean else math.nan)
                    pauses[variant, mode].append(collecting * 1000 / args.tests if clean else math.nan)
            print(
                f"  run {run + 1}: "
                + "; ".join(
                    f"{v} " + " ".join(f"{m} {samples[v, m][-1]:.3f}" for m in MODES) for v in variants
                ),
                flush=True,
            )
        header = ("app", "loop", "pytest", "harness", "pytest-loop", "harness-pytest", "harness-loop")
        print(f"{header[0]:<8}" + "".join(f"{h:>16}" for h in header[1:]))
        for variant in variants:
            loop, plain, ours = (samples[variant, mode] for mode in MODES)
            figures = (
                median(loop),
                median(plain),
                median(ours),
                paired(plain, loop),
                paired(ours, plain),
                paired(ours, loop),
            )
            print(f"{variant:<8}" + "".join(f"{f:>14.3f}ms" for f in figures))
        print("differences: medians of the per-run differences (the runs are paired)")
        print("of which garbage collection pauses (ms per test, median):")
        for variant in variants:
            print(f"{variant:<8}" + "".join(f"{median(pauses[variant, m]):>14.3f}ms" for m in MODES))
        dropped = sum(math.isnan(value) for values in samples.values() for value in values)
        print(_common.summary(args, redone, dropped))


if __name__ == "__main__":
    main()
