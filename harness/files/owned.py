"""Files harness owns: written with a mark naming their run, replaced and removed only by rule.

A file harness writes where people and tools look (the app's env file, its log) starts with one
line::

    # harness run harness-4242-9f...e1 (pid 4242, started 1764867000.53, 2026-12-04 16:50:00): ...

From that line alone a later run knows the file is harness's and whether the run that wrote it is
still alive. The rules:

* a path is written only if nothing is there, or a file with harness's mark whose run is this one
  or is over (a file of someone else's, or of a live concurrent run, is never overwritten);
* never through a symbolic link at the last step, never over a directory, socket or device;
* a file is removed only if it is still the very file this run wrote (same device and inode) and
  still carries this run's mark.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from harness.errors import HarnessError, UnsafePathError
from harness.files.confine import check_confined, resolve_for_writing

#: How much of a file is read to find its mark: the first line, which is short.
_MARK_BYTES = 4096
_MARK = re.compile(rb"^# harness run (?P<marker>\S+) \(pid (?P<pid>\d+), started (?P<started>\d+(?:\.\d+)?)")
#: The first line of env files written before runs were named in them (harness 0.1).
_LEGACY_MARK = b"# Written by harness for profile"


@dataclass(frozen=True)
class RunStamp:
    """Who writes: one run (its marker) and its runner process (pid and start time, which together
    tell a live runner from a recycled pid)."""

    marker: str
    pid: int
    started: float
    #: The project's state directory (``.harness``): runs record themselves in its ``runs`` folder
    #: while they run, and everything in it is harness's. None: unknown.
    state_dir: Path | None = None

    @classmethod
    def of_this_process(cls, marker: str, state_dir: Path | None = None) -> RunStamp:
        return cls(marker, os.getpid(), psutil.Process().create_time(), state_dir)

    def mark(self, what: str) -> str:
        """The first line of a file this run writes (``what`` says what the file is)."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"# harness run {self.marker} (pid {self.pid}, started {self.started:.2f}, {when}): {what}\n"

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"pid {self.pid}, started {when}"


def runner_alive(pid: int, started: float) -> bool:
    """Whether the runner ``pid`` that started at ``started`` still runs.

    The start time tells a recycled pid from the runner (marks carry it to 10 ms); a zombie (a killed
    runner its parent has not reaped, or never will, as a container's PID 1 may not) is as dead as a
    runner gets."""
    try:
        runner = psutil.Process(pid)
        return abs(runner.create_time() - started) < 0.02 and runner.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def run_alive(marker: str, pid: int, started: float, state_dir: Path | None) -> bool:
    """Whether the run ``marker`` is still going: its runner lives, and (where the project's state
    directory is known) it has not ended -- a run that stopped cleanly removed its record, even if
    its process (a Python API user's, an IDE's) lives on."""
    if not runner_alive(pid, started):
        return False
    return state_dir is None or (state_dir / "runs" / f"{marker}.json").exists()


@dataclass(frozen=True)
class OwnedFile:
    """A file this run wrote: where, and which file it is (so a replacement is never mistaken for it)."""

    path: Path
    device: int
    inode: int


