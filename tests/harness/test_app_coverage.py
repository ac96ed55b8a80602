"""Code coverage of the app subprocess, measured the way docs/coverage.md tells users to.

A throwaway project runs ``apps/covered_app.py`` under harness with coverage.py's
``[tool.coverage.run] patch = ["subprocess"]``; its functional test calls ``GET /covered``. The
test process never imports the app, so the line only that route runs can only be reported covered
if coverage ran inside the app process, wrote its data when harness stopped the app with SIGTERM,
and the data was combined. A line nothing runs must stay uncovered (so the check can fail), and a
line the app runs only after SIGTERM proves the data was written at the graceful stop, not earlier.
An app that keeps SIGTERM's default action (dies of it) is measured too, through coverage's own
``sigterm = true`` handler.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.apps import APPS
from tests.support.projects import RUN_STATE_PREFIXES, project_files, run_python, write_project

# patch = subprocess arrived in coverage 7.10 (7.10.3 fixed subprocess data files written in other
# directories; pytest-cov 7 requires 7.10.6).
pytest.importorskip("coverage", minversion="7.10")

APP_SOURCE = APPS / "covered_app.py"
APP_FILE = "app/covered_app.py"  # where the project keeps it, relative to the project

PYPROJECT = """
[tool.harness]
command = ["python", "app/covered_app.py"]
health = "/health"
shutdown_timeout = 10

[tool.harness.env]
COVERED_ON_TERM = "{on_term}"

[tool.coverage.run]
patch = ["subprocess"]
parallel = true
sigterm = true
source = ["app"]
"""

#: Variables that would make the inner run inherit this run's own coverage or pytest/harness state.
INHERITED_PREFIXES = (*RUN_STATE_PREFIXES, "COVERAGE_", "COV_CORE_")


def _project(directory: Path, on_term: str = "exit") -> Path:
    pyproject = PYPROJECT.replace("{on_term}", on_term)
    write_project(directory, pyproject, project_files("app_coverage"))
    (directory / "app").mkdir()
    shutil.copy(APP_SOURCE, directory / APP_FILE)
    return directory


def _run(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(directory, *args, timeout=120, scrub=INHERITED_PREFIXES)


def _marked_line(marker: str) -> int:
    """The number of the line of the app that ends with ``# <marker>``."""
    lines = APP_SOURCE.read_text().splitlines()
    found = [number for number, line in enumerate(lines, 1) if line.rstrip().endswith(f"# {marker}")]
    assert len(found) == 1, f"{marker}: {found}"
    return found[0]


#: How each variant runs the functional tests under coverage, then what turns the data into one file.
RUNS = {
    "pytest-cov": (["-m", "pytest", "-p", "no:cacheprovider", "--cov", "--cov-report="], []),
    "pytest-cov-xdist": (["-m", "pytest", "-p", "no:cacheprovider", "--cov", "--cov-report=", "-n", "2"], []),
    "coverage-run": (
        ["-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider"],
        ["-m", "coverage", "combine"],
    ),
}


def _measure(project: Path, variant: str) -> tuple[set[int], set[int], str]:
    """Run the project's tests the ``variant`` way; return the app file's executed and missing
    lines as ``coverage json`` reports them, and the app logs."""
    run_args, combine_args = RUNS[variant]
    result = _run(project, *run_args)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output, output
    if combine_args:
        combined = _run(project, *combine_args)
        assert combined.returncode == 0, combined.stdout + combined.stderr
    # Every process's data file was combined into .coverage (an unreadable one would be left over).
    assert sorted(p.name for p in project.glob(".coverage.*")) == [], output
    logs = "".join(log.read_text() for log in (project / ".harness" / "logs").glob("*.log"))

    reported = _run(project, "-m", "coverage", "json", "-o", "coverage.json")
    assert reported.returncode == 0, reported.stdout + reported.stderr
    app_report = json.loads((project / "coverage.json").read_text())["files"][APP_FILE]
    return set(app_report["executed_lines"]), set(app_report["missing_lines"]), logs


@pytest.mark.parametrize("variant", list(RUNS))
def test_the_app_code_run_by_functional_tests_is_reported_covered(tmp_path, variant):
    if variant.startswith("pytest-cov"):
        pytest.importorskip("pytest_cov")
    executed, missing, logs = _measure(_project(tmp_path), variant)

    assert "covered_app stopped" in logs, logs  # every app instance stopped gracefully
    assert _marked_line("ONLY-THE-APP") in executed, (executed, logs)
    assert _marked_line("AFTER-SIGTERM") in executed, (executed, logs)  # saved at the stop
    assert _marked_line("NEVER-RUN") in missing
    assert _marked_line("NEVER-RUN") not in executed


def test_an_app_that_dies_of_sigterm_is_measured_through_coverages_sigterm_handler(tmp_path):
    variant = "pytest-cov" if importlib.util.find_spec("pytest_cov") else "coverage-run"
    executed, missing, logs = _measure(_project(tmp_path, on_term="default"), variant)

    assert "covered_app stopped" not in logs, logs  # it really died of the signal: no finally block
    assert _marked_line("ONLY-THE-APP") in executed, (executed, logs)
    assert _marked_line("AFTER-SIGTERM") in missing
    assert _marked_line("NEVER-RUN") in missing
