"""harness installed in someone else's project: it never breaks their suite, and other plugins never
break harness.

The matrix: pytest-flask installed or not, with or without a ``[tool.harness]`` table, a Flask
``app`` (pytest-flask's convention) or plain ``app`` / ``services`` / ``app_url`` fixtures in a
conftest, and harness tests beside them. Each project's own tests must have exactly the outcomes
they have without harness (``-p no:harness``), harness must start nothing and write nothing for
them, and add no report section to their failures.
"""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.processes import project_processes
from tests.support.projects import project_files, run_pytest, tiny_project, write_project

UPSTREAM = '[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n'
#: Tests using harness, one of them failing on purpose (tests/harness/projects/coexistence).
HARNESS_TESTS = project_files("coexistence/test_with_harness.py")


def outcomes(output: str) -> dict[str, str]:
    """``{test name: PASSED/FAILED/ERROR}`` from ``pytest -rA`` output (the short summary)."""
    return {
        name: outcome
        for outcome, name in re.findall(r"^(PASSED|FAILED|ERROR) \S+::(\w+)", output, re.MULTILINE)
    }


def run(project: Path, *args: str) -> tuple[dict[str, str], str]:
    started = time.time()
    result = run_pytest(project, "-rA", *args, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output  # tests ran (no usage or internal error)
    assert not project_processes(project, started), output
    return outcomes(output), output


def project(tmp_path: Path, name: str, *, table: bool) -> Path:
    """A project with the conftest and test_project.py of tests/harness/projects/coexistence/``name``,
    and with ``table``, a [tool.harness] table and tests using harness."""
    files = project_files(f"coexistence/{name}")
    if table:
        tiny_project(tmp_path, extra=UPSTREAM, files={**files, **HARNESS_TESTS})
    else:
        write_project(tmp_path, '[project]\nname = "theirs"\nversion = "1"\n', files)
    return tmp_path


def report_sections(output: str) -> list[str]:
    return re.findall(r"-+ harness: [^\n]*", output)


def section_of(output: str, test: str) -> str:
    """The failure block of ``test`` in pytest's output (from its ``___ test ___`` header on)."""
    start = output.index(f"_ {test} _")
    following = re.search(r"\n_{3,} \w", output[start + 1 :])
    summary = output.find("short test summary", start)
    ends = [end for end in (summary, start + 1 + following.start() if following else -1) if end != -1]
    return output[start : min(ends)]


OWN = {
    "test_own_app": "PASSED",
    "test_own_url": "PASSED",
    "test_own_services": "PASSED",
    "test_own_failure": "FAILED",
}
FLASK = {"test_client": "PASSED", "test_request_context_is_pushed": "PASSED", "test_flask_failure": "FAILED"}
HARNESS = {"test_harness_app": "PASSED", "test_harness_services": "PASSED", "test_harness_failure": "FAILED"}


@pytest.mark.parametrize("flask_plugin", ["with pytest-flask", "without pytest-flask"])
def test_a_project_without_a_table_keeps_its_outcomes_and_gets_nothing_from_harness(
    tmp_path: Path, flask_plugin: str
) -> None:
    plugin = [] if flask_plugin == "with pytest-flask" else ["-p", "no:flask"]
    project(tmp_path, "own_fixtures", table=False)

    without_harness, _ = run(tmp_path, "-p", "no:harness", *plugin)
    with_harness, output = run(tmp_path, *plugin)

    # pytest-flask's autouse fixtures fail on any `app` that is not a Flask app (without harness
    # too): what counts is that harness changes no outcome.
    assert with_harness == without_harness
    if not plugin:
        assert without_harness["test_own_app"] == "ERROR"
    else:
        assert without_harness == OWN
    assert "no [tool.harness] table" not in output
    assert report_sections(output) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "conftest.py",
        "pyproject.toml",
        "test_project.py",
    ]


