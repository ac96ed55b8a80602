"""WireMock 3 standalone for parity tests: installed once from npm into a cache, run as a JVM.

The standalone jar is published on npm as the package ``wiremock`` (a thin ``npm-java-runner``
wrapper with the jar inside). It is installed at most once per machine into ``.harness/cache/wiremock/``
(ignored by git, never committed) and reused by later runs. Anything that makes WireMock unusable
here -- no ``java``, no ``npm``, no network for the first install -- raises :class:`WireMockUnavailable`
so the tests can skip with its reason instead of erroring.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".harness" / "cache" / "wiremock"
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


@contextlib.contextmanager
def _install_lock(cache: Path) -> Iterator[None]:
    """Serialise installs between processes (xdist workers, parallel runs) on this machine."""
    cache.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl  # noqa: PLC0415 - POSIX only; elsewhere installs are simply not serialised
    except ImportError:  # pragma: no cover
        yield
        return
    with (cache / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_bounded(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in its own process group; on timeout kill the whole group (npm's children
    included) and reap it, so nothing outlives the call."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise subprocess.TimeoutExpired(command, timeout, output=output) from None
    finally:
        if process.poll() is None:  # pragma: no cover - interrupted (Ctrl-C) mid-install
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return subprocess.CompletedProcess(command, process.returncode, output, None)


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
    with _install_lock(cache):
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
            result = _run_bounded(command, INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise WireMockUnavailable(
                f"first-time install of {PACKAGE} from npm took over {INSTALL_TIMEOUT:.0f} s "
                "(slow or no network?); it is needed only once per machine"
            ) from None
        except OSError as error:
            raise WireMockUnavailable(f"could not run npm to install {PACKAGE}: {error}") from None
        if result.returncode != 0:
            lines = [line.strip() for line in (result.stdout or "").splitlines() if line.strip()]
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
