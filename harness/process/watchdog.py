"""A tiny process that cleans up after a runner that died without tearing down (SIGKILL, OOM).

The runner starts it in a session of its own (so a signal to the runner's process group does not
take it along) and keeps the write end of a pipe to it. Through the pipe it tells the watchdog the
run's marker and each app's process group. The watchdog blocks on the pipe: a clean teardown
writes ``done`` and it exits quietly; end-of-file without ``done`` means the runner is gone, so it
SIGKILLs every registered group and every process carrying the run's exact marker.

Run as ``python -m harness.process.watchdog`` with the pipe as its standard input.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from harness.appenv.app_env import MARKER_VARIABLE
from harness.process.teardown import processes_with_marker


def clean_up(marker: str | None, groups: set[int]) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    if marker:
        for pid in processes_with_marker(marker, MARKER_VARIABLE):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def main() -> int:
    # The runner's Ctrl-C or SIGTERM is the runner's to handle; the watchdog only acts on EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    marker: str | None = None
    groups: set[int] = set()
    for raw in sys.stdin.buffer:
        command, _, argument = raw.decode("utf-8", "replace").strip().partition(" ")
        if command == "marker":
            marker = argument
        elif command == "group":
            groups.add(int(argument))
        elif command == "ungroup":
            groups.discard(int(argument))
        elif command == "done":
            return 0
    clean_up(marker, groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
