"""The pytest plugin, driven as users drive it: pytest in a subprocess on a throwaway project."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from harness.config import parse_table
from harness.errors import ConfigError
from tests.support.processes import project_processes
from tests.support.projects import WEB, project_files, run_pytest, tiny_project


def run(project: Path, *args: str):
    """Run pytest on ``project``; afterwards no process of that run may be alive, without waiting."""
    started = time.time()
    result = run_pytest(project, *args, timeout=120)
    survivors = project_processes(project, started)
    assert not survivors, f"still alive after the run: {survivors}\n{result.stdout}"
    return result


def outcomes(output: str) -> dict[str, str]:
    """``{nodeid: PASSED/FAILED/...}`` from ``pytest -v`` output."""
    return dict(re.findall(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED)", output, re.MULTILINE))


def read_seen(project: Path) -> dict[str, tuple[str, int]]:
    lines = (project / "seen.txt").read_text().splitlines()
    (project / "seen.txt").unlink()
    return {nodeid: (profile, int(pid)) for nodeid, profile, pid in (line.split() for line in lines)}


@pytest.fixture
def profiles_project(tmp_path):
    tiny_project(
        tmp_path,
        env={"WHO": "default"},
        extra="""
        [tool.harness.profiles.p1]
        env = { WHO = "p1" }

        [tool.harness.profiles.p2]
        env = { WHO = "p2" }
        """,
        files=WEB | project_files("plugin/conftest.py", "plugin/profiles"),
    )
    return tmp_path


EXPECTED_PROFILES = {
    "test_class.py::TestP1::test_a": "p1",
    "test_class.py::TestP1::test_b": "p1",
    "test_class.py::test_outside_class": "default",
    "test_module.py::test_c": "p2",
    "test_module.py::test_d": "p2",
    "test_plain.py::test_one": "default",
    "test_plain.py::test_two": "default",
    "test_plain.py::test_marked": "p1",
    "test_plain.py::test_three": "default",
}


def test_markers_pick_profiles_and_each_profile_starts_once(profiles_project):
    result = run(profiles_project)

    assert result.returncode == 0, result.stdout + result.stderr
    seen = read_seen(profiles_project)
    assert {nodeid: profile for nodeid, (profile, _) in seen.items()} == EXPECTED_PROFILES
    pids_by_profile: dict[str, set[int]] = {}
    for profile, pid in seen.values():
        pids_by_profile.setdefault(profile, set()).add(pid)
    assert {profile: len(pids) for profile, pids in pids_by_profile.items()} == {
        "default": 1,
        "p1": 1,
        "p2": 1,
    }
    assert len(set.union(*pids_by_profile.values())) == 3
    assert not list((profiles_project / "env").glob("*.env"))  # env files removed by default


def test_harness_profile_option_sets_the_default_and_keep_env_keeps_env_files(profiles_project):
    result = run(profiles_project, "--harness-profile", "p2", "--harness-keep-env")

    assert result.returncode == 0, result.stdout + result.stderr
    seen = read_seen(profiles_project)
    expected = {
        nodeid: "p2" if profile == "default" else profile for nodeid, profile in EXPECTED_PROFILES.items()
    }
    assert {nodeid: profile for nodeid, (profile, _) in seen.items()} == expected
    assert len({pid for profile, pid in seen.values() if profile == "p2"}) == 1
    kept = sorted(path.name for path in (profiles_project / "env").glob("*.env"))
    assert kept == ["harness.p1.env", "harness.p2.env"]


def test_mock_expectations_strict_mode_and_failure_report(tmp_path):
    tiny_project(
        tmp_path,
        extra="""
        [tool.harness.services.up]
        env = { UPSTREAM = "{url}" }

        [tool.harness.services.loose]
        strict = false
        """,
        files=WEB | project_files("plugin/conftest.py", "plugin/mocks"),
    )

    result = run(tmp_path, "-v")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert outcomes(output) == {
        "test_mocks.py::test_session_and_own_expectations": "PASSED",
        "test_mocks.py::test_own_expectations_are_gone_session_ones_stay": "PASSED",
        "test_mocks.py::test_app_reaches_the_mock": "PASSED",
        "test_mocks.py::test_unmatched_request": "FAILED",
        "test_mocks.py::test_after_the_unmatched_one": "PASSED",
        "test_mocks.py::test_failing": "FAILED",
    }, output
    failures = output.split("= FAILURES =")[1]
    unmatched, failing = failures.split("_ test_failing _")

    assert "service 'up' received 1 request that no expectation matched" in unmatched
    assert "GET /thing -> 500, matched NO expectation" in unmatched

    assert "deliberate failure" in failing
    log_section = _section(failing, "harness: app log during this test")
    assert "tiny_app GET /env?name=THIS_TEST_MARK -> 200" in log_section
    assert "tiny_app GET /call -> 200" in log_section
    assert "EARLIER_TEST_MARK" not in log_section  # only this test's part of the log
    requests_section = _section(failing, "harness: requests received by service 'up'")
    assert "GET /thing -> 200, answered by any method /thing (" in requests_section
    assert "RequestMatcher" not in result.stdout  # the expectation as written, not a repr
    assert "EARLIER_TEST_MARK" not in output  # passing tests get no report sections


def _section(report: str, title: str) -> str:
    """The text of the report section whose header line contains ``title``."""
    match = re.search(
        rf"^-+ {re.escape(title)}.*?-+$\n(.*?)(?=^-{{5,}} |^_{{5,}} |^={{5,}} |\Z)", report, re.M | re.S
    )
    assert match, f"no section {title!r} in:\n{report}"
    return match.group(1)


def test_help_lists_the_options(tmp_path):
    tiny_project(tmp_path)

    result = run(tmp_path, "--help")

    assert result.returncode == 0, result.stdout + result.stderr
    for option in ("--harness-config", "--harness-profile", "--harness-keep-env"):
        assert option in result.stdout


def test_help_works_even_when_the_configuration_is_broken(tmp_path):
    tiny_project(
        tmp_path,
        app={"startup_timout": 5},
        files={
            "test_uses.py": "def test_uses(harness_app):\n    pass\n",
            "test_plain.py": "def test_plain():\n    pass\n",
        },
    )

    helped = run(tmp_path, "--help")
    refused = run(tmp_path)
    plain = run(tmp_path, "test_plain.py")

    assert helped.returncode == 0, helped.stdout + helped.stderr
    assert "--harness-config" in helped.stdout
    assert refused.returncode == 4  # a selected test needs harness: one usage error, nothing runs
    assert "startup_timout" in refused.stdout + refused.stderr
    assert "(needed by test_uses.py::test_uses)" in refused.stdout + refused.stderr
    # Only tests that do not use harness: they run as if harness were not installed.
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "1 passed" in plain.stdout


def test_a_broken_table_in_a_parent_folder_leaves_a_project_without_harness_tests_alone(tmp_path):
    tiny_project(tmp_path, app={"startup_timout": 5})
    inner = tmp_path / "plain"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "plain"\nversion = "1"\n')
    (inner / "test_a.py").write_text("def test_a():\n    pass\n")

    result = run(inner)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "startup_timout" not in result.stdout + result.stderr
    assert run(inner, "--harness-profile", "x").returncode == 4  # asked for harness: said at once


def test_tests_without_harness_fixtures_start_nothing(tmp_path):
    # The command does not even exist: nothing may try to run it.
    tiny_project(
        tmp_path,
        command='["no-such-app-xyz"]',
        files={"test_plain.py": "def test_plain(tmp_path):\n    assert tmp_path.is_dir()\n"},
    )

    result = run(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert not (tmp_path / ".harness").exists()
    assert not (tmp_path / "env").exists()


def test_a_misspelled_profile_is_a_usage_error_at_collection_with_a_suggestion(tmp_path):
    tiny_project(
        tmp_path,
        extra='[tool.harness.profiles.retrying]\nenv = { WHO = "retrying" }\n',
        files=project_files("plugin/misspelled_profile"),
    )

    result = run(tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # a usage error: nothing ran, no app started
    assert "unknown profile in 2 harness_profile mark(s)" in output
    assert (
        "harness_profile('retyring') in test_p.py::test_one, test_p.py::test_two: no such profile; "
        "did you mean 'retrying'?" in output
    )
    assert (
        "harness_profile('nothing_like_it') in test_p.py::test_three: no such profile; "
        "known profiles: retrying" in output
    )
    assert "not_a_harness_test" not in output  # a test that does not use harness is not harness's
    assert not (tmp_path / ".harness").exists()


def test_an_unknown_profile_from_the_api_suggests_the_closest():
    config = parse_table({"command": ["app"], "profiles": {"retrying": {}}}, Path("/p/pyproject.toml"))
    with pytest.raises(ConfigError, match="did you mean 'retrying'"):
        config.app_settings("retyring")
