"""Start the app: resolve its command, give it its own session and a log file."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from harness.errors import CommandNotFoundError


def resolve_executable(argv: list[str], cwd: Path, env: Mapping[str, str], where: str) -> str:
    """Return the absolute path of ``argv[0]`` or raise :class:`CommandNotFoundError`."""
    program = argv[0]
    if os.sep in program or (os.altsep and os.altsep in program):
        candidate = Path(program) if Path(program).is_absolute() else cwd / program
        # Shown in messages and run as such: its directories resolved ("/p/../venv/bin" reads as
        # "/venv/bin"), its last step kept -- a venv's python is a link that must stay the venv's.
        candidate = Path(os.path.realpath(candidate.parent)) / candidate.name
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return str(candidate)
        reason = "is not executable" if os.path.isfile(candidate) else "does not exist"
        raise CommandNotFoundError(
            f"the app's command {program!r} ({where}) {reason} (looked at {candidate}); "
            "fix: correct the path in `command`, or make the file executable"
        )
    found = shutil.which(program, path=env.get("PATH", os.defpath))
    if found is None:
        raise CommandNotFoundError(
            f"the app's command {program!r} ({where}) was not found on PATH; "
            "fix: install it, activate the environment that provides it, or give its full path in `command`"
        )
    return found


def launch(argv: list[str], cwd: Path, env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session with stdout and stderr appended to ``log_path``.

    Its own session (and so process group) lets teardown signal the app and everything it started
    at once. Output goes to a file rather than a pipe: a pipe nobody drains freezes a chatty app,
    and a file survives for the failure report.
    """
    # Appended to, never through a link: the log was made (with its mark) just before.
    descriptor = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "ab") as log:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
