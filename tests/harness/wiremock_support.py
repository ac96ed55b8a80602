"""WireMock 3 standalone for parity tests: installed once from npm into a cache, run as a JVM.

The standalone jar is published on npm as the package ``wiremock`` (a thin ``npm-java-runner``
wrapper with the jar inside). It is installed at most once per machine, into the user's cache
(``~/.cache/harness-tests/wiremock``, see :mod:`user_cache`), and reused by every checkout and run.
Anything that makes WireMock unusable here -- no ``java``, no ``npm``, no network for the first
install -- raises :class:`WireMockUnavailable` so the tests can skip with its reason instead of
erroring.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .user_cache import cache_dir, install_lock, run_bounded

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
    import json  # noqa: PLC0415 - only needed for the report

    with contextlib.suppress(OSError, ValueError):
        return str(json.loads((cache / "node_modules" / "wiremock" / "package.json").read_text())["version"])
    return "unknown"


def ensure_jar(cache: Path = CACHE, announce: Callable[[str], None] = print) -> Path:
    """The WireMock standalone jar, installing ``wiremock@3`` from npm into ``cache`` the first time."""
    if shutil.which("java") is None:
        raise WireMockUnavailable("java is not installed (WireMock standalone is a Java program)")
    jar = find_jar(cache)
    if jar is not None:
        return jar
    npm = shutil.which("npm")
    if npm is None:
        raise WireMockUnavailable(
            f"npm is not installed and WireMock is not cached in {cache} (it is installed from npm)"
        )
    with install_lock(cache):
        jar = find_jar(cache)  # another process may have installed it while we waited
        if jar is not None:
            return jar
        announce(
            f"installing {PACKAGE} from npm into {cache} (first run on this machine only: downloads "
            f"the ~20 MB standalone jar; allowed up to {INSTALL_TIMEOUT:.0f} s; later runs reuse it)"
        )
        command = [
            npm,
            "install",
            "--prefix",
            str(cache),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            # Without a network, npm's default retries take over a minute to give up, on every run.
            "--fetch-retries=1",
            "--fetch-retry-mintimeout=1000",
            "--fetch-retry-maxtimeout=5000",
            PACKAGE,
        ]
        started = time.monotonic()
        try:
            result = run_bounded(command, INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise WireMockUnavailable(
                f"first-time install of {PACKAGE} from npm took over {INSTALL_TIMEOUT:.0f} s "
                "(slow or no network?); it is needed only once per machine"
            ) from None
        except OSError as error:
            raise WireMockUnavailable(f"could not run npm to install {PACKAGE}: {error}") from None
        if result.returncode != 0:
            lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
            # npm's first lines name the error ("npm error code ECONNREFUSED", ... "FetchError: ...").
            tail = " | ".join(line for line in lines[:4] if " at " not in line[:16])
            raise WireMockUnavailable(
                f"first-time install of {PACKAGE} from npm failed (exit {result.returncode}; no network?): "
                f"{tail or 'no output'}"
            )
        jar = find_jar(cache)
        if jar is None:
            raise WireMockUnavailable(f"npm installed {PACKAGE} into {cache} but no jar was found in it")
        announce(f"installed WireMock {package_version(cache)} in {time.monotonic() - started:.1f} s: {jar}")
        return jar


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


def start(jar: Path, log: Path, attempts: int = 3) -> WireMock:
    """Start WireMock on a free loopback port and wait (polling, with a deadline) until it answers."""
    java = shutil.which("java")
    if java is None:
        raise WireMockUnavailable("java is not installed")
    failure = ""
    for _ in range(attempts):  # a free port can be taken between probing and the JVM binding it
        port = _free_port()
        command = [
            java,
            "-XX:TieredStopAtLevel=1",  # faster start; the stubs are trivial
            "-jar",
            str(jar),
            "--port",
            str(port),
            "--bind-address",
            "127.0.0.1",
            "--disable-banner",
            "--no-request-journal",
        ]
        with log.open("ab") as sink:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
            )
        session = requests.Session()
        session.trust_env = False  # never through a proxy
        server = WireMock(process, port, log, session)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while process.poll() is None and time.monotonic() < deadline:
                if _ready(session, server.url):
                    return server
                time.sleep(0.05)  # poll interval
        except BaseException:
            server.stop()
            raise
        server.stop()
        failure = (
            f"WireMock exited with {process.returncode}"
            if time.monotonic() < deadline
            else f"WireMock did not answer /__admin/health within {START_TIMEOUT:.0f} s"
        )
    raise AssertionError(f"{failure}; log {log}:\n{server.log_text()}")
