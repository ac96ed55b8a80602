"""Every path harness writes, fuzzed against a tree of decoy files: nothing of the user's is touched.

Each example builds a fresh tree -- a project with its own files (pyproject.toml, a test, an env
file and a log harness did not write, a read-only file, a directory where a file would go, links
into and out of the project, a linked directory leading out) beside files outside the project --
then runs a real harness (the tiny app, started and stopped) with ``env_file``, ``log_dir``,
``env_file_fixed`` and ``allow_writes_outside_project`` drawn from paths aimed at those decoys.

Whatever the configuration, the run ends in success or in one HarnessError (never another
exception), no process is left, and every decoy is exactly as it was: type, bytes, mode, link
target, inode. What harness may leave is only new: its state directory, and directories it made.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import Harness
from harness.errors import HarnessError

from .api_support import project_processes
from .support import TINY_APP

#: How many configurations the property tries (each starts the tiny app, or is refused first).
EXAMPLES = 150

Snapshot = dict[str, tuple[object, ...]]


def build_tree(base: Path) -> Path:
    """The decoys; returns the project directory (``base/project``)."""
    outside = base / "outside"
    project = base / "project"
    for directory in (outside / "dir", project / "env" / "dir.env", project / "tests", project / "logs"):
        directory.mkdir(parents=True)
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (outside / "secret.env").write_text("API_KEY=outside-secret\n")
    (project / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    (project / "env" / "existing.env").write_text("# the team's own env file\nDB_URL=postgres://db\n")
    (project / "logs" / "default.log").write_text("the team's own log\n")
    readonly = project / "env" / "readonly.env"
    readonly.write_text("READ=only\n")
    readonly.chmod(0o444)  # root may write it anyway: harness must not
    (project / "afile").write_text("a file where a directory would be needed\n")
    (project / "env" / "out.env").symlink_to(outside / "secret.env")
    (project / "env" / "in.env").symlink_to(project / "pyproject.toml")
    (project / "env" / "dangling.env").symlink_to(outside / "never-created.env")
    (project / "linkdir").symlink_to(outside)
    (project / "logs" / "linked.log").symlink_to(outside / "passwd")
    return project


def write_config(project: Path, keys: dict[str, object]) -> Path:
    lines = [
        "[tool.harness]",
        f"command = [{_toml(sys.executable)}, {_toml(str(TINY_APP))}]",
        'health = "/health"',
        "startup_timeout = 20",
        *(f"{key} = {_toml(value)}" for key, value in keys.items()),
    ]
    path = project / "pyproject.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def snapshot(base: Path) -> Snapshot:
    """Every path under ``base`` (links not followed): what it is and what it holds."""
    found: Snapshot = {}
    for directory, names, files in os.walk(base):
        for name in names + files:
            path = Path(directory) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[str(path)] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                found[str(path)] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_ino)
    return found


def changed_decoys(before: Snapshot, after: Snapshot) -> list[str]:
    return [path for path, what in before.items() if after.get(path) != what]


def left_by_harness(before: Snapshot, after: Snapshot, project: Path) -> list[str]:
    """New paths that are not harness's to leave: anything but its state directory, directories and
    the app's logs (kept after a run on purpose, marked as harness's)."""
    state = str(project / ".harness")

    def may_stay(path: str, what: tuple[object, ...]) -> bool:
        if path.startswith(state) or what[0] == "dir":
            return True
        content = what[1]
        return path.endswith(".log") and isinstance(content, bytes) and content.startswith(b"# harness run ")

    return [path for path, what in after.items() if path not in before and not may_stay(path, what)]


#: Paths aimed at the decoys, and a few harmless ones.
AIMED = [
    "env/functional.env",
    "env/existing.env",
    "env/readonly.env",
    "env/dir.env",
    "env/out.env",
    "env/in.env",
    "env/dangling.env",
    "pyproject.toml",
    "tests/test_x.py",
    "afile/x.env",
    "linkdir/new.env",
    "linkdir/passwd",
    "../outside/secret.env",
    "../outside/passwd",
    "../outside/new.env",
    "../../",
    ".",
    "..",
    "env/../../outside/passwd",
    "~/harness-decoy-test.env",
]
LOG_DIRS = [".harness/logs", "logs", "logs/linked.log", "tests", ".", "..", "linkdir", "../outside", "afile"]


def absolute(project: Path, relative: str) -> str:
    return str((project / relative).absolute())


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, object]:
    keys: dict[str, object] = {}
    if draw(st.booleans()):
        keys["env_file"] = draw(
            st.one_of(
                st.sampled_from(AIMED),
                st.sampled_from(AIMED).map(lambda path: f"ABS:{path}"),
                st.lists(
                    st.sampled_from(["env", "..", ".", "linkdir", "afile", "x.env", "dir.env"]),
                    min_size=1,
                    max_size=4,
                ).map("/".join),
            )
        )
    if draw(st.booleans()):
        keys["log_dir"] = draw(st.sampled_from(LOG_DIRS))
    if draw(st.booleans()):
        keys["allow_writes_outside_project"] = draw(st.booleans())
    if draw(st.booleans()):
        keys["env_file_fixed"] = draw(st.booleans())
    return keys


def run_in_fresh_tree(keys: dict[str, object]) -> tuple[list[str], list[str], str]:
    """(decoys changed, files left behind, how the run ended) for ``keys`` in a fresh tree."""
    base = Path(tempfile.mkdtemp(prefix="harness-decoys-"))
    try:
        project = build_tree(base)
        keys = {
            key: absolute(project, value[4:])
            if isinstance(value, str) and value.startswith("ABS:")
            else value
            for key, value in keys.items()
        }
        pyproject = write_config(project, keys)
        before = snapshot(base)  # the configuration itself is a decoy too
        started = time.time()
        try:
            with Harness.from_pyproject(pyproject) as harness:
                harness.app.url_for("/health")
            ended = "ran"
        except HarnessError as error:
            ended = f"refused: {error}"
        assert not project_processes(project, started), keys
        after = snapshot(base)
        return changed_decoys(before, after), left_by_harness(before, after, project), ended
    finally:
        for path in base.rglob("*"):
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(base)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(keys=configurations())
@example(keys={"env_file": "env/out.env"})
@example(keys={"env_file": "env/out.env", "allow_writes_outside_project": True})
@example(keys={"env_file": "env/dangling.env", "allow_writes_outside_project": True})
@example(keys={"env_file": "env/existing.env"})
@example(keys={"env_file": "env/readonly.env"})
@example(keys={"env_file": "pyproject.toml"})
@example(keys={"env_file": "ABS:../outside/passwd", "allow_writes_outside_project": True})
@example(keys={"env_file": "linkdir/passwd", "allow_writes_outside_project": True})
@example(keys={"env_file": "env/dir.env"})
@example(keys={"env_file": "afile/x.env"})
@example(keys={"log_dir": "logs"})
@example(keys={"log_dir": "logs/linked.log"})
@example(keys={"log_dir": "linkdir", "allow_writes_outside_project": True})
@example(keys={"log_dir": "afile"})
@example(keys={"env_file": "../outside/new.env", "allow_writes_outside_project": True})
def test_no_decoy_is_ever_changed(keys: dict[str, object]) -> None:
    changed, left, ended = run_in_fresh_tree(keys)

    assert changed == [], f"{keys}: {ended}"
    assert left == [], f"{keys}: {ended}"


@pytest.mark.parametrize(
    ("keys", "refusal"),
    [
        ({"env_file": "env/existing.env"}, "exists and harness did not write it"),
        ({"env_file": "env/readonly.env"}, "exists and harness did not write it"),
        ({"env_file": "pyproject.toml"}, "exists and harness did not write it"),
        ({"env_file": "env/out.env"}, "is a symbolic link"),
        ({"env_file": "env/out.env", "allow_writes_outside_project": True}, "is a symbolic link"),
        ({"env_file": "env/in.env"}, "is a symbolic link"),
        ({"env_file": "env/dir.env"}, "is a directory"),
        ({"env_file": "afile/x.env"}, "one of its parents is a file"),
        ({"env_file": "../outside/new.env"}, "outside the project"),
        ({"env_file": "linkdir/new.env"}, "through a link"),
        ({"log_dir": "logs"}, "exists and harness did not write it"),
        ({"log_dir": "logs/linked.log"}, "outside the project"),
        ({"log_dir": ".."}, "outside the project"),
    ],
)
def test_each_refusal_is_one_message_naming_the_key_the_path_and_the_fix(
    keys: dict[str, object], refusal: str
) -> None:
    changed, left, ended = run_in_fresh_tree(keys)

    assert ended.startswith("refused: "), ended
    assert refusal in ended
    key = "env_file" if "env_file" in keys else "log_dir"
    assert f"tool.harness.{key}" in ended
    assert "fix:" in ended
    assert "Traceback" not in ended
    assert changed == []
    assert left == []


def test_writing_outside_the_project_when_allowed_creates_and_removes_only_its_own_file() -> None:
    base = Path(tempfile.mkdtemp(prefix="harness-decoys-"))
    try:
        project = build_tree(base)
        target = base / "outside" / "new.env"
        pyproject = write_config(
            project, {"env_file": "../outside/new.env", "allow_writes_outside_project": True}
        )
        with Harness.from_pyproject(pyproject) as harness:
            harness.app.url_for("/")
            assert harness.env_file == target
            assert target.read_text().startswith(f"# harness run {harness.marker} ")
        assert not target.exists()
    finally:
        shutil.rmtree(base)


def test_a_state_directory_linked_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = build_tree(tmp_path)
    (project / ".harness").symlink_to(tmp_path / "outside" / "dir")
    pyproject = write_config(project, {})
    before = snapshot(tmp_path)

    with (
        pytest.raises(HarnessError, match=r"\.harness.*outside the project.*fix:"),
        Harness.from_pyproject(pyproject) as harness,
    ):
        harness.app.url_for("/")

    assert changed_decoys(before, snapshot(tmp_path)) == []
