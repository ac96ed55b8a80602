"""Two runs in one checkout never share a file: each run holds an instance name of its own.

A run's env files and logs carry its instance name (``env/functional.<instance>.env``,
``.harness/logs/default.<instance>.log``); a run without one uses the plain names. A name is held
with an exclusive ``flock`` on ``.harness/instances/<name>.lock``, which the kernel releases when
the run ends however it ends (SIGKILL included), so a dead run never blocks a later one.

A run that finds its name taken by a live run takes ``<name>.pid<its pid>`` (or ``pid<its pid>``)
instead: apps find their env file through ``HARNESS_ENV_FILE``, so both runs pass. Except where the
configuration says the app reads its env file at exactly the configured path
(``env_file_fixed = true``): then the path itself is held, and a second run is refused at once
with the first run's pid, start time and command.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from harness.errors import ConcurrentRunError, HarnessError
from harness.files.owned import RunStamp

#: The lock of runs without an instance name (their files have the plain names).
DEFAULT_SLOT = "default"
#: Names a run can be given (they become part of file names).
_INSTANCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
#: The variable that gives every run started under it an instance name (CI shards, terminals).
INSTANCE_VARIABLE = "HARNESS_INSTANCE"


def instance_name(explicit: str | None = None, worker: str | None = None) -> str | None:
    """The instance name a run asks for: ``explicit`` (an option, ``Harness(instance=...)``), else
    ``$HARNESS_INSTANCE``, joined with the pytest-xdist ``worker`` id. Raises :class:`HarnessError`
    for a name that cannot be part of a file name."""
    chosen = explicit if explicit is not None else os.environ.get(INSTANCE_VARIABLE) or None
    if chosen is not None and (not isinstance(chosen, str) or not _INSTANCE_NAME.match(chosen)):
        source = "the instance name" if explicit is not None else f"${INSTANCE_VARIABLE}"
        raise HarnessError(
            f"{source} {chosen!r} cannot be part of a file name; fix: use 1 to 64 letters, digits, '_', "
            "'-' or '.', starting with a letter or digit (e.g. shard-2)"
        )
    parts = [part for part in (chosen, worker) if part]
    return ".".join(parts) or None


@dataclass
class InstanceClaim:
    """An instance name this run holds (``None``: the plain names) until :meth:`release`."""

    name: str | None
    _descriptors: list[int] = field(default_factory=list, repr=False)
    #: The lock of a name only this process could ever want (``pid<pid>...``), removed at release.
    _own_lock: Path | None = field(default=None, repr=False)

    def release(self) -> None:
        # Shared names' lock files stay: removing one while another run waits to open it would let
        # two runs hold "the same" name through two different files. A pid name's lock cannot be
        # wanted by anyone else while this process lives, so it goes (before its lock is let go).
        if self._own_lock is not None:
            with contextlib.suppress(OSError):
                self._own_lock.unlink()
            self._own_lock = None
        for descriptor in self._descriptors:
            with contextlib.suppress(OSError):
                os.close(descriptor)
        self._descriptors.clear()


def _lock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s exclusive lock, or None if another run holds it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _record_holder(descriptor: int, stamp: RunStamp) -> None:
    """Write who holds the lock into it, for the message a refused run shows."""
    try:
        command = " ".join(psutil.Process().cmdline())
    except psutil.Error:
        command = ""
    holder = {
        "marker": stamp.marker,
        "pid": stamp.pid,
        "started": stamp.started,
        "command": command,
        # A pytest-xdist worker: its controller (the parent) tells a sibling worker from another run.
        "worker": os.environ.get("PYTEST_XDIST_WORKER"),
        "ppid": os.getppid(),
    }
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps(holder).encode("utf-8"), 0)


def _sibling_worker(lock: Path) -> str | None:
    """The xdist worker id of ``lock``'s holder if it is another worker of this very run."""
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    worker = holder.get("worker") if isinstance(holder, dict) else None
    mine = os.environ.get("PYTEST_XDIST_WORKER")
    if isinstance(worker, str) and mine and holder.get("ppid") == os.getppid():
        return worker
    return None


