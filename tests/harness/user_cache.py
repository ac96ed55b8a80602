"""Where the harness's own tests keep tools they install once per machine (WireMock, Node's dotenv):
the user's cache directory, ``$XDG_CACHE_HOME/harness-tests/<name>`` (by default
``~/.cache/harness-tests/<name>``), never a checkout -- every clone would download them again."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path


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
