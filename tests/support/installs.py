"""Tools the harness's own tests install once per machine from npm (WireMock, Node's dotenv), into
the user's cache directory, ``$XDG_CACHE_HOME/harness-tests/<name>`` (by default
``~/.cache/harness-tests/<name>``), never a checkout -- every clone would download them again.

Concurrent installers (xdist workers, parallel runs) are serialised by a file lock. Anything that
makes a tool unusable -- no ``npm``, no network for the first install -- raises the caller's
"unavailable" exception, whose message is the skip reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "harness-tests" / name


@contextlib.contextmanager
def install_lock(cache: Path) -> Iterator[None]:
    """Serialise installs into ``cache`` between processes (xdist workers, parallel runs)."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_bounded(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (an installer) in its own process group; on timeout kill the whole group
    (npm's children included) and reap it, so nothing outlives the call. Output captured as text."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )
    try:
        output, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, errors = process.communicate()
        raise subprocess.TimeoutExpired(list(command), timeout, output=output, stderr=errors) from None
    finally:
        if process.poll() is None:  # pragma: no cover - interrupted (Ctrl-C) mid-install
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return subprocess.CompletedProcess(list(command), process.returncode, output, errors)


def npm_install(
    package: str,
    cache: Path,
    installed: Callable[[Path], T | None],
    *,
    timeout: float,
    unavailable: type[Exception],
    announce: Callable[[str], None] | None = None,
) -> T:
    """What ``installed`` finds in ``cache`` (say, a jar), installing ``package`` from npm into
    ``cache`` the first time; raises ``unavailable`` with the reason where it cannot."""
    found = installed(cache)
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise unavailable(f"npm is not installed and {package} is not cached in {cache} (it comes from npm)")
    with install_lock(cache):
        found = installed(cache)  # another process may have installed it while this one waited
        if found is not None:
            return found
        if announce is not None:
            announce(
                f"installing {package} from npm into {cache} (first run on this machine only; allowed "
                f"up to {timeout:.0f} s; later runs reuse it)"
            )
        command = [
            npm,
            "install",
            "--prefix",
            str(cache),
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            # Without a network, npm's default retries take over a minute to give up, on every run.
            "--fetch-retries=1",
            "--fetch-retry-mintimeout=1000",
            "--fetch-retry-maxtimeout=5000",
            package,
        ]
        started = time.monotonic()
        try:
            result = run_bounded(command, timeout)
        except subprocess.TimeoutExpired:
            raise unavailable(
                f"first-time install of {package} from npm took over {timeout:.0f} s (slow or no "
                "network?); it is needed only once per machine"
            ) from None
        except OSError as error:
            raise unavailable(f"could not run npm to install {package}: {error}") from None
        found = installed(cache)
        if result.returncode != 0 or found is None:
            lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
            # npm's first lines name the error ("npm error code ECONNREFUSED", ... "FetchError: ...").
            tail = " | ".join(line for line in lines[:4] if " at " not in line[:16])
            raise unavailable(
                f"first-time install of {package} from npm into {cache} failed (exit {result.returncode}; "
                f"no network?): {tail or 'no output'}"
            )
        if announce is not None:
            announce(f"installed {package} in {time.monotonic() - started:.1f} s")
        return found