def describe_holder(lock: Path) -> str:
    """Who holds ``lock`` (pid, start time, command), as well as the lock file tells."""
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(holder["started"])))
        command = str(holder.get("command") or "")[:200]
        return f"pid {int(holder['pid'])}, started {when}" + (f", command: {command}" if command else "")
    except (OSError, ValueError, KeyError, TypeError):
        return "a run that has not said who it is yet"


def _lock_name(name: str | None) -> str:
    return f"{name or DEFAULT_SLOT}.lock"


def _fixed_env_file_lock(directory: Path, env_file: Path) -> Path:
    digest = hashlib.sha256(str(env_file).encode("utf-8")).hexdigest()[:16]
    return directory / f"env-file-{digest}.lock"


def claim_instance(
    state_dir: Path, wanted: str | None, *, stamp: RunStamp, fixed_env_file: Path | None = None
) -> InstanceClaim:
    """Hold ``wanted`` (or a name derived from it) for this run; see the module's rules.

    ``fixed_env_file``: the app reads exactly that path, so this run needs it alone, or fails with
    :class:`ConcurrentRunError` naming the run that holds it.
    """
    directory = state_dir / "instances"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(
            f"cannot create {directory} for this run's state: {error.strerror}; fix: make the project "
            "directory writable for this user"
        ) from None
    claim = InstanceClaim(name=wanted)
    try:
        if fixed_env_file is not None:
            lock = _fixed_env_file_lock(directory, fixed_env_file)
            descriptor = _lock(lock)
            sibling = _sibling_worker(lock) if descriptor is None else None
            if sibling is not None:
                raise ConcurrentRunError(
                    f"the env file {fixed_env_file} is in use by pytest-xdist worker {sibling} of this "
                    f"same run ({describe_holder(lock)}); env_file_fixed = true says the app reads exactly "
                    "that path, so only one worker can have it. fix: run without -n, or, if the app finds "
                    "its env file through $HARNESS_ENV_FILE (or needs none), remove env_file_fixed"
                )
            if descriptor is None:
                raise ConcurrentRunError(
                    f"the env file {fixed_env_file} is in use by another harness run in this checkout "
                    f"({describe_holder(lock)}); env_file_fixed = true says the app reads exactly that "
                    "path, so two runs (or two pytest-xdist workers) cannot use it at once. fix: wait "
                    "for that run to end or stop it, run from another checkout, or, if the app finds its "
                    "env file through $HARNESS_ENV_FILE (or needs none), remove env_file_fixed so that "
                    "each run gets a file of its own"
                )
            claim._descriptors.append(descriptor)
            _record_holder(descriptor, stamp)
        descriptor = _lock(directory / _lock_name(wanted))
        if descriptor is None:
            # Taken by a live run: a name of our own, which no other live process can be using.
            claim.name = f"{wanted}.pid{stamp.pid}" if wanted else f"pid{stamp.pid}"
            descriptor = _lock(directory / _lock_name(claim.name))
            if descriptor is None:  # only another Harness of this very process: count up
                for number in range(2, 10_000):
                    candidate = f"{claim.name}.{number}"
                    descriptor = _lock(directory / _lock_name(candidate))
                    if descriptor is not None:
                        claim.name = candidate
                        break
            if descriptor is None:  # pragma: no cover - ten thousand harnesses in one process
                raise ConcurrentRunError("no free instance name for this run in " + str(directory))
            claim._own_lock = directory / _lock_name(claim.name)
        claim._descriptors.append(descriptor)
        _record_holder(descriptor, stamp)
    except OSError as error:
        claim.release()
        raise HarnessError(
            f"cannot hold this run's instance lock in {directory}: {error.strerror}; fix: make "
            f"{directory} writable for this user"
        ) from None
    except BaseException:
        claim.release()
        raise
    return claim
