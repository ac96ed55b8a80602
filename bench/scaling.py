"""Suite-level wall time: harness against the CWYD-style scaffolding, and the functional suite with xdist.

Usage:
    python bench/scaling.py cwyd [--runs N] [--app-imports flask,openai] [--keep DIR]
    python bench/scaling.py functional [--runs N] [--repo PATH] [--variant 'label=pytest args' ...]
    python bench/scaling.py profiles [--runs N] [--profiles 4] [--start 2.0] [--kind sleep|cpu] [--tests 5]

``profiles`` times one generated suite of P profiles whose app takes S seconds to start
(bench/apps/trivial_app.py: ``--kind sleep`` waits before it listens, like an app waiting on a slow
dependency; ``--kind cpu`` computes, like heavy imports or a JIT warming up), T quick tests each,
with ``start_ahead`` 0 (each app started when its first test needs it: about P x S), 1 (one start
ahead at a time) and the default (4: all of them at once); beside it, a suite of one profile's T
tests: the floor, one start plus the tests.

``cwyd`` generates two throwaway projects in a temp dir, both testing bench/apps/cwyd_app.py in six
configurations with the same 66 tests (11 per configuration; each primes 1-3 mocked upstreams, sends
one request to the app and checks the answer and the upstream calls):

* harness: ``[tool.harness]`` with three mock services and six profiles; each test module carries a
  ``harness_profile`` marker; the app runs as a process per profile, mocks are primed per test;
* CWYD-style: the same app in a daemon thread inside pytest, one copied conftest per configuration
  (config by mutating ``os.environ``, a bind-close free port, ``sleep(2)`` then up to 10 polls 1 s
  apart), one pytest-httpserver mock told apart by path, through its own ``httpserver`` fixture.

``functional`` times this repository's tests/functional (or a copy's, ``--repo``) serially and with
``-n 2``, or with the pytest arguments of each ``--variant``.

Each run is ``python -m pytest -q -p no:cacheprovider ...`` in a fresh process, timed from launch to
exit; variants are interleaved round by round (the order rotating) so machine noise hits all alike,
and medians are printed with their ratio to the first variant, beside the CPU time other processes
of the machine used meanwhile (a shared machine's noise shows there). Not a test: nothing here asserts,
but a run that does not pass is reported and stops the benchmark.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common
from _common import Foreign, rotated

APP = _common.APPS / "cwyd_app.py"

CONFIGS = [f"cfg{n}" for n in range(1, 7)]
TESTS_PER_CONFIG = 11
SERVICES = ("search", "openai", "safety")
#: Which upstreams each test's request goes through, cycled: 1, 2 or 3 calls per request.
CALL_SETS = (
    ("search",),
    ("openai",),
    ("safety",),
    ("search", "openai"),
    ("safety", "openai"),
    ("safety", "search", "openai"),
)


# -- the generated projects -----------------------------------------------------------------------

HELPERS = '''\
"""Shared by the generated tests: one JSON request to the app, with the standard library."""

import json
import urllib.error
import urllib.request


def ask(base_url, question, services):
    body = json.dumps({"question": question, "services": list(services)}).encode()
    request = urllib.request.Request(
        f"{base_url}/api/ask", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
'''

CWYD_ROOT_CONFTEST = '''\
"""Every mock on 127.0.0.1 (pytest-httpserver listens on "localhost" by default)."""

import pytest


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)
'''

CWYD_CONFTEST = '''\
"""Copied once per app configuration, as in CWYD's functional tests; only CONFIG differs."""

import os
import socket
import sys
import threading
import time
import urllib.request

import pytest

sys.path.insert(0, {app_dir!r})
import cwyd_app  # noqa: E402

CONFIG = {config!r}


def _free_port():
    with socket.socket() as sock:  # bind, close, hand the number over (racy, as in CWYD)
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(make_httpserver):
    # One mock for every service, told apart by path; the config goes in through os.environ.
    for name in {services!r}:
        os.environ[f"{{name.upper()}}_URL"] = make_httpserver.url_for(f"/{{name}}")
    os.environ.update(CONFIG)
    port = _free_port()
    thread = threading.Thread(
        target=lambda: cwyd_app.make_server(port, os.environ).serve_forever(), daemon=True
    )
    thread.start()
    time.sleep(2)
    for _ in range(10):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{{port}}/health")
            break
        except OSError:
            time.sleep(1)
    else:
        raise Exception("App failed to start")
    return f"http://127.0.0.1:{{port}}"
