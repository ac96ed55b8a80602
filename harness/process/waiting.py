"""Wait for a child process to exit, waking the moment it does.

``Popen.wait(timeout)`` polls with growing sleeps (up to 50 ms), which would add that much to every
stop and to noticing an early crash. On Linux a pidfd becomes readable exactly when the process
exits, so ``select`` on it wakes at once.
"""

from __future__ import annotations

import os
import select
import subprocess


def wait_for_exit(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """Wait up to ``timeout`` seconds; return the exit code, or None if still running."""
    code = process.poll()
    if code is not None or timeout <= 0:
        return code
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
    try:
        descriptor = pidfd_open(process.pid)
    except OSError:  # kernel without pidfd, or the process is already reaped
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
    try:
        select.select([descriptor], [], [], timeout)
    finally:
        os.close(descriptor)
    return process.poll()
