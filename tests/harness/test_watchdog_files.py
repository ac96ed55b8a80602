"""The watchdog removes the run's files after the runner dies -- and only the very files it was given.

Each test drives a real watchdog (the ``python -S`` script) through :class:`Watchdog`, as harness
does: files are watched, the decoys are set up, then the pipe is closed without ``done`` (what a
SIGKILLed runner leaves) and the watchdog is proven gone before anything on disk is looked at.
The whole-runner case (a pytest runner SIGKILLed mid-run) is in test_chaos_runner.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from harness.process import watchdog
from harness.run.guard import Watchdog
from tests.support.processes import still_running


def _finish(guard: Watchdog, *, clean: bool = False) -> None:
    """Close the pipe (with ``done`` if ``clean``) and prove the watchdog is gone."""
    assert guard.pid is not None
    process = psutil.Process(guard.pid)
    guard.close(clean=clean)  # waits for it to exit
    assert still_running([process], timeout=0) == []


def _secret(path: Path, text: str = "API_KEY=secret\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _marker() -> str:
    """A marker no process carries: the dying watchdogs here sweep by it and must find nothing."""
    return f"harness-test-{uuid.uuid4().hex}"


@pytest.fixture
def guard():
    guard = Watchdog(_marker())
    try:
        yield guard
    finally:
        guard.close()  # idempotent: a test that already finished it leaves nothing to do


def test_watched_files_are_removed_when_the_runner_dies(tmp_path, guard):
    env_file = _secret(tmp_path / "env" / "harness.env")
    bundle = _secret(tmp_path / ".harness" / "tls" / "m-ca.pem", "PEM")
    # Spaces, a newline, non-ASCII and a byte that is not UTF-8: all survive the line protocol.
    odd = _secret(tmp_path / "a dir\nwith a newline" / os.fsdecode("näme \xff.env".encode("latin-1")))
    bystander = _secret(tmp_path / "env" / "other.env")

    for path in (env_file, bundle, odd):
        assert guard.watch_file(path)
    _finish(guard)

    assert [path for path in (env_file, bundle, odd) if path.exists()] == []
    assert bystander.read_text() == "API_KEY=secret\n"  # never watched: untouched
    assert env_file.parent.is_dir()  # the file, never its folder


def test_a_clean_teardown_or_an_unwatched_file_leaves_the_files_alone(tmp_path):
    kept = _secret(tmp_path / "kept.env")
    unwatched = _secret(tmp_path / "unwatched.env")
    clean = Watchdog(_marker())
    assert clean.watch_file(kept)
    _finish(clean, clean=True)

    dying = Watchdog(_marker())
    assert dying.watch_file(unwatched)
    dying.unwatch_file(unwatched)
    _finish(dying)

    assert kept.exists()
    assert unwatched.exists()


def test_watch_file_refuses_what_is_not_a_regular_file(tmp_path, guard):
    target = _secret(tmp_path / "target.env")
    link = tmp_path / "link.env"
    link.symlink_to(target)
    folder = tmp_path / "folder"
    folder.mkdir()

    assert not guard.watch_file(link)
    assert not guard.watch_file(folder)
    assert not guard.watch_file(tmp_path / "missing.env")
    assert guard.pid is None  # nothing was watched, so nothing was started
    assert link.is_symlink()
    assert target.exists()
    assert folder.is_dir()


def test_a_file_that_is_no_longer_the_one_watched_is_never_removed(tmp_path, guard):
    """Whatever took the watched path's place -- another file, a symlink (even to the watched file
    itself), a directory -- and a watched file someone else also linked, all stay."""
    replaced = _secret(tmp_path / "replaced.env")
    by_link = _secret(tmp_path / "by_link.env")
    by_folder = _secret(tmp_path / "by_folder.env")
    linked = _secret(tmp_path / "linked.env")
    for path in (replaced, by_link, by_folder, linked):
        assert guard.watch_file(path)

    (tmp_path / "theirs.tmp").write_text("theirs")
    (tmp_path / "theirs.tmp").replace(replaced)  # a new inode under the watched name
    moved = by_link.rename(tmp_path / "moved.env")  # the watched file itself, under another name ...
    by_link.symlink_to(moved)  # ... and a symlink to it in its place
    by_folder.unlink()
    by_folder.mkdir()
    (by_folder / "inside").write_text("theirs")
    os.link(linked, tmp_path / "their-link.env")
    _finish(guard)

    assert replaced.read_text() == "theirs"
    assert by_link.is_symlink()
    assert moved.read_text() == "API_KEY=secret\n"
    assert (by_folder / "inside").read_text() == "theirs"
    assert linked.exists()
    assert (tmp_path / "their-link.env").exists()


def test_a_rewritten_file_watched_again_is_removed(tmp_path, guard):
    env_file = _secret(tmp_path / "harness.env")
    assert guard.watch_file(env_file)
    (tmp_path / "harness.env.tmp").write_text("API_KEY=rotated\n")
    (tmp_path / "harness.env.tmp").replace(env_file)  # how env files are written: a new inode
    assert guard.watch_file(env_file)  # the latest identity wins
    _finish(guard)

    assert not env_file.exists()


def test_the_script_skips_garbled_lines_and_still_cleans_up(tmp_path):
    """The pipe protocol read by the bare script: a garbled line costs nothing else."""
    path = _secret(tmp_path / "harness.env")
    found = path.lstat()
    lines = [
        b"marker m",
        b"group not-a-number",
        b"file 1 2",  # a field short
        b"file x y zz",
        b"unfile not-hex",
        f"file {found.st_dev} {found.st_ino} {os.fsencode(path).hex()}".encode(),
        b"\xff\xfe",
    ]
    result = subprocess.run(
        [sys.executable, "-S", watchdog.__file__],
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    assert not path.exists()


def test_remove_if_same_checks_the_identity_at_removal(tmp_path):
    path = _secret(tmp_path / "f.env")
    found = path.lstat()

    assert not watchdog.remove_if_same(os.fsencode(path), (found.st_dev, found.st_ino + 1))
    assert not watchdog.remove_if_same(os.fsencode(tmp_path / "missing" / "f.env"), (1, 2))
    assert path.exists()
    assert watchdog.remove_if_same(os.fsencode(path), (found.st_dev, found.st_ino))
    assert not path.exists()
