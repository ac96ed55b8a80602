"""Two runs in one checkout (two terminals, an IDE and a terminal, two CI shards side by side) never
share a file: each gets its own env file and log, or -- where the app reads one fixed path -- the
second is refused at once, naming the first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness import Harness
from harness.errors import ConcurrentRunError, HarnessError
from harness.run import records
from harness.run.tls import bundle_path, sweep_stale_bundles
from tests.support.apps import APPS
from tests.support.polling import wait_for
from tests.support.processes import project_processes, still_running
from tests.support.projects import clean_env, project_files, tiny_project

UPSTREAM = '[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n'

#: tests/harness/projects/concurrent_runs/test_t.py: a test that holds its run open until every run
#: of the scenario has reached it, then checks that its app's env file (found through
#: HARNESS_ENV_FILE, as apps are told to) still holds its own run's values while the other run is live.
TOGETHER = project_files("concurrent_runs/test_t.py")


def start_pytest(project: Path, runs: Path, expected: int, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:flask", "-rA", *args],
        cwd=project,
        env=clean_env(RUNS_DIR=str(runs), RUNS_EXPECTED=str(expected), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=120)
    return output


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    directory = tmp_path / "runs"
    directory.mkdir()
    return directory


@pytest.mark.parametrize(
    ("env_a", "env_b"),
    [
        ({}, {}),
        ({"HARNESS_INSTANCE": "shard-1"}, {"HARNESS_INSTANCE": "shard-2"}),
        ({"HARNESS_INSTANCE": "same"}, {"HARNESS_INSTANCE": "same"}),
    ],
    ids=["no names", "named shards", "the same name twice"],
)
def test_two_runs_at_once_both_pass_each_with_its_own_env_file_and_log(
    tmp_path: Path, runs: Path, env_a: dict[str, str], env_b: dict[str, str]
) -> None:
    project = tmp_path / "project"
    tiny_project(project, app={"env_file": "env/functional.env"}, extra=UPSTREAM, files=TOGETHER)
    started = time.time()

    first = start_pytest(project, runs, 2, **env_a)
    second = start_pytest(project, runs, 2, **env_b)
    outputs = [finish(first), finish(second)]

    for process, output in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, output
        assert "1 passed" in output
    seen = [json.loads(path.read_text()) for path in runs.glob("*.json")]
    env_files = {entry["env_file"] for entry in seen}
    logs = {entry["log"] for entry in seen}
    assert len(env_files) == 2, seen
    assert len(logs) == 2, seen
    if env_a.get("HARNESS_INSTANCE", "") != env_b.get("HARNESS_INSTANCE", ""):
        assert {Path(path).name for path in env_files} == {"functional.shard-1.env", "functional.shard-2.env"}
    for entry in seen:  # never a mixed log: each holds its own app's lines only
        text = Path(entry["log"]).read_text()
        assert f"tiny_app pid={entry['app']} starting" in text
        assert text.count("tiny_app pid=") == 1, text
        assert not Path(entry["env_file"]).exists()  # each run removed its own
    assert not project_processes(project, started)


def test_with_a_fixed_env_file_a_second_run_is_refused_at_once_naming_the_first(
    tmp_path: Path, runs: Path
) -> None:
    project = tmp_path / "project"
    pyproject = tiny_project(
        project,
        app={"env_file": "env/functional.env", "env_file_fixed": True},
        extra=UPSTREAM,
        files=TOGETHER,
    )
    started = time.time()
    first = start_pytest(project, runs, 2)  # waits for a second run that will never come in
    try:
        wait_for(
            lambda: list(runs.glob("*.json")),
            "the first run to reach its test",
            60,
            unless=lambda: None if first.poll() is None else f"the first run ended:\n{finish(first)}",
        )
        runner = psutil.Process(first.pid)

        second = Harness.from_pyproject(pyproject)
        asked = time.monotonic()
        with pytest.raises(ConcurrentRunError) as refused:
            second.start_services()
        took = time.monotonic() - asked
        second.stop()

        message = str(refused.value)
        assert f"pid {runner.pid}, started " in message
        assert time.strftime("%Y-%m-%d %H:%M", time.localtime(runner.create_time())) in message
        assert str(project / "env" / "functional.env") in message
        assert "env_file_fixed" in message
        assert "fix:" in message
        assert took < 5.0, took  # the first run is noticed at once (docs/reliability.md: the figure)

        by_pytest = start_pytest(project, runs, 2)
        output = finish(by_pytest)
        assert by_pytest.returncode != 0, output
        assert f"pid {runner.pid}, started " in output
        assert "Interrupted" in output  # the session stops: every test would meet the same run
        assert output.count("is in use by another harness run") <= 3, output
    finally:
        (runs / "release.json").write_text("{}")  # lets the first run finish
        finish(first)
    assert first.returncode == 0
    assert still_running([runner]) == []
    assert not project_processes(project, started)


def test_two_harnesses_in_one_process_get_their_own_files(tmp_path: Path) -> None:
    pyproject = tiny_project(tmp_path, app={"env_file": "env/app.env"}, extra=UPSTREAM)

    with Harness.from_pyproject(pyproject) as first, Harness.from_pyproject(pyproject) as second:
        assert first.instance is None
        assert second.instance == f"pid{os.getpid()}"
        assert first.app.env_file == tmp_path / "env" / "app.env"
        assert second.app.env_file == tmp_path / "env" / f"app.pid{os.getpid()}.env"
        assert first.app.log_path != second.app.log_path
        assert first.app.env["UPSTREAM"] == first.services["up"].url
        assert second.app.env["UPSTREAM"] == second.services["up"].url
    assert not (tmp_path / "env").exists()  # both env files removed, and the folder made for them


def test_an_instance_name_that_cannot_name_a_file_is_refused(tmp_path: Path, monkeypatch) -> None:
    pyproject = tiny_project(tmp_path)
    monkeypatch.setenv("HARNESS_INSTANCE", "../shard")

    with pytest.raises(
        HarnessError, match=r"\$HARNESS_INSTANCE '../shard' cannot be part of a file name; fix:"
    ):
        Harness.from_pyproject(pyproject)


def test_a_fixed_env_file_names_a_sibling_xdist_worker_as_such(tmp_path: Path) -> None:
    """Two workers of one pytest-xdist run (same parent, the controller) and env_file_fixed: the
    refusal says it is this run's own other worker, and that -n is the way out."""
    claim = APPS / "claim_instance.py"
    args = [sys.executable, str(claim), str(tmp_path / ".harness"), str(tmp_path / "env" / "app.env")]
    first = subprocess.Popen(
        args,
        env=clean_env(PYTEST_XDIST_WORKER="gw0"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "holding"
        second = subprocess.run(
            args,
            env=clean_env(PYTEST_XDIST_WORKER="gw1"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        first.communicate("\n", timeout=60)

    assert "refused: " in second.stdout, second.stdout + second.stderr
    assert (
        f"is in use by pytest-xdist worker gw0 of this same run (pid {first.pid}, started " in second.stdout
    )
    assert "fix: run without -n" in second.stdout


def test_what_a_run_with_a_name_of_its_own_leaves_is_cleared(tmp_path: Path) -> None:
    """A ``pid<pid>`` name is never used again: its lock goes when the run ends, and its log when a
    later run starts (logs of the plain names stay, as they are overwritten by the next run)."""
    pyproject = tiny_project(tmp_path, app={"env_file": "made/for/it/app.env"})
    instances = tmp_path / ".harness" / "instances"

    with Harness.from_pyproject(pyproject) as first, Harness.from_pyproject(pyproject) as second:
        own_log = second.app.log_path
        assert (instances / f"{second.instance}.lock").exists()
        assert first.app.log_path.exists()
        assert (tmp_path / "made" / "for" / "it").is_dir()
    assert not (instances / f"pid{os.getpid()}.lock").exists()
    assert (instances / "default.lock").exists()  # a shared name's lock stays (see claims.py)
    assert own_log.exists()  # kept for reading after the run
    assert not (tmp_path / "made").exists()  # the directories made for the env file went with it
    assert oct(own_log.stat().st_mode & 0o777) == oct(0o600)  # a log may hold secrets

    with Harness.from_pyproject(pyproject) as later:
        later.app.url_for("/")
    assert not own_log.exists()  # swept: its run is over, and no run will use that name again
    assert (tmp_path / ".harness" / "logs" / "default.log").exists()


def test_a_run_record_is_never_seen_half_written_and_a_young_unreadable_one_is_left_alone(
    tmp_path: Path,
) -> None:
    """Two runs side by side: one's sweep read the other's record while it was being written, took
    it for garbage and removed it, and then the other's CA bundle as a dead run's (its app could not
    start). Records are now written whole, and an unreadable one is left for a while."""
    state = tmp_path / ".harness"
    marker = f"harness-{os.getpid()}-{'a' * 32}"
    record = records.register(state, marker)
    assert sorted(path.name for path in (state / "runs").iterdir()) == [f"{marker}.json"]  # no partial left
    assert json.loads(record.read_text())["marker"] == marker

    writing = state / "runs" / f"harness-1-{'b' * 32}.json"  # another run's, caught mid-write
    writing.write_text("")
    bundle = bundle_path(state, f"harness-1-{'b' * 32}")
    bundle.parent.mkdir(parents=True)
    bundle.write_text("the other run's CA\n")
    partial = state / "runs" / f".harness-1-{'c' * 32}.json.k2j4h5.tmp"  # a runner died mid-write
    partial.write_text('{"mark')
    # Decoys, named as harness names its files: links are never removed, nor what they lead to.
    outside = tmp_path / "outside.txt"
    outside.write_text("someone's file\n")
    linked_record = state / "runs" / f"harness-2-{'d' * 32}.json"
    linked_partial = state / "runs" / f".harness-2-{'d' * 32}.json.a1b2c3.tmp"
    linked_record.symlink_to(outside)
    linked_partial.symlink_to(outside)

    records.sweep_stale_runs(state)
    sweep_stale_bundles(state)
    assert writing.exists()
    assert partial.exists()
    assert bundle.read_text() == "the other run's CA\n"

    long_ago = time.time() - records.UNREADABLE_GRACE_SECONDS - 5
    for old in (writing, partial, outside):
        os.utime(old, (long_ago, long_ago))
    for link in (linked_record, linked_partial):
        os.utime(link, (long_ago, long_ago), follow_symlinks=False)
    records.sweep_stale_runs(state)
    assert not writing.exists()  # unreadable for over a minute: nobody is writing it
    assert not partial.exists()
    assert record.exists()  # this live run's own
    assert linked_record.is_symlink()
    assert linked_partial.is_symlink()
    assert outside.read_text() == "someone's file\n"
