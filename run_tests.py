#!/usr/bin/env python3
"""Run this repository's tests (or linters) in a project-local virtualenv, with one command.

    python run_tests.py                      # all tests (tests/)
    python run_tests.py functional           # the functional suite against the sample app
    python run_tests.py harness              # the harness's own tests
    python run_tests.py lint                 # ruff check, ruff format --check, mypy --strict, actionlint
    python run_tests.py functional -- -n 2   # everything after -- goes to pytest
    python run_tests.py path/to/tests        # a test path instead of a suite name

Standard library only, so that a fresh machine needs nothing but Python >= 3.10. The first run creates
``.venv/`` next to this file and installs the project into it (``pip install -e ".[test]"``, plus
``lint`` for ``lint``); later runs reuse it and reinstall only when pyproject.toml has changed (a stamp
inside ``.venv`` records the hash of what was installed). Works from any working directory; pytest
always runs from the repository root, so paths after ``--`` are relative to the root.

Exit code: pytest's own, except that "no tests were collected" (pytest's 5) is reported as a failure
(exit code 1): a suite that silently runs nothing must not pass. Lint exits 1 if any tool failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "run_tests.stamp.json"
PYPROJECT = ROOT / "pyproject.toml"
SUITES = {"all": ["tests"], "functional": ["tests/functional"], "harness": ["tests/harness"]}
PYTEST_NO_TESTS_COLLECTED = 5
USAGE = "usage: python run_tests.py [all | functional | harness | lint | TEST_PATH ...] [-- PYTEST_ARGS ...]"


def say(message: str) -> None:
    print(f"run_tests: {message}", flush=True)


def fail(message: str, code: int = 1) -> int:
    print(f"run_tests: error: {message}", file=sys.stderr, flush=True)
    return code


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def shown(path: Path) -> str:
    """``path`` relative to the repository root when it is inside it, for short messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def quiet(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a set-up step from the root with no stdin (CI has none), its output captured for errors."""
    return subprocess.run(
        command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def venv_works() -> bool:
    python = venv_python()
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


def ensure_venv() -> int:
    if VENV.exists():
        if venv_works():
            return 0
        # Typically the Python it was made from was upgraded or removed; .venv is ours to replace.
        say(f"{shown(VENV)} exists but its interpreter does not run; recreating it")
        shutil.rmtree(VENV)
    version = ".".join(map(str, sys.version_info[:3]))
    say(f"creating {shown(VENV)} with {sys.executable} (Python {version})")
    created = quiet([sys.executable, "-m", "venv", str(VENV)])
    if created.returncode != 0:
        sys.stderr.write(created.stdout)
        shutil.rmtree(VENV, ignore_errors=True)
        return fail(
            "could not create the virtualenv (output above). On Debian/Ubuntu the venv module needs "
            "the python3-venv package: sudo apt install python3-venv"
        )
    return 0


def read_stamp() -> dict[str, object]:
    try:
        stamp = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def ensure_installed(extras: list[str]) -> int:
    digest = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()
    stamp = read_stamp()
    installed = stamp.get("extras") if stamp.get("pyproject_sha256") == digest else None
    if isinstance(installed, list) and set(extras) <= set(installed):
        say(f"{shown(VENV)} is up to date (pyproject.toml unchanged since the last install)")
        return 0
    if isinstance(installed, list):  # same pyproject.toml, but an extra is missing: add it
        extras = sorted(set(extras) | {str(extra) for extra in installed})
    if not stamp:
        why = "no previous install recorded"
    else:
        why = "pyproject.toml changed" if installed is None else "adding extras"
    python = str(venv_python())
    # A virtualenv made by another tool (uv, for one) may have no pip at all.
    if quiet([python, "-c", "import pip"]).returncode != 0:
        say(f"bootstrapping pip into {shown(VENV)}")
        bootstrapped = quiet([python, "-m", "ensurepip", "--upgrade"])
        if bootstrapped.returncode != 0:
            sys.stderr.write(bootstrapped.stdout)
            return fail(f"could not install pip into {shown(VENV)}; delete it and run again")
    target = f".[{','.join(extras)}]"
    say(f'installing -e "{target}" into {shown(VENV)} ({why}; pip output is shown only if it fails)')
    pip = quiet([python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-e", target])
    if pip.returncode != 0:
        sys.stderr.write(pip.stdout)
        STAMP.unlink(missing_ok=True)
        return fail(f"pip install failed with exit code {pip.returncode} (output above)")
    STAMP.write_text(json.dumps({"pyproject_sha256": digest, "extras": extras}) + "\n", encoding="utf-8")
    return 0


def child_env() -> dict[str, str]:
    """The caller's environment with .venv activated, so tools found on PATH are the venv's."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = os.pathsep.join([str(venv_python().parent), env.get("PATH", "")])
    return env


def run(command: list[str]) -> int:
    """Run ``command`` from the repository root and return its exit code, as a shell would report it.

    Ctrl-C reaches the child directly from the terminal (same process group); while it runs we ignore
    SIGINT ourselves so that we keep waiting while pytest tears down the apps it started, instead of
    exiting (or killing it) and leaving processes behind. A SIGTERM sent to us (a CI runner cancelling)
    reaches the child as SIGINT on POSIX: pytest tears down on KeyboardInterrupt but dies on SIGTERM,
    which would leave the app it started running.
    """
    process = subprocess.Popen(command, cwd=ROOT, env=child_env())
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    forwarded = signal.SIGINT if os.name == "posix" else signal.SIGTERM
    previous_term = signal.signal(signal.SIGTERM, lambda _signum, _frame: process.send_signal(forwarded))
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N


def run_lint() -> int:
    python = str(venv_python())
    tools = {
        "ruff check": [python, "-m", "ruff", "check", "."],
        "ruff format --check": [python, "-m", "ruff", "format", "--check", "."],
        "mypy --strict harness": [python, "-m", "mypy", "--strict", "harness"],
        "actionlint": [str(venv_python().with_name("actionlint")), ".github/workflows/functional.yml"],
    }
    failed = []
    for name, command in tools.items():
        say(f"running {name}")
        if run(command) != 0:
            failed.append(name)
    if failed:
        return fail(f"lint failed: {', '.join(failed)}")
    say("lint passed")
    return 0


def run_pytest(paths: list[str], extra: list[str]) -> int:
    command = [str(venv_python()), "-m", "pytest", *paths, *extra]
    say(f"running {' '.join([shown(venv_python()), *command[1:]])} (in {ROOT})")
    code = run(command)
    if code == PYTEST_NO_TESTS_COLLECTED:
        return fail(
            f"FAILED: pytest collected no tests from {' '.join(paths)} (pytest exit code 5); "
            "a run that tests nothing does not pass. Check the path, -k/-m expressions and collection errors."
        )
    if code != 0:
        return fail(f"pytest failed with exit code {code}", code)
    say("pytest passed")
    return 0


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
    lint = "lint" in ours
    if lint and (len(ours) > 1 or extra):
        return fail(f"'lint' takes no other arguments\n{USAGE}", 2)
    paths: list[str] = []
    for argument in ours:
        if argument in SUITES:
            paths += SUITES[argument]
        elif argument.startswith("-"):
            return fail(
                f"{argument!r}: pytest options go after --, e.g. run_tests.py functional -- -x\n{USAGE}", 2
            )
        elif argument != "lint":
            path = resolve_path(argument)
            if path is None:
                return fail(f"{argument!r} is neither a suite nor an existing path\n{USAGE}", 2)
            paths.append(path)
    if not paths:
        paths = SUITES["all"]

    code = ensure_venv() or ensure_installed(["test", "lint"] if lint else ["test"])
    if code:
        return code
    return run_lint() if lint else run_pytest(paths, extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
