"""WireMock 3 standalone, for the parity tests and the throughput benchmark: installed once from
npm into the user's cache, run as a JVM.

The standalone jar is published on npm as the package ``wiremock`` (a thin ``npm-java-runner``
wrapper with the jar inside). It is installed at most once per machine, into the user's cache
(``~/.cache/harness-tests/wiremock``, see :mod:`installs`), and reused by every checkout and run.
Anything that makes WireMock unusable here -- no ``java``, no ``npm``, no network for the first
install -- raises :class:`WireMockUnavailable` so the tests can skip with its reason instead of
erroring.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .installs import cache_dir, npm_install
from .polling import poll

CACHE = cache_dir("wiremock")
PACKAGE = "wiremock@3"
INSTALL_TIMEOUT = 180.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class WireMockUnavailable(Exception):
    """WireMock cannot be used on this machine; the message says why (a skip reason)."""


# -- installing -------------------------------------------------------------------------------------


def find_jar(cache: Path = CACHE) -> Path | None:
    """The standalone jar inside the installed npm package, if installed."""
    package = cache / "node_modules" / "wiremock"
    if not package.is_dir():
        return None
    jars = sorted(package.rglob("*.jar"), key=lambda jar: ("standalone" not in jar.name, jar.name))
    return jars[0] if jars else None


def package_version(cache: Path = CACHE) -> str:
    with contextlib.suppress(OSError, ValueError):
        return str(json.loads((cache / "node_modules" / "wiremock" / "package.json").read_text())["version"])
    return "unknown"


def ensure_jar(cache: Path = CACHE, announce: Callable[[str], None] = print) -> Path:
    """The WireMock standalone jar, installing ``wiremock@3`` from npm into ``cache`` the first time
    (it downloads the ~20 MB standalone jar)."""
    if shutil.which("java") is None:
        raise WireMockUnavailable("java is not installed (WireMock standalone is a Java program)")
    return npm_install(
        PACKAGE, cache, find_jar, timeout=INSTALL_TIMEOUT, unavailable=WireMockUnavailable, announce=announce
    )


# -- running ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class WireMock:
    """A running WireMock standalone JVM bound to 127.0.0.1."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    session: requests.Session

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_stub(self, mapping: dict[str, Any]) -> None:
        response = self.session.post(f"{self.url}/__admin/mappings", json=mapping, timeout=10)
        if response.status_code != 201:
            raise AssertionError(f"WireMock refused stub {mapping}: {response.status_code} {response.text}")

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-4000:]
        return "(no log)"

    def answers_or_exited(self) -> bool:
        """Whether the JVM answers its health check, or has exited (no use waiting then)."""
        return self.process.poll() is not None or _ready(self.session, self.url)

    def stop(self) -> int:
        """Terminate the JVM and reap it (killing it if it ignores SIGTERM); return its exit code."""
        self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def _ready(session: requests.Session, url: str) -> bool:
    try:
        return session.get(f"{url}/__admin/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def start(jar: Path, log: Path, attempts: int = 3, *, journal: bool = False, quick: bool = True) -> WireMock:
    """Start WireMock on a free loopback port and wait (polling, with a deadline) until it answers.

    By default it keeps no request journal and compiles only quickly (a faster start; the tests'
    stubs are trivial); the throughput benchmark asks for both (``journal``, ``quick=False``).
    """
    java = shutil.which("java")
    if java is None:
        raise WireMockUnavailable("java is not installed")
    failure = ""
    for _ in range(attempts):  # a free port can be taken between probing and the JVM binding it
        port = _free_port()
        command = [
            java,
            *(["-XX:TieredStopAtLevel=1"] if quick else []),
            *("-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1", "--disable-banner"),
            *([] if journal else ["--no-request-journal"]),
        ]
        with log.open("ab") as sink:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
            )
        session = requests.Session()
        session.trust_env = False  # never through a proxy
        server = WireMock(process, port, log, session)
        try:
            settled = poll(server.answers_or_exited, timeout=START_TIMEOUT, interval=0.05)
        except BaseException:
            server.stop()
            raise
        if settled and process.poll() is None:
            return server
        server.stop()
        failure = (
            f"WireMock exited with {process.returncode}"
            if settled
            else f"WireMock did not answer /__admin/health within {START_TIMEOUT:.0f} s"
        )
    raise AssertionError(f"{failure}; log {log}:\n{server.log_text()}")
