"""The decoy tree of the do-no-harm checks (test_decoys.py, bench/do_no_harm.py), and a real
harness run in a fresh one: which decoys it changed, and what it left that it may not leave."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

from harness import Harness
from harness.errors import HarnessError

from .apps import TINY_APP
from .processes import project_processes

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
    # Named as the logs of ended pid-named runs, which a run sweeps from its log_dir: the user's
    # own file, a link to a file outside that carries harness's mark of an ended run (a file with
    # that mark is harness's, but never reached through a link), and one outside.
    (project / "logs" / "default.pid4242.log").write_text("the team's own log, named like harness's\n")
    ended = "# harness run harness-1-" + "0" * 32 + " (pid 1, started 1.00, 1970-01-01 00:00:01): a log\n"
    (outside / "marked.log").write_text(ended)
    (project / "logs" / "linked.pid4243.log").symlink_to(outside / "marked.log")
    (outside / "notes.pid4244.log").write_text("someone's notes\n")
    return project


def write_config(project: Path, keys: dict[str, object]) -> Path:
    lines = [
        "[tool.harness]",
        f"command = [{json.dumps(sys.executable)}, {json.dumps(str(TINY_APP))}]",
        'health = "/health"',
        "startup_timeout = 20",
        *(f"{key} = {json.dumps(value)}" for key, value in keys.items()),
    ]
    path = project / "pyproject.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


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
