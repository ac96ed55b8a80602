"""The runner's side of the watchdog (see :mod:`harness.process.watchdog`)."""

from __future__ import annotations

import contextlib
import os
import stat
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
        """Start the watchdog now (idempotent); otherwise the first :meth:`watch` or :meth:`watch_file`
        starts it."""
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

    def watch_file(self, path: Path) -> bool:
        """Have the watchdog remove the file at ``path`` if the runner dies (SIGKILL, OOM) or a
        teardown is cut short (:meth:`close` with ``clean=False``); start it if need be.

        The file's identity is taken now (``lstat``: its st_dev and st_ino), so call this right
        after the file is written, and again whenever it is rewritten (an ``os.replace`` gives it a
        new inode; the latest call wins). The watchdog removes the path only if it is then still
        that very regular file with a single link: a symlink, a directory, or a file someone put in
        its place or also linked elsewhere is left alone, so harness never deletes a file it did
        not write. Returns False, and watches nothing, if ``path`` is not a regular file now
        (missing, a symlink, a directory).

        Meant for every file of the run that must not outlive it: the TLS bundle and trust store
        (:meth:`harness.Harness.start_services` watches them) and the env file with the app's
        secrets (to be watched by whoever writes it, right after it is written; not when the user
        asked to keep it, ``keep_env``, or :meth:`unwatch_file` it then).
        """
        absolute = path.absolute()
        try:
            found = os.lstat(absolute)
        except OSError:
            return False
        if not stat.S_ISREG(found.st_mode):
            return False
        self._send(f"file {found.st_dev} {found.st_ino} {os.fsencode(absolute).hex()}")
        return True

    def unwatch_file(self, path: Path) -> None:
        """Stop watching ``path`` (the same path as given to :meth:`watch_file`, relative paths
        taken against the same working directory): it may now outlive the run."""
        if self._process is not None:
            self._write(f"unfile {os.fsencode(path.absolute()).hex()}")

    def close(self, *, clean: bool = True) -> None:
        """Tell the watchdog the run ended cleanly and wait for it to exit.

        With ``clean=False`` it is not told ``done``: it then SIGKILLs what is left of the run (every
        registered group, every process of this uid with the marker) and removes the watched files
        that are still the very files watched, before it exits, as if the runner had died.
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
