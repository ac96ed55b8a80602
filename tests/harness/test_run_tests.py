"""run_tests.py, the README's one-command runner: which virtualenv it uses (tox >= 4.67 writes a PEP 832
``.venv`` redirect *file* into the project root), and that both README commands work before and after a
real tox run, in either order, in one checkout. The end-to-end tests run the repository's run_tests.py
on a one-test project of their own, so that they take seconds rather than a full install."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.projects import project_files

ROOT = Path(__file__).resolve().parents[2]


def load_run_tests() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_tests_under_test", ROOT / "run_tests.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_tests = load_run_tests()


# --------------------------------------------------------------------------------------------------
# choose_venv
# --------------------------------------------------------------------------------------------------


def test_no_venv_yet_means_dot_venv(tmp_path: Path) -> None:
    assert run_tests.choose_venv(tmp_path) == (tmp_path / ".venv", None)


def test_a_virtualenv_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert run_tests.choose_venv(tmp_path) == (tmp_path / ".venv", None)


def test_an_empty_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    assert run_tests.choose_venv(tmp_path) == (tmp_path / ".venv", None)


def test_a_redirect_file_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".venv").write_text(".tox/lint\n")
    venv, why = run_tests.choose_venv(tmp_path)
    assert venv == tmp_path / ".venv-run_tests"
    assert why is not None
    assert "is a file" in why
    assert ".tox/lint" in why


@pytest.mark.parametrize("kind", ["symlink", "foreign directory"])
def test_anything_else_is_left_alone(tmp_path: Path, kind: str) -> None:
    if kind == "symlink":
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / ".venv").symlink_to(tmp_path / "elsewhere")
    else:
        (tmp_path / ".venv").mkdir()
        (tmp_path / ".venv" / "notes.txt").write_text("mine\n")
    venv, why = run_tests.choose_venv(tmp_path)
    assert venv == tmp_path / ".venv-run_tests"
    assert why is not None


def test_gitignore_covers_the_redirect_file_and_the_fallback() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".venv" in ignored  # no trailing slash: the directory and the file
    assert ".venv-run_tests/" in ignored


# --------------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------------


def test_pip_output_is_condensed(capsys: pytest.CaptureFixture[str]) -> None:
    progress = run_tests.PipProgress()
    for line in [
        "Obtaining file:///x\n",
        "  Installing build dependencies: started\n",
        "  Preparing editable metadata (pyproject.toml): finished with status 'done'\n",
        "Collecting pytest>=8.0 (from x==0)\n",
        "  Downloading pytest-9.0-py3-none-any.whl (300 kB)\n",
        "Collecting pluggy (from pytest>=8.0)\n",
        "Building wheels for collected packages: x\n",
        "  Building editable for x (pyproject.toml): started\n",
        "Installing collected packages: pluggy, pytest, x\n",
        "Successfully installed pluggy-1 pytest-9 x-0\n",
    ]:
        progress.feed(line)
    progress.close()
    assert capsys.readouterr().out.splitlines() == [
        "run_tests:   preparing the build ...",
        "run_tests:   collecting requirements ..",
        "run_tests:   building ",
        "run_tests:   installing 3 packages ",
    ]


def test_a_quiet_step_shows_the_elapsed_time(capsys: pytest.CaptureFixture[str]) -> None:
    progress = run_tests.PipProgress()
    progress.feed("Installing collected packages: a\n")
    progress.quiet()
    progress.close()
    out = capsys.readouterr().out
    assert out.startswith("run_tests:   installing 1 package ")
    assert out.rstrip().endswith("s")


# --------------------------------------------------------------------------------------------------
# End to end: the README's commands before and after a real tox run
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checkout with the repository's run_tests.py, a tox.ini like ours and one test per suite."""
    root = tmp_path / "checkout"
    (root / "tests" / "functional").mkdir(parents=True)
    (root / "tests" / "harness").mkdir()
    shutil.copy2(ROOT / "run_tests.py", root / "run_tests.py")
    for name, text in project_files("run_tests_probe").items():  # pyproject.toml, tox.ini
        (root / name).write_text(text)
    (root / "tests" / "functional" / "test_f.py").write_text("def test_functional():\n    pass\n")
    (root / "tests" / "harness" / "test_h.py").write_text("def test_harness():\n    pass\n")
    return root


def clean_env() -> dict[str, str]:
    """Our environment without what this pytest run (its venv, xdist, coverage) would leak into theirs."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "TOX_", "PYTEST_", "COV_CORE_", "COVERAGE_")
    return {name: value for name, value in os.environ.items() if not name.startswith(drop)}


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def tox(project: Path) -> subprocess.CompletedProcess[str]:
    return run(project, "-m", "tox", "-e", "functional")


def test_readme_commands_after_tox_wrote_its_redirect_file(project: Path) -> None:
    tox(project)
    redirect = project / ".venv"
    if sys.version_info >= (3, 11):  # tox >= 4.67, which writes it, needs Python >= 3.11
        assert redirect.is_file(), "tox >= 4.67 was expected to write a .venv redirect file"
    else:  # an older tox: write what tox >= 4.67 would have written
        redirect.write_text(".tox/functional\n")
    written = redirect.read_text()

    functional = run(project, "run_tests.py", "functional")
    assert "is a file" in functional.stdout
    assert "1 passed" in functional.stdout
    assert (project / ".venv-run_tests" / "pyvenv.cfg").is_file()

    everything = run(project, "run_tests.py")
    assert ".venv-run_tests is up to date" in everything.stdout
    assert "2 passed" in everything.stdout

    tox(project)  # and tox still works afterwards
    assert redirect.is_file()
    assert redirect.read_text() == written


def test_readme_commands_before_tox(project: Path) -> None:
    functional = run(project, "run_tests.py", "functional")
    assert "1 passed" in functional.stdout
    assert (project / ".venv" / "pyvenv.cfg").is_file()

    tox(project)  # tox leaves a directory that is not its own alone
    assert (project / ".venv").is_dir()

    everything = run(project, "run_tests.py")
    assert ".venv is up to date" in everything.stdout
    assert "2 passed" in everything.stdout
    assert not (project / ".venv-run_tests").exists()