@pytest.mark.parametrize("table", [True, False], ids=["with a table", "without a table"])
def test_pytest_flask_and_its_app_fixture_work_beside_harness(tmp_path: Path, table: bool) -> None:
    project(tmp_path, "flask_app", table=table)

    without_harness, _ = run(tmp_path, "-p", "no:harness", "test_project.py")
    with_harness, output = run(tmp_path)

    assert without_harness == FLASK
    assert with_harness == (FLASK | HARNESS if table else FLASK)
    assert "harness:" not in section_of(output, "test_flask_failure")
    if table:
        # harness's own failing test carries its report; pytest-flask's autouse fixtures left it alone
        assert "harness: app log during this test" in section_of(output, "test_harness_failure")
        assert "response_class" not in output


def test_own_app_services_and_app_url_fixtures_win_beside_harness_tests(tmp_path: Path) -> None:
    project(tmp_path, "own_fixtures", table=True)

    without_harness, _ = run(tmp_path, "-p", "no:harness", "-p", "no:flask", "test_project.py")
    with_harness, output = run(tmp_path, "-p", "no:flask")

    assert without_harness == OWN
    assert with_harness == OWN | HARNESS
    own_failure = section_of(output, "test_own_failure")
    assert "harness:" not in own_failure  # no strict check, no app log, no requests section
    assert "harness: requests received by service 'up'" in section_of(output, "test_harness_failure")


def test_harness_fixtures_work_when_the_project_overrides_the_public_harness_fixture(tmp_path: Path) -> None:
    """harness's own fixtures hang on a private session fixture, so a project's ``harness`` fixture
    does not break ``harness_app`` or ``harness_services``."""
    files = project_files("coexistence/own_harness_fixture", "coexistence/test_with_harness.py")
    tiny_project(tmp_path, extra=UPSTREAM, files=files)

    results, _ = run(tmp_path, "-p", "no:flask")

    assert results == HARNESS


#: A conftest's ``harness_services`` (or ``harness``) is the project's: pytest's rules say the
#: closest definition wins, and harness starts nothing for a test that uses only that ("overriding").
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("own_fixtures", OWN),
        ("overriding", {"test_overridden": "PASSED", "test_overridden_failure": "FAILED"}),
    ],
    ids=["the project's own fixtures", "fixtures named like harness's"],
)
def test_a_table_and_no_test_using_harness_starts_nothing(
    tmp_path: Path, name: str, expected: dict[str, str]
) -> None:
    tiny_project(
        tmp_path,
        app={"env_file": "env/app.env"},
        extra=UPSTREAM,
        files=project_files(f"coexistence/{name}"),
    )

    results, output = run(tmp_path, "-p", "no:flask")

    assert results == expected
    assert report_sections(output) == []
    assert not (tmp_path / "env").exists()  # no app was started: no env file was ever written
    assert not (tmp_path / ".harness").exists()


def test_the_short_names_are_not_harness_fixtures(tmp_path: Path) -> None:
    """``app``, ``app_url`` and ``services`` are left to the ecosystem: without a fixture of the
    project's own, they are unknown, as in any project without harness."""
    tests = textwrap.dedent(
        """
        def test_short(app_url):
            pass
        """
    )
    tiny_project(tmp_path, files={"test_short.py": tests})

    result = run_pytest(tmp_path, "-p", "no:flask", timeout=60)

    assert result.returncode == 1, result.stdout
    assert "fixture 'app_url' not found" in result.stdout
    assert "harness_app_url" in result.stdout  # pytest lists the available fixtures


def test_where_unused_the_plugin_imports_nothing_of_harness(tmp_path: Path) -> None:
    """Installed but unused (no [tool.harness]), the plugin loads nothing of the library: its cost
    in every pytest run of the environment (bench/plugin_cost.py measures it) stays near zero."""
    write_project(
        tmp_path,
        '[project]\nname = "theirs"\nversion = "1"\n',
        {**project_files("coexistence/modules_loaded"), "test_plain.py": "def test_plain():\n    pass\n"},
    )

    result = run_pytest(tmp_path, "-s", "-p", "no:flask", timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "HARNESS MODULES: ['harness', 'harness.pytest_plugin', 'harness.pytest_support']" in result.stdout
