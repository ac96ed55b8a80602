"""The runner's side of the watchdog (see :mod:`harness.process.watchdog`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from harness.process import watchdog

_SCRIPT = str(Path(watchdog.__file__).resolve())


class Watchdog:
    """Starts the watchdog lazily and keeps it informed; :meth:`close` ends it cleanly."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the watchdog now (idempotent); otherwise it starts with the first :meth:`watch`."""
        if self._process is None:
            self._process = subprocess.Popen(
                [sys.executable, "-S", _SCRIPT],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a kill of the runner's group must not take it along
                close_fds=True,
                # Its own environment must not carry the run marker it sweeps with.
                env={k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")},
            )
            self._write(f"marker {self.marker}")

    def _send(self, line: str) -> None:
        self.start()
        self._write(line)

    def _write(self, line: str) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self._process.stdin.write(f"{line}\n".encode())
            self._process.stdin.flush()

    def watch(self, pgid: int) -> None:
        """Have the watchdog kill process group ``pgid`` if the runner dies."""
        self._send(f"group {pgid}")

    def unwatch(self, pgid: int) -> None:
        if self._process is not None:
            self._write(f"ungroup {pgid}")

    def close(self, *, clean: bool = True) -> None:
        """Tell the watchdog the run ended cleanly and wait for it to exit.

        With ``clean=False`` it is not told ``done``: it then SIGKILLs what is left of the run (every
        registered group, every process with the marker) before it exits, as if the runner had died.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                if clean:
                    process.stdin.write(b"done\n")
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
