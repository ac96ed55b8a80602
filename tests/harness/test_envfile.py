"""The env file as harness writes it (envfile.render through files.owned.write_owned): owner-only,
atomic, marked with its run, and read back exactly by python-dotenv."""

from __future__ import annotations

import os
import stat

import pytest
from dotenv import dotenv_values, load_dotenv

from harness.appenv import envfile
from harness.errors import HarnessError
from harness.files import owned
from harness.files.owned import RunStamp, write_owned

STAMP = RunStamp.of_this_process("harness-test-envfile")


def write_env_file(path, values):
    """Write ``values`` as harness writes an app's env file."""
    write_owned(path, envfile.render(values), root=path.parent.parent, stamp=STAMP, what="x", key="env_file")
    return path


TRICKY = {
    "SINGLE_QUOTE": "it's",
    "DOUBLE_QUOTE": 'say "hi"',
    "BOTH_QUOTES": '"\'"',
    "BACKSLASHES": "C:\\path\\to\\new",
    "BACKSLASH_N": "a\\nb",
    "BACKSLASH_QUOTE": "\\'",
    "TRAILING_BACKSLASH": "x\\",
    "HASH": "a # b",
    "LEADING_HASH": "#not-a-comment",
    "SPACES": "  leading and trailing  ",
    "NEWLINES": "line1\nline2\n",
    "CARRIAGE_RETURN": "a\rb",
    "CRLF": "line1\r\nline2",
    "NEWLINE_QUOTES_AND_REFERENCE": 'it\'s "x"\n${HOME} \\n',
    "TAB": "a\tb",
    "BRACED_REFERENCE": "${HOME}",
    "DEFAULT_SYNTAX": "${DEFAULTED_VAR:-fallback}",
    "ESCAPED_REFERENCE": "\\${HOME}",
    "DOLLAR": "$",
    "DOLLARS": "cost $5, $HOME and ${",
    "UNICODE": "héllo ✓ 日本語",
    "EMPTY": "",
    "EQUALS": "a=b=c",
    "JSON": '{"k": [1, "two"]}',
    "URL": "http://127.0.0.1:4000/v1?a=1&b=2",
}


def test_file_mode_is_exactly_0600(tmp_path):
    old_umask = os.umask(0)  # even a permissive umask must not widen it
    try:
        path = write_env_file(tmp_path / "app.env", {"KEY": "secret"})
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_replacing_a_world_readable_file_makes_it_0600(tmp_path):
    path = write_env_file(tmp_path / "app.env", {"OLD": "1"})
    path.chmod(0o644)
    write_env_file(path, {"KEY": "secret"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_returns_the_path_and_creates_parent_directories(tmp_path):
    target = tmp_path / "deep" / "er" / "app.env"
    assert write_env_file(target, {"A": "1"}) == target
    assert dotenv_values(target) == {"A": "1"}


def test_no_temporary_file_is_left_behind(tmp_path):
    target = tmp_path / "app.env"
    write_env_file(target, {"A": "1"})
    write_env_file(target, {"A": "2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.env"]


def test_replaces_an_existing_file_atomically(tmp_path):
    target = write_env_file(tmp_path / "app.env", {"OLD": "old", "STALE": "yes"})
    old_content = target.read_text()
    with target.open() as reader_of_old_version:
        old_inode = os.fstat(reader_of_old_version.fileno()).st_ino
        write_env_file(target, {"NEW": "new"})
        # The old file was replaced by a rename, not truncated in place: a reader that had it open
        # still sees the complete old content.
        assert reader_of_old_version.read() == old_content
    assert target.stat().st_ino != old_inode
    assert dotenv_values(target) == {"NEW": "new"}


def test_failed_write_leaves_no_temporary_file_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = write_env_file(tmp_path / "app.env", {"OLD": "old"})
    old_content = target.read_text()

    def broken_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(owned.os, "replace", broken_replace)
    with pytest.raises(HarnessError, match=r"cannot write x at .*app\.env: No space left on device"):
        write_env_file(target, {"NEW": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.env"]
    assert target.read_text() == old_content


def test_the_first_line_is_the_run_s_mark_then_the_values(tmp_path):
    target = write_env_file(tmp_path / "app.env", {"A": "1"})
    first, second = target.read_text().splitlines()
    assert first.startswith(f"# harness run {STAMP.marker} (pid {STAMP.pid}, started ")
    assert second == "A='1'"
    assert dotenv_values(target) == {"A": "1"}


def test_empty_mapping_gives_a_readable_empty_env_file(tmp_path):
    target = write_env_file(tmp_path / "app.env", {})
    assert dotenv_values(target) == {}


def test_values_keep_their_order(tmp_path):
    values = {"Z": "1", "A": "2", "M": "3"}
    target = write_env_file(tmp_path / "app.env", values)
    assert list(dotenv_values(target)) == ["Z", "A", "M"]


@pytest.mark.parametrize(("name", "value"), list(TRICKY.items()), ids=list(TRICKY))
def test_dotenv_values_reads_back_exactly_what_was_written(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv("HOME", "/home/should-not-appear")
    monkeypatch.setenv("DEFAULTED_VAR", "should-not-appear")
    target = write_env_file(tmp_path / "app.env", {name: value})
    assert dotenv_values(target) == {name: value}


def test_all_tricky_values_together_round_trip(tmp_path):
    target = write_env_file(tmp_path / "app.env", TRICKY)
    assert dotenv_values(target) == TRICKY


def test_load_dotenv_sets_exactly_the_written_values(tmp_path, monkeypatch):
    prefixed = {f"HARNESS_TEST_{name}": value for name, value in TRICKY.items()}
    for name in prefixed:
        monkeypatch.delenv(name, raising=False)  # monkeypatch removes what load_dotenv sets, afterwards
    monkeypatch.setenv("HOME", "/home/should-not-appear")
    target = write_env_file(tmp_path / "app.env", prefixed)

    assert load_dotenv(target, override=True)
    for name, value in prefixed.items():
        assert os.environ[name] == value, name
