"""The pytest front's helpers (:mod:`harness.pytest_plugin` keeps only fixtures and hooks): the cheap
look for a configuration, SIGTERM as Ctrl-C, and pytest-xdist grouping.

Imports nothing but pytest and the standard library: the plugin loads into every pytest run.

With ``--dist loadgroup``, tests sharing an ``xdist_group`` run on one worker. Grouping each
non-default profile's tests makes its app start once per run instead of once per worker (an app
start is often the most expensive thing a test needs); the default profile, which usually has most
tests, stays spread over every worker. Without loadgroup the mark is inert. A test's own
``xdist_group`` mark wins.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

import pytest

#: The SIGTERM handler harness replaced (restored at the end of the session).
_previous_sigterm = pytest.StashKey[object]()


def may_hold_a_table(start: Path) -> bool:
    """Whether a pyproject.toml from ``start`` upwards (where :func:`harness.config.find_config`
    looks) mentions harness at all: a plain byte search, without a TOML parser, so a project that
    does not use harness pays nothing for it."""
    for directory in (start, *start.parents):
        try:
            if b"harness" in (directory / "pyproject.toml").read_bytes():
                return True
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return True  # unreadable: the real search reports it, if a test needs harness
    return False


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def handle_sigterm_like_ctrl_c(config: pytest.Config) -> None:
    """Turn SIGTERM (a CI cancel, ``kill``) into KeyboardInterrupt, so pytest tears the session
    down -- apps and mocks included -- instead of dying on the spot. Left alone if someone else
    already handles SIGTERM, or outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    # coverage's `sigterm = true` handler only saves data and dies; a teardown first saves more
    # (the app's own coverage included), and coverage still saves at the normal exit that follows.
    from_coverage = getattr(current, "__module__", "") == "coverage.control"
    if current is not signal.SIG_DFL and not from_coverage:
        return
    config.stash[_previous_sigterm] = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def restore_sigterm(config: pytest.Config) -> None:
    previous = config.stash.get(_previous_sigterm, None)
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def group_profiles(items: list[pytest.Item], profiles: Mapping[pytest.Item, str], default: str) -> None:
    """Mark each item whose profile (``profiles[item]``, harness's tests only) is not ``default``."""
    for item, profile in profiles.items():
        if profile != default and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(f"harness-profile-{profile}"))


def restore_loadgroup(items: list[pytest.Item]) -> None:
    """Give grouped tests the ``@group`` node-id suffix that xdist's loadgroup scheduler reads.

    xdist (3.8) writes it into ``item._nodeid``, which pytest 9.2 no longer reads (its node ids
    are structured, in ``item._id``), so loadgroup silently stops grouping anything
    (pytest-dev/pytest-xdist#1386). Where that is the case the suffix goes into the structured
    id, as the proposed upstream fix does; with a pytest that still reads ``_nodeid``, xdist's
    own hook (which runs after this one) does the job and nothing is changed here.
    """
    try:
        from _pytest.nodeid import coerce_node_id  # noqa: PLC0415  # pytest >= 9.2 only
    except ImportError:
        return  # a pytest without structured ids: xdist's own suffix works there
    for item in items:
        if "_nodeid" in vars(item) or not hasattr(item, "_id") or "@" in item.nodeid.rpartition("]")[2]:
            continue
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if not names:
            continue
        try:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")
        except (ValueError, TypeError):
            return  # a pytest this shim does not know: leave the ids alone


def xdist_handed_tests(config: pytest.Config) -> list[int] | None:
    """The tests an xdist worker has been handed and not yet begun, in order, as indices into
    ``session.items``; None outside a worker, or where this pytest-xdist keeps them elsewhere.

    A worker is handed its tests a few at a time (with ``--dist loadgroup``, a profile's group at
    once), so what it holds is all it can know of what comes. Read from xdist's worker (its
    ``WorkerInteractor``: ``nextitem_index`` and the ``torun`` queue, read under the queue's own
    lock, never changed); any other shape of it reads as None, and apps then start when first
    needed, as before."""
    if not hasattr(config, "workerinput"):
        return None
    worker = config.stash.get(_xdist_worker, None)
    if worker is None:
        found = [p for p in config.pluginmanager.get_plugins() if type(p).__name__ == "WorkerInteractor"]
        worker = config.stash[_xdist_worker] = found[0] if found else False
    queue = getattr(worker, "torun", None)
    lock = getattr(queue, "lock", None)
    if not callable(lock):
        return None
    try:
        with lock() as pending:
            handed = [index for index in pending if isinstance(index, int)]
    except Exception:  # xdist's internals changed: apps start when first needed, as before
        return None
    upcoming = getattr(worker, "nextitem_index", None)
    return [upcoming, *handed] if isinstance(upcoming, int) else handed


#: pytest-xdist's worker object (False: none found), looked up once per session.
_xdist_worker = pytest.StashKey[object]()