def _first_line(path: Path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        return os.read(descriptor, _MARK_BYTES).split(b"\n", 1)[0]
    finally:
        os.close(descriptor)


#: The fix of each kind of refusal (``{key}``: the configuration key that chose the path).
_ELSEWHERE = "point {key} at a path of its own"
_FIXES = {
    "parent": "make the directory on the way a directory, or " + _ELSEWHERE,
    "unexaminable": _ELSEWHERE,
    "link": "remove the link (harness writes a file of its own there), or " + _ELSEWHERE,
    "directory": "point {key} at a file path, not a directory",
    "special": _ELSEWHERE,
    "unreadable": "make the file readable, move it away yourself, or " + _ELSEWHERE,
    "live run": "wait for that run to end (or stop it), or " + _ELSEWHERE,
    "foreign": "move that file away yourself, or " + _ELSEWHERE,
}


def _existing_problem(
    path: Path, stamp: RunStamp, what: str, live_runs_ok: bool = False
) -> tuple[str, str] | None:
    """Why the thing already at ``path`` may not be replaced by ``what``, and the kind of refusal
    (a key of ``_FIXES``); None if it may (``live_runs_ok``: a file of another live run is no problem,
    as when only judging a configuration)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return f"{path} cannot hold {what}: one of its parents is a file, not a directory", "parent"
    except OSError as error:
        return f"{path} cannot be examined ({error.strerror})", "unexaminable"
    if stat.S_ISLNK(info.st_mode):
        return (
            f"{path} is a symbolic link (to {os.readlink(path)}); harness never writes through a link, "
            "so the file it points to cannot be overwritten by accident",
            "link",
        )
    if stat.S_ISDIR(info.st_mode):
        return f"{path} is a directory; {what} needs a file path", "directory"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} exists and is not a regular file (a socket, pipe or device)", "special"
    try:
        first = _first_line(path)
    except OSError as error:
        return f"{path} exists and cannot be read ({error.strerror}) to see who wrote it", "unreadable"
    found = _MARK.match(first)
    if found is not None:
        marker, pid, started = found["marker"].decode(), int(found["pid"]), float(found["started"])
        if marker == stamp.marker or live_runs_ok or not run_alive(marker, pid, started, stamp.state_dir):
            return None  # this run's, or left by a run that is over
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
        return (
            f"{path} belongs to another harness run that is still running (pid {pid}, started {when})",
            "live run",
        )
    if first.startswith(_LEGACY_MARK) or _in_state_dir(path, stamp.state_dir):
        return None  # an env file of harness 0.1, or a log in harness's own directory (logs had no mark)
    return (
        f"{path} exists and harness did not write it (its first line is not harness's mark); harness "
        "never overwrites a file it did not write",
        "foreign",
    )


def _in_state_dir(path: Path, state_dir: Path | None) -> bool:
    if state_dir is None:
        return False
    real = Path(os.path.realpath(state_dir))
    return real in resolve_for_writing(path).parents


def check_writable(
    path: Path,
    *,
    root: Path,
    stamp: RunStamp,
    what: str,
    key: str,
    allow_outside: bool,
    live_runs_ok: bool = False,
) -> None:
    """Raise :class:`UnsafePathError` unless this run may write ``what`` at ``path`` (``key`` is the
    configuration key that chose the path, named in the message with the fix)."""
    check_confined(path, root, what=what, key=key, allow_outside=allow_outside)
    refused = _existing_problem(path, stamp, what, live_runs_ok)
    if refused:
        problem, kind = refused
        fix = _FIXES[kind].format(key=key.split(" (", 1)[0])
        raise UnsafePathError(f"{key}: harness will not write {what} at {path}: {problem}. fix: {fix}")


def _make_parent(path: Path, what: str, key: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(
            f"{key}: cannot create the directory {path.parent} for {what}: {error.strerror}; "
            "fix: make it writable for this user, or point the key at a writable place"
        ) from None


def _write_failed(path: Path, what: str, key: str, error: OSError) -> HarnessError:
    return HarnessError(
        f"{key}: cannot write {what} at {path}: {error.strerror or error}; fix: make {path.parent} "
        f"writable for this user, or point {key} at a writable place"
    )


#: The name pattern of :func:`write_whole`'s temporary files (``.<name>.<random>.tmp``).
TEMPORARY_SUFFIX = ".tmp"


def write_whole(path: Path, content: bytes, mode: int = 0o600) -> os.stat_result:
    """Write ``content`` to a new file beside ``path`` (``.<name>.<random>.tmp``, created exclusively,
    never through a link) and rename it over ``path``: readers never see half a file, and a link put
    at ``path`` meanwhile is replaced, not followed. Returns the file's status; OSError as raised
    (the temporary file removed)."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(content)
            info = os.fstat(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return info


def _replace_with(path: Path, content: bytes, mode: int, what: str, key: str) -> OwnedFile:
    """:func:`write_whole`, its failures told as one message naming the key and the fix."""
    _make_parent(path, what, key)
    try:
        info = write_whole(path, content, mode)
    except OSError as error:
        raise _write_failed(path, what, key, error) from None
    return OwnedFile(path, info.st_dev, info.st_ino)


def write_owned(
    path: Path,
    text: str,
    *,
    root: Path,
    stamp: RunStamp,
    what: str,
    key: str,
    allow_outside: bool = False,
    mode: int = 0o600,
    note: str | None = None,
) -> OwnedFile:
    """Write ``text`` at ``path`` after this run's mark (saying ``note``, or ``what``), atomically;
    see the module's rules. ``what`` names the file in messages ("the app's env file")."""
    check_writable(path, root=root, stamp=stamp, what=what, key=key, allow_outside=allow_outside)
    return _replace_with(path, (stamp.mark(note or what) + text).encode("utf-8"), mode, what, key)


def is_log_of_ended_run(path: Path, stamp: RunStamp) -> bool:
    """Whether ``path`` is a regular file carrying harness's mark of a run that is over (not this
    run): what a later run may remove."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        found = _MARK.match(_first_line(path))
    except OSError:
        return False
    if found is None or found["marker"].decode() == stamp.marker:
        return False
    return not run_alive(
        found["marker"].decode(), int(found["pid"]), float(found["started"]), stamp.state_dir
    )


def is_same_file(owned: OwnedFile) -> bool:
    """Whether ``owned.path`` still is the regular file that was written (not replaced, not a link)."""
    try:
        info = os.lstat(owned.path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == (owned.device, owned.inode)


def remove_owned(owned: OwnedFile, stamp: RunStamp) -> bool:
    """Remove ``owned`` if it is still the very file this run wrote, with this run's mark; return
    whether it was removed. Anything else at the path (a file someone put there, a link) stays."""
    if not is_same_file(owned):
        return False
    try:
        found = _MARK.match(_first_line(owned.path))
    except OSError:
        return False
    if found is None or found["marker"].decode() != stamp.marker:
        return False
    with contextlib.suppress(FileNotFoundError):
        owned.path.unlink()
    return True


def open_log(
    path: Path,
    *,
    root: Path,
    stamp: RunStamp,
    what: str,
    key: str,
    allow_outside: bool = False,
    previous: OwnedFile | None = None,
    separator: str = "",
    note: str | None = None,
) -> tuple[OwnedFile, int]:
    """Make ``path`` the log for ``what``: a fresh file with this run's mark (saying ``note``, or
    ``what``), or, when ``previous`` is still that very file (an app started again within the run),
    the same file with ``separator`` appended. Return the file and the offset where the new output
    begins. Owner-only, like the env file: an app's log often holds what its configuration held."""
    if previous is not None and is_same_file(previous):
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
            with os.fdopen(descriptor, "ab") as log:
                log.write(separator.encode("utf-8"))
                return previous, log.tell()
        except OSError as error:
            raise _write_failed(path, what, key, error) from None
    check_writable(path, root=root, stamp=stamp, what=what, key=key, allow_outside=allow_outside)
    mark = stamp.mark(note or what).encode("utf-8")
    return _replace_with(path, mark, 0o600, what, key), len(mark)


def create_exclusive(path: Path, content: bytes, *, what: str, key: str, mode: int = 0o600) -> OwnedFile:
    """Create ``path`` with ``content``, failing if anything (a link included) is already there:
    for files whose names are unique to this run (its record, its CA bundle)."""
    _make_parent(path, what, key)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise UnsafePathError(
            f"{key}: harness will not write {what} at {path}: something is already there; fix: move it away"
        ) from None
    except OSError as error:
        raise _write_failed(path, what, key, error) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        info = os.fstat(handle.fileno())
    return OwnedFile(path, info.st_dev, info.st_ino)
