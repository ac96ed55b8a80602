"""Every path harness writes, fuzzed against a tree of decoy files: nothing of the user's is touched.

Each example builds a fresh tree -- a project with its own files (pyproject.toml, a test, an env
file and a log harness did not write, files and links named like the logs a run sweeps, a read-only
file, a directory where a file would go, links into and out of the project, a linked directory
leading out) beside files outside the project --
then runs a real harness (the tiny app, started and stopped) with ``env_file``, ``log_dir``,
``env_file_fixed`` and ``allow_writes_outside_project`` drawn from paths aimed at those decoys.

Whatever the configuration, the run ends in success or in one HarnessError (never another
exception), no process is left, and every decoy is exactly as it was: type, bytes, mode, link
target, inode. What harness may leave is only new: its state directory, and directories it made.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import Harness
from harness.errors import HarnessError
from tests.support.decoys import (
    AIMED,
    LOG_DIRS,
    build_tree,
    changed_decoys,
    run_in_fresh_tree,
    snapshot,
    write_config,
)
from tests.support.projects import run_pytest

#: How many configurations the property tries (each starts the tiny app, or is refused first).
EXAMPLES = 150


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


MOVE = "fix: move that file away yourself, or point tool.harness.{key} at a path of its own"
LINK = "fix: remove the link (harness writes a file of its own there), or point tool.harness.{key} at"
OUT = "fix: use a path inside the project, or set allow_writes_outside_project = true"


@pytest.mark.parametrize(
    ("keys", "refusal", "fix"),
    [
        ({"env_file": "env/existing.env"}, "exists and harness did not write it", MOVE),
        ({"env_file": "env/readonly.env"}, "exists and harness did not write it", MOVE),
        ({"env_file": "pyproject.toml"}, "exists and harness did not write it", MOVE),
        ({"env_file": "env/out.env"}, "is a symbolic link", LINK),
        ({"env_file": "env/out.env", "allow_writes_outside_project": True}, "is a symbolic link", LINK),
        ({"env_file": "env/in.env"}, "is a symbolic link", LINK),
        ({"env_file": "env/dir.env"}, "is a directory", "fix: point tool.harness.{key} at a file path"),
        ({"env_file": "afile/x.env"}, "one of its parents is a file", "fix: make the directory on the way"),
        ({"env_file": "../outside/new.env"}, "outside the project", OUT),
        ({"env_file": "linkdir/new.env"}, "through a link", OUT),
        ({"log_dir": "logs"}, "exists and harness did not write it", MOVE),
        ({"log_dir": "logs/linked.log"}, "outside the project", OUT),
        ({"log_dir": ".."}, "outside the project", OUT),
    ],
)
def test_each_refusal_is_one_message_naming_the_key_the_path_and_the_fix(
    keys: dict[str, object], refusal: str, fix: str
) -> None:
    changed, left, ended = run_in_fresh_tree(keys)

    assert ended.startswith("refused: "), ended
    assert refusal in ended
    key = "env_file" if "env_file" in keys else "log_dir"
    assert fix.format(key=key) in ended
    assert "the app's env file" in ended or "the app's log" in ended or "outside the project" in ended
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


def test_a_shared_state_directory_keeps_its_other_files_visible_to_git(tmp_path: Path) -> None:
    """Harness.io keeps its pipelines in a ``.harness`` folder too: harness's ``.gitignore`` there
    names its own entries, never ``*``, so a pipeline added later still shows in ``git status``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = tmp_path / "project"
    (project / ".harness").mkdir(parents=True)
    (project / ".harness" / "pipeline.yaml").write_text("pipeline: {}\n")
    pyproject = write_config(project, {"env_file": "env/app.env"})
    subprocess.run(["git", "init", "-q", str(project)], check=True)

    with Harness.from_pyproject(pyproject) as harness:
        harness.app.url_for("/")
    (project / ".harness" / "new-pipeline.yaml").write_text("pipeline: {}\n")

    status = subprocess.run(
        ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".harness/pipeline.yaml" in status
    assert ".harness/new-pipeline.yaml" in status
    for own in (".harness/logs", ".harness/runs", ".harness/instances", ".harness/.gitignore"):
        assert own not in status
    assert "*" not in (project / ".harness" / ".gitignore").read_text().splitlines()


def test_a_file_where_the_state_directory_goes_is_refused_with_the_right_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".harness").write_text("someone's file\n")
    pyproject = write_config(project, {"log_dir": "logs"})

    with pytest.raises(HarnessError, match=r"\.harness is a file, not a directory.*fix: move that file away"):
        Harness.from_pyproject(pyproject).start_services()
    assert (project / ".harness").read_text() == "someone's file\n"


def test_through_pytest_a_refused_path_stops_the_session_once(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "mine.env").write_text("MINE=1\n")
    write_config(project, {"env_file": "mine.env"})
    tests = "".join(f"def test_{n}(harness_app):\n    pass\n\n" for n in range(4))
    (project / "test_x.py").write_text(tests)

    # -rN: no short summary, whose lines are cut to the terminal's width, so the count below does not
    # depend on how wide the runner's terminal is.
    result = run_pytest(project, "-p", "no:flask", "-rN", timeout=60)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "harness stopped the session" in output
    assert output.count("exists and harness did not write it") == 2, output  # the error and the stop line
    assert "1 error" in output, output  # the first test's; the session stopped before the others
    assert (project / "mine.env").read_text() == "MINE=1\n"
