"""A tiny process that cleans up after a runner that died without tearing down (SIGKILL, OOM).

The runner starts it in a session of its own (so a signal to the runner's process group does not
take it along) and keeps the write end of a pipe to it. Through the pipe it tells the watchdog the
run's marker and each app's process group. The watchdog blocks on the pipe: a clean teardown
writes ``done`` and it exits quietly; end-of-file without ``done`` means the runner is gone, so it
SIGKILLs every registered group and every process carrying the run's exact marker.

It runs as a script with ``python -S`` (standard library only, no site-packages), which starts in
about a third of the time a normal interpreter needs: it competes with the app for the CPU.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

try:
    from harness.process import procscan
except ImportError:  # run as a script under -S: only this file's folder is importable
    import procscan  # type: ignore[import-not-found, no-redef]

#: The run marker's variable (kept in sync with harness.appenv.app_env.MARKER_VARIABLE).
MARKER_VARIABLE = "HARNESS_RUN_MARKER"


def clean_up(marker: str | None, groups: set[int]) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    if marker and procscan.LINUX:
        for pid in procscan.pids_with_variable(MARKER_VARIABLE, marker):
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
