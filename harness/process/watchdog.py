"""A tiny process that cleans up after a runner that died without tearing down (SIGKILL, OOM).

The runner starts it in a session of its own (so a signal to the runner's process group does not
take it along) and keeps the write end of a pipe to it. Through the pipe it tells the watchdog the
run's marker, each app's process group and the files the run wrote that must not outlive it (the
TLS bundle and trust store; the env file, with its secrets). The watchdog blocks on the pipe: a
clean teardown writes ``done`` and it exits quietly; end-of-file without ``done`` means the runner
is gone, so it SIGKILLs every registered group and every process of its own real uid carrying the
run's exact marker, then removes each watched file that is still the very file the runner wrote.

The pipe's commands, one a line:

``marker <marker>``
    the run's marker (``HARNESS_RUN_MARKER``)
``group <pgid>`` / ``ungroup <pgid>``
    kill / no longer kill that process group
``file <st_dev> <st_ino> <path>`` / ``unfile <path>``
    remove / no longer remove that file; ``<path>`` is the hex of the absolute path's bytes (any
    byte, newlines and spaces included, survives the line protocol). A later ``file`` for the same
    path replaces its identity (a rewritten file has a new inode).
``done``
    the runner tore everything down itself: exit without touching anything

A watched path is removed only if, at that moment, ``lstat`` shows a regular file with the very
``(st_dev, st_ino)`` sent and a single link: never a symlink (or what it points to), a directory,
a file someone put in its place, or a file someone else also linked elsewhere. The check and the
removal go through one open descriptor of the file's directory, so the directory cannot be swapped
between them. A garbled line is ignored rather than costing the cleanup.

It runs as a script with ``python -S`` (standard library only, no site-packages), which starts in
about a third of the time a normal interpreter needs: it competes with the app for the CPU.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys

try:
    from harness.process import procscan
except ImportError:  # run as a script under -S: only this file's folder is importable
    import procscan  # type: ignore[import-not-found, no-redef]

#: The run marker's variable (kept in sync with harness.appenv.app_env.MARKER_VARIABLE).
MARKER_VARIABLE = "HARNESS_RUN_MARKER"


def clean_up(marker: str | None, groups: set[int]) -> None:
    """SIGKILL ``groups`` and every process of this uid that carries exactly ``marker``."""
    for pgid in groups:
        # A group whose number went to a stranger (the app ended long ago) is not ours to signal.
        if marker and procscan.LINUX and not procscan.group_still_ours(pgid, MARKER_VARIABLE, marker):
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    if marker and procscan.LINUX:
        # Only this (the runner's) real uid: another user's process is never matched, even by root.
        for pid in procscan.pids_with_variable(MARKER_VARIABLE, marker):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def remove_if_same(path: bytes, identity: tuple[int, int]) -> bool:
    """Remove ``path`` if it is a regular file with one link and ``identity`` (st_dev, st_ino);
    return whether it was removed. Never follows a symlink, never raises."""
    directory, name = os.path.split(path)
    try:
        folder = os.open(directory or b".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        found = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
            return False
        if (found.st_dev, found.st_ino) != identity:
            return False
        os.unlink(name, dir_fd=folder)
        return True
    except (OSError, NotImplementedError):
        return False
    finally:
        os.close(folder)


def remove_files(files: dict[bytes, tuple[int, int]]) -> None:
    for path, identity in files.items():
        remove_if_same(path, identity)


def main() -> int:
    # The runner's Ctrl-C or SIGTERM is the runner's to handle; the watchdog only acts on EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    marker: str | None = None
    groups: set[int] = set()
    files: dict[bytes, tuple[int, int]] = {}
    for raw in sys.stdin.buffer:
        command, _, argument = raw.strip().partition(b" ")
        try:
            if command == b"marker":
                marker = argument.decode("utf-8", "replace")
            elif command == b"group":
                groups.add(int(argument))
            elif command == b"ungroup":
                groups.discard(int(argument))
            elif command == b"file":
                device, inode, path = argument.split(b" ")
                files[bytes.fromhex(path.decode("ascii"))] = (int(device), int(inode))
            elif command == b"unfile":
                files.pop(bytes.fromhex(argument.decode("ascii")), None)
            elif command == b"done":
                return 0
        except ValueError:  # (UnicodeDecodeError is one) a garbled line: the rest still counts
            continue
    clean_up(marker, groups)  # the processes first: they may still be using the files
    remove_files(files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
