"""Reading processes straight from /proc (Linux), with the standard library only.

Shared by teardown and by the watchdog, which runs as a bare ``python -S`` script (no
site-packages, so it starts in ~9 ms instead of ~25 ms) and so cannot import psutil.

Reading ``/proc/<pid>/stat`` is the costly file here (~15 µs a process, the kernel formats some
fifty fields); ``environ`` and ``task/<tid>/children`` are cheap. So a marker is looked for by
reading every ``environ`` directly, and a process's descendants are found by following the
``children`` files from it, which touches only that tree instead of every process on the machine.

A marker match counts only for a process of this process's own real uid, even as root (who can read
every ``environ``): harness never matches, and so never signals, another user's process. That check
reads ``/proc/<pid>/status`` of the matches alone (a handful), never of every process.
"""

from __future__ import annotations

import os
import sys

LINUX = sys.platform.startswith("linux")
_DEAD = (b"Z", b"X")  # zombie, dead: gone but for the entry


def _children_files_exist() -> bool:
    me = os.getpid()
    return os.path.exists(f"/proc/{me}/task/{me}/children")


#: Whether the kernel has ``/proc/<pid>/task/<tid>/children`` (CONFIG_PROC_CHILDREN); without it,
#: descendants can only be found from a :func:`process_table` of every process.
CHILDREN_FILES = LINUX and _children_files_exist()


def _read(path: str) -> bytes | None:
    """The whole file, or None if it cannot be read (the process is gone, or not ours)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(descriptor, 65536):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return b"".join(chunks)


def _stat_fields(stat: bytes) -> list[bytes]:
    """The fields after the parenthesised command name (which may hold spaces): state ppid pgrp."""
    return stat[stat.rindex(b")") + 2 :].split(b" ", 3)[:3]


def process_table() -> dict[int, tuple[int, int]]:
    """``pid -> (ppid, pgrp)`` of every live, non-zombie process except this one (Linux)."""
    me = os.getpid()
    table: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        stat = _read(f"/proc/{name}/stat")
        if not stat:
            continue
        try:
            state, ppid, pgrp = _stat_fields(stat)
        except ValueError:
            continue
        if state not in _DEAD:
            table[int(name)] = (int(ppid), int(pgrp))
    return table


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process, not a zombie."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return False
    try:
        return _stat_fields(stat)[0] not in _DEAD
    except ValueError:
        return False


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``: a child is listed under the thread that forked it, so all threads."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone: its children were re-parented and are no longer its
    found: list[int] = []
    for thread in threads:
        listed = _read(f"/proc/{pid}/task/{thread}/children")
        if listed:
            found.extend(int(child) for child in listed.split())
    return found


def descendants(pid: int) -> set[int]:
    """Live, non-zombie descendants of ``pid``, through the children files (needs CHILDREN_FILES).

    Like any snapshot of /proc it can miss a process forked while it runs; teardown's marker sweep
    afterwards is what proves nothing was missed.
    """
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in _children(pending.pop()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return {child for child in found if _alive(child)}  # a zombie has no children: pruned last


def real_uid(pid: int | str) -> int | None:
    """The real uid of process ``pid`` (the first field of the ``Uid:`` line of its status file),
    or None if it is gone."""
    status = _read(f"/proc/{pid}/status") or b""
    start = status.find(b"\nUid:")
    try:
        return int(status[start + 5 :].split(None, 1)[0]) if start >= 0 else None
    except (IndexError, ValueError):
        return None


def group_still_ours(pgid: int, variable: str, value: str) -> bool:
    """Whether process group ``pgid`` can still only be the one harness started, whose leader carried
    ``variable=value`` (Linux).

    A group's id is its leader's pid, and the kernel hands that number out again only once no
    process uses it as a pid or a group id. So: no process ``pgid`` (the leader is gone, reaped) --
    any member left is one of ours, or there is none; a zombie ``pgid`` -- the leader, dead but
    holding the number; a live process ``pgid`` without the value in its environment -- the number
    was handed to a stranger after our group emptied, and signalling the group would hit it.
    """
    stat = _read(f"/proc/{pgid}/stat")
    if not stat:
        return True
    try:
        if _stat_fields(stat)[0] in _DEAD:
            return True
    except ValueError:
        return True
    environ = _read(f"/proc/{pgid}/environ") or b""
    return (b"\0" + f"{variable}={value}".encode() + b"\0") in b"\0" + environ + b"\0"


def pids_with_variable(variable: str, value: str) -> set[int]:
    """Pids of live processes, except this one, whose environment holds exactly ``variable=value``
    and whose real uid is this process's real uid (Linux).

    Every process's environ is read directly, without a stat first: a zombie's reads as empty (it
    has no memory left), so zombies never match. Only a match has its status read, for its uid: a
    process of another user never matches, even when root can read its environment.
    """
    needle = b"\0" + f"{variable}={value}".encode() + b"\0"
    me = os.getpid()
    uid = os.getuid()
    found: set[int] = set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        environ = _read(f"/proc/{name}/environ")
        # Entries are NUL-terminated; the leading NUL anchors the first one, the trailing NUL covers
        # a process that rewrote its environment without the final terminator.
        if environ and needle in b"\0" + environ + b"\0" and real_uid(name) == uid:
            found.add(int(name))
    return found