'''


def _expected(config: str, number: int, calls: tuple[str, ...]) -> tuple[str, dict[str, object]]:
    question = f"{config}-q{number:02d}"
    answers: dict[str, object] = {name: {"from": name, "n": number} for name in calls}
    return question, {"config": config, "answers": answers}


def _primes(config: str, number: int, question: str, targets: list[tuple[str, str, str]]) -> str:
    """One expectation per (mock expression, path, service name): the same priming both suites do,
    through harness's per-service mocks or the one shared pytest-httpserver."""
    return "".join(
        f"    {mock}.expect_request(\n"
        f'        "{path}", method="POST", headers={{"api-key": "key-{config}"}},\n'
        f'        json={{"question": {question!r}, "config": {config!r}}},\n'
        f"    ).respond_with_json({{'from': {name!r}, 'n': {number}}})\n"
        for mock, path, name in targets
    )


def harness_test(config: str, number: int, calls: tuple[str, ...]) -> str:
    question, expected = _expected(config, number, calls)
    primes = _primes(
        config, number, question, [(f"harness_services[{name!r}]", "/query", name) for name in calls]
    )
    checks = "".join(f"    assert len(harness_services[{name!r}].requests) == 1\n" for name in calls)
    return (
        f"def test_{config}_q{number:02d}(harness_app_url, harness_services):\n{primes}"
        f"    status, body = ask(harness_app_url, {question!r}, {calls!r})\n"
        f"    assert status == 200, body\n"
        f"    assert body == {expected!r}\n{checks}"
    )


def cwyd_test(config: str, number: int, calls: tuple[str, ...]) -> str:
    question, expected = _expected(config, number, calls)
    primes = _primes(config, number, question, [("httpserver", f"/{name}/query", name) for name in calls])
    return (
        f"def test_{config}_q{number:02d}(app_url, httpserver):\n{primes}"
        f"    status, body = ask(app_url, {question!r}, {calls!r})\n"
        f"    assert status == 200, body\n"
        f"    assert body == {expected!r}\n"
        f"    assert len(httpserver.log) == {len(calls)}\n"
        f"    httpserver.check_assertions()\n"
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _test_modules(root: Path, style: str) -> None:
    _write(root / "tests" / "__init__.py", "")
    _write(root / "tests" / "helpers.py", HELPERS)
    for index, config in enumerate(CONFIGS):
        package = root / "tests" / config
        _write(package / "__init__.py", "")
        header = f'"""Generated by bench/scaling.py: app configuration {config} ({style})."""\n\n'
        header += "import pytest\n\n" if style == "harness" else ""
        header += "from tests.helpers import ask\n\n"
        if style == "harness":
            header += f"pytestmark = pytest.mark.harness_profile({config!r})\n\n"
        bodies = []
        for number in range(TESTS_PER_CONFIG):
            calls = CALL_SETS[(index * TESTS_PER_CONFIG + number) % len(CALL_SETS)]
            make = harness_test if style == "harness" else cwyd_test
            bodies.append(make(config, number, calls))
        _write(package / f"test_{config}.py", header + "\n\n".join(bodies))


def write_harness_project(root: Path, app_imports: str, request_delay: float = 0.0) -> None:
    profiles = "".join(
        f'[tool.harness.profiles.{config}]\nenv = {{ APP_CONFIG = "{config}", API_KEY = "key-{config}" }}\n\n'
        for config in CONFIGS
    )
    services = "".join(
        f'[tool.harness.services.{name}]\nenv = {{ {name.upper()}_URL = "{{url}}" }}\n\n' for name in SERVICES
    )
    _write(
        root / "pyproject.toml",
        textwrap.dedent(
            f"""\
            [tool.harness]
            command = ["{{python}}", {str(APP)!r}]
            health = "/health"
            env_file = "env/harness.env"

            [tool.harness.env]
            APP_CONFIG = "default"
            API_KEY = "key-default"
            BENCH_APP_IMPORTS = {app_imports!r}
            BENCH_REQUEST_DELAY = "{request_delay}"

            """
        )
        + services
        + profiles
        + '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    )
    _test_modules(root, "harness")


def write_cwyd_project(root: Path, app_imports: str, request_delay: float = 0.0) -> None:
    _write(root / "pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    _test_modules(root, "cwyd")
    _write(root / "tests" / "conftest.py", CWYD_ROOT_CONFTEST)
    for config in CONFIGS:
        values = {
            "APP_CONFIG": config,
            "API_KEY": f"key-{config}",
            "BENCH_APP_IMPORTS": app_imports,
            "BENCH_REQUEST_DELAY": str(request_delay),
        }
        text = CWYD_CONFTEST.format(app_dir=str(APP.parent), config=values, services=SERVICES)
        _write(root / "tests" / config / "conftest.py", text)


# -- timing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    label: str
    cwd: Path
    args: list[str]
    env: dict[str, str | None] = field(default_factory=dict)  # None: removed from the environment


_SUMMARY = re.compile(r"^=* ?(\d+ (?:passed|failed|error).*?) in [\d.]+s", re.MULTILINE)


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: CPU seconds other processes of the machine used during each run, by variant (a noise indicator).
FOREIGN: dict[str, list[float]] = {}


def run_once(variant: Variant) -> float:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *variant.args]
    env = {**os.environ, **{k: v for k, v in variant.env.items() if v is not None}}
    for name in [k for k, v in variant.env.items() if v is None]:
        env.pop(name, None)
    ours = _children_cpu_seconds()
    with Foreign() as other:
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=variant.cwd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    used = _children_cpu_seconds() - ours
    foreign = other.seconds
    FOREIGN.setdefault(variant.label, []).append(foreign)
    if done.returncode != 0:
        sys.stdout.write(done.stdout[-4000:] + done.stderr[-2000:])
        raise SystemExit(f"{variant.label}: pytest exited {done.returncode} ({shlex.join(argv)})")
    summary = _SUMMARY.findall(done.stdout)
    print(
        f"  {variant.label:<34} {elapsed:7.2f} s  {summary[-1] if summary else ''}  "
        f"(cpu: this run {used:.1f} s, other processes {foreign:.1f} s)",
        flush=True,
    )
    return elapsed


def measure(variants: list[Variant], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {variant.label: [] for variant in variants}
    for round_number in range(runs):
        for variant in rotated(variants, round_number):
            times[variant.label].append(run_once(variant))
    return times


def report(times: dict[str, list[float]], title: str) -> None:
    labels = list(times)
    base = statistics.median(times[labels[0]])
    print(f"\n{title}\n")
    print(f"| variant | median (s) | runs (s) | ratio to {labels[0]} | other processes' cpu (s/run) |")
    print("| --- | ---: | --- | ---: | ---: |")
    for label in labels:
        median = statistics.median(times[label])
        runs = ", ".join(f"{value:.2f}" for value in times[label])
        foreign = statistics.median(FOREIGN.get(label, [0.0]))
        print(f"| {label} | {median:.2f} | {runs} | {median / base:.2f} | {foreign:.1f} |")


def bench_cwyd(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        write_harness_project(root / "harness_suite", args.app_imports, args.request_delay)
        write_cwyd_project(root / "cwyd_suite", args.app_imports, args.request_delay)
        variants = [
            Variant("CWYD-style (serial)", root / "cwyd_suite", ["-p", "no:harness"]),
            Variant("harness (serial)", root / "harness_suite", []),
            Variant("harness -n 2", root / "harness_suite", ["-n", "2"]),
            Variant(
                "harness -n 2 --dist loadscope", root / "harness_suite", ["-n", "2", "--dist", "loadscope"]
            ),
        ]
        what = f"app imports: {args.app_imports or 'none'}, request delay: {args.request_delay} s"
        print(f"66 tests over 6 app configurations, {what}, {os.cpu_count()} cores")
        times = measure(variants, args.runs)
        report(times, f"medians of {args.runs} interleaved runs ({what})")


def write_profiles_project(
    root: Path, profiles: int, start: float, tests: int, *, start_ahead: int | None, kind: str
) -> None:
    root.mkdir(parents=True)
    trivial = _common.APPS / "trivial_app.py"
    ahead = "" if start_ahead is None else f"start_ahead = {start_ahead}\n"
    table = "".join(
        f'[tool.harness.profiles.p{n}]\nenv = {{ WHICH = "p{n}" }}\n\n' for n in range(1, profiles + 1)
    )
    (root / "pyproject.toml").write_text(
        f'[tool.harness]\ncommand = ["{sys.executable}", "{trivial}"]\nhealth = "/"\n{ahead}'
        f'[tool.harness.env]\n{START_VARIABLE[kind]} = "{start}"\n\n{table}'
        '[tool.pytest.ini_options]\naddopts = ""\n'
    )
    for n in range(1, profiles + 1):
        body = "".join(
            f"def test_{t}(harness_app):\n    assert harness_app.is_alive()\n\n\n" for t in range(tests)
        )
        (root / f"test_p{n}.py").write_text(
            f"import pytest\n\npytestmark = pytest.mark.harness_profile('p{n}')\n\n\n{body}"
        )


#: How the app spends its start: waiting (a sleep) or computing (CPU time).
START_VARIABLE = {"sleep": "BENCH_START_DELAY", "cpu": "BENCH_START_CPU"}


def bench_profiles(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as tmp:
        root = Path(tmp)
        layouts = {
            "one profile (the floor)": (1, None),
            "start_ahead = 0 (serial)": (args.profiles, 0),
            "start_ahead = 1": (args.profiles, 1),
            "start_ahead default (4)": (args.profiles, None),
        }
        variants = []
        for index, (label, (count, ahead)) in enumerate(layouts.items()):
            write_profiles_project(
                root / f"suite{index}", count, args.start, args.tests, start_ahead=ahead, kind=args.kind
            )
            variants.append(Variant(label, root / f"suite{index}", ["-p", "no:randomly"]))
        what = (
            f"{args.profiles} profiles, an app whose start takes {args.start:g} s ({args.kind}), "
            f"{args.tests} tests each"
        )
        print(f"{what}, {os.cpu_count()} cores")
        times = measure(variants, args.runs)
        report(times, f"medians of {args.runs} interleaved runs ({what})")


def bench_functional(args: argparse.Namespace) -> None:
    repo = Path(args.repo).resolve()
    specs = args.variant or ["serial=", "-n 2=-n 2"]
    variants: list[Variant] = []
    for spec in specs:
        label, _, extra = spec.partition("=")
        where, pytest_args, env = repo, [], {}  # type: tuple[Path, list[str], dict[str, str | None]]
        for token in shlex.split(extra):
            if token.startswith("@repo:"):  # run in another checkout (a scratch copy)
                where = Path(token.removeprefix("@repo:")).resolve()
            elif token.startswith("@env:"):  # @env:NAME=VALUE, or @env:NAME= to remove NAME
                name, _, value = token.removeprefix("@env:").partition("=")
                env[name] = value or None
            else:
                pytest_args.append(token)
        variants.append(Variant(label, where, ["tests/functional", *pytest_args], env))
    print(f"tests/functional, {os.cpu_count()} cores")
    for variant in variants:
        print(f"  {variant.label}: {variant.cwd}: pytest {shlex.join(variant.args)} {variant.env or ''}")
    times = measure(variants, args.runs)
    report(times, f"medians of {args.runs} interleaved runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cwyd = commands.add_parser("cwyd", help="harness vs the CWYD-style scaffolding, 66 generated tests")
    cwyd.add_argument("--runs", type=int, default=3)
    cwyd.add_argument(
        "--app-imports",
        default="",
        help="modules the app imports at start, e.g. flask,openai (default: none, a ~50 ms start)",
    )
    cwyd.add_argument(
        "--request-delay",
        type=float,
        default=0.0,
        help="seconds of per-request work in the app (CWYD's own suite spent ~17 s of 29 s outside its "
        "start-up sleeps: 0.25 models that; default 0)",
    )
    cwyd.add_argument("--keep", metavar="DIR", help="generate the projects here and keep them")
    functional = commands.add_parser("functional", help="tests/functional, serial against -n 2")
    functional.add_argument("--runs", type=int, default=3)
    functional.add_argument("--repo", default=str(_common.ROOT), help="checkout to run (default: this one)")
    functional.add_argument(
        "--variant",
        action="append",
        metavar="LABEL=ARGS",
        help="a label and extra pytest arguments; repeat (default: 'serial=' and '-n 2=-n 2'); "
        "@repo:PATH runs that variant in another checkout, @env:NAME=VALUE sets (@env:NAME= removes) "
        "a variable",
    )
    profiles = commands.add_parser("profiles", help="P profiles of a slow starter, start_ahead off and on")
    profiles.add_argument("--runs", type=int, default=3)
    profiles.add_argument("--profiles", type=int, default=4)
    profiles.add_argument("--start", type=float, default=2.0, help="seconds the app takes to start")
    profiles.add_argument("--tests", type=int, default=5, help="tests per profile")
    profiles.add_argument(
        "--kind", choices=sorted(START_VARIABLE), default="sleep", help="how the app spends its start"
    )
    args = parser.parse_args()
    {"cwyd": bench_cwyd, "functional": bench_functional, "profiles": bench_profiles}[args.command](args)


if __name__ == "__main__":
    main()
