"""The chaos suite's machinery, shared by ``test_chaos_*.py`` and ``bench/chaos.py``.

A scenario writes a throwaway project around ``tests/harness/apps/chaos_app.py`` (or gunicorn) with
one of the test suites of ``tests/harness/projects/chaos/suites``, runs pytest (or the Python API) on
it in a subprocess, perturbs it at a chosen moment -- a signal to the runner, or an app that
misbehaves on purpose -- and returns an :class:`Outcome`: what survived, how long the cleanup took,
the runner's report and the app's log.

How survivors are found: every process a scenario starts (the runner, its watchdog, the app and
whatever the app starts, daemons included) inherits ``LEAKCHECK_TOKEN=<token>``, so a scan of all
processes for that exact token finds what is left of *this* scenario, orphans included, and
nothing of a test running in parallel. On top of that every pid seen before the perturbation (pid
files the app's processes write, the runner, the watchdog) is watched as a ``psutil.Process``,
which also tells a recycled pid from the original.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from harness import Harness

from .apps import APPS
from .polling import poll, wait_for
from .processes import LEAK_TOKEN_VARIABLE, alive, describe, handles, kill, token_processes
from .projects import WEB, clean_env, project_file, toml_table, who_profiles, write_project
from .web import http_get

CHAOS_APP = APPS / "chaos_app.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")
#: How long a perturbed run may take to leave nothing behind before the leftovers count as survivors.
CLEANUP_DEADLINE = 15.0
#: Bound on any runner subprocess: a scenario never hangs the suite.
RUNNER_TIMEOUT = 60.0
#: What the chaos app logs as its last line when it is stopped with SIGTERM.
SIGTERM_LINE = "got SIGTERM, exiting"
#: How long a scenario waits for each step of its setup (the app's processes, a test reached).
STEP_TIMEOUT = 30.0

# -- projects and runners ------------------------------------------------------------------------


def chaos_project(
    directory: Path,
    suite: str | None,
    *,
    app: dict[str, object] | None = None,
    env: dict[str, object] | None = None,
    command: list[str] | None = None,
    extra: str = "",
) -> Path:
    """Write a project running the chaos app (or ``command``) with the tests of ``suite`` (a file of
    tests/harness/projects/chaos/suites; none: no tests) as ``test_chaos.py``.

    The app's ``CHAOS_DIR`` is ``<directory>/chaos``; timeouts are small unless ``app`` says otherwise;
    ``extra`` is appended to the pyproject (profiles).
    """
    chaos_dir = directory / "chaos"
    (chaos_dir / "pids").mkdir(parents=True, exist_ok=True)
    keys = {
        "command": command or [sys.executable, str(CHAOS_APP)],
        "health": "/health",
        "startup_timeout": 20,
        "shutdown_timeout": 2,
        **(app or {}),
    }
    variables = {"CHAOS_DIR": str(chaos_dir), **(env or {})}
    text = f"[tool.harness]\n{toml_table(keys)}\n\n[tool.harness.env]\n{toml_table(variables)}\n\n{extra}"
    tests = project_file(f"chaos/suites/{suite}.py") if suite else ""
    return write_project(
        directory, text, {"conftest.py": project_file("chaos/conftest.py"), **WEB, "test_chaos.py": tests}
    )


class Runner:
    """A runner (pytest or a Python script) in a subprocess of its own session, output to a file.

    Its own session makes :meth:`send` of SIGINT what a terminal's Ctrl-C is: a signal to the
    foreground process group. The output goes to a file, so a chatty runner never blocks on a pipe.
    """

    def __init__(self, argv: list[str], cwd: Path, token: str, *, stdin: int | None = None) -> None:
        self.output_path = cwd / f"runner-{time.monotonic_ns()}.out"
        with open(self.output_path, "wb") as output:
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                # The project's conftest finds the chaos directory the way the app does.
                env=clean_env(**{LEAK_TOKEN_VARIABLE: token, "CHAOS_DIR": str(cwd / "chaos")}),
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.process.pid

    def send(self, signum: int) -> None:
        if signum == signal.SIGINT:
            os.killpg(self.pid, signum)  # like Ctrl-C in a terminal: the whole foreground group
        else:
            os.kill(self.pid, signum)  # like `kill`, a CI cancel, or the OOM killer

    def wait(self, timeout: float = RUNNER_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise AssertionError(f"the runner did not end within {timeout} s:\n{self.output()}") from None

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def ended(self) -> str | None:
        """Why waiting for this runner is pointless (it ended, here is its output), or None."""
        return None if self.process.poll() is None else f"the runner ended:\n{self.output()}"

    def watchdog(self) -> psutil.Process | None:
        """The runner's watchdog (harness starts it with the mocks), if there is one."""
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.pid).children():
                with contextlib.suppress(psutil.Error):
                    if any(_is_watchdog(part) for part in child.cmdline()):
                        return child
        return None

    def close(self) -> None:
        """Kill the runner if it still runs (a failed scenario must not hang or leak the runner)."""
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.stdin is not None:
            self.process.stdin.close()


def _is_watchdog(argument: str) -> bool:
    return argument == "harness.process.watchdog" or argument.endswith(f"{os.sep}watchdog.py")


def start_pytest(project: Path, token: str, *args: str) -> Runner:
    return Runner([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", *args], project, token)


# -- processes -----------------------------------------------------------------------------------


def pid_files(chaos_dir: Path) -> dict[str, set[int]]:
    """Pids the app's processes (and the project's conftest) recorded, by role."""
    found: dict[str, set[int]] = {}
    for path in (chaos_dir / "pids").glob("*-*"):
        role, _, pid = path.name.rpartition("-")
        found.setdefault(role, set()).add(int(pid))
    return found


def roles_present(chaos_dir: Path, *roles: str) -> bool:
    present = pid_files(chaos_dir)
    return all(role in present for role in roles)


def wait_for_zero(
    token: str, watched: list[psutil.Process], since: float, timeout: float = CLEANUP_DEADLINE
) -> tuple[list[str], float]:
    """Poll until none of ``watched`` and no process carrying ``token`` is alive.

    Return (survivors described, seconds from ``since`` (a ``time.monotonic()``) to zero processes).
    The watched pids are checked every few ms (cheap); the full scan of environments only once
    they are gone, and again until it too comes up empty.
    """
    left = poll(
        lambda: [process for process in watched if alive(process)] or token_processes(token),
        lambda left: not left,
        timeout=since + timeout - time.monotonic(),
    )
    return describe(left), time.monotonic() - since


def kill_leftovers(token: str) -> None:
    """Last resort after a failed scenario: SIGKILL whatever still carries ``token``."""
    kill(token_processes(token))


# -- outcomes ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one scenario left behind and how it went."""

    scenario: str
    survivors: list[str]
    #: Seconds from the perturbation to zero processes (see each scenario for its perturbation).
    #: For a runner signal, ``details["app_gone_seconds"]`` is the part until the app side was gone.
    cleanup_seconds: float
    output: str
    returncode: int | None
    project: Path
    #: Pids recorded by the app's processes and the project's conftest, by role.
    pids: dict[str, set[int]] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)

    @property
    def chaos_dir(self) -> Path:
        return self.project / "chaos"

    def log(self, name: str = "default.log") -> str:
        return (self.project / ".harness" / "logs" / name).read_text(errors="replace")

    def last_log_line(self, name: str = "default.log") -> str:
        lines = self.log(name).splitlines()
        return lines[-1] if lines else ""

    def all_pids(self) -> set[int]:
        return set().union(*self.pids.values()) if self.pids else set()


# -- the runner dies -----------------------------------------------------------------------------

#: When the runner is signalled: while its app starts (a slow starter), while a test runs, while the
#: app stops after its last test (a slow stopper), or at the end of the session while the first
#: of two apps stops (the second one is not reached before the interruption).
MOMENTS = ("startup", "test", "teardown")
SESSION_TEARDOWN = "session teardown, 2 apps"

_TWO_PROFILES = who_profiles("one", "two")


#: A TLS mock service: its run writes a CA bundle (and a JVM trust store) under ``.harness/tls``.
_TLS_SERVICE = """
[tool.harness.services.secure]
tls = true
env = { SECURE_URL = "{url}" }
"""


def run_files(project: Path, app_pids: set[int]) -> dict[str, list[Path]]:
    """The files a run has on disk: its TLS bundle and trust store, and the env files its apps were
    given (``HARNESS_ENV_FILE`` in their environment, wherever harness put them)."""
    tls = project / ".harness" / "tls"
    env_files: set[Path] = set()
    for pid in app_pids:
        with contextlib.suppress(psutil.Error):
            if value := psutil.Process(pid).environ().get("HARNESS_ENV_FILE"):
                env_files.add(Path(value))
    return {
        "tls": sorted([*tls.glob("*-ca.pem"), *tls.glob("*-ca.p12")]),
        "env": sorted(path for path in env_files if path.exists()),
    }


def runner_signal(workdir: Path, token: str, signum: int, moment: str, *, tls: bool = False) -> Outcome:
    """Send ``signum`` to a pytest runner while its app starts, while a test runs, or while the app
    stops; the app has a child in its group and a daemon that left it. With ``tls``, the project
    has a TLS mock service too (so the run has a CA bundle and trust store on disk).

    Perturbation: the signal. The app is slow at that moment (60 s to start, a 60 s test, 60 s to
    stop on SIGTERM), so only harness's reaction can make the processes go away in time.
    ``details["run_files"]`` lists the run's files on disk at the signal (see :func:`run_files`).
    """
    env: dict[str, object] = {"CHAOS_CHILDREN": 1, "CHAOS_DAEMON": 1}
    app: dict[str, object] = {}
    suite, extra = "quick", ""
    if moment == "startup":
        env["CHAOS_START_DELAY"] = 60
        app["startup_timeout"] = 120
    elif moment == "test":
        suite = "blocking"  # a test that blocks until the runner is perturbed
    elif moment in ("teardown", SESSION_TEARDOWN):
        env["CHAOS_STOP_DELAY"] = 60
        app["shutdown_timeout"] = 120
        if moment == SESSION_TEARDOWN:
            suite, extra = "two_apps", _TWO_PROFILES  # both apps live until the session ends
    else:
        raise ValueError(f"unknown moment {moment!r}")
    project = chaos_project(workdir, suite, app=app, env=env, extra=extra + (_TLS_SERVICE if tls else ""))
    chaos_dir = project / "chaos"
    runner = start_pytest(project, token)
    try:
        wait_for(
            lambda: roles_present(chaos_dir, "app", "child", "daemon"),
            "the app's processes",
            STEP_TIMEOUT,
            unless=runner.ended,
        )
        if moment == "startup":
            log = project / ".harness" / "logs" / "default.log"
            wait_for(
                lambda: "before listening" in log.read_text(),
                "the app's start-up sleep",
                STEP_TIMEOUT,
                unless=runner.ended,
            )
        elif moment == "test":
            in_test = chaos_dir / "in_test"  # the test writes its app's pid there, then blocks
            wait_for(
                lambda: in_test.exists() and in_test.read_text(),
                "the test",
                STEP_TIMEOUT,
                unless=runner.ended,
            )
        else:
            wait_for(
                (chaos_dir / "stopping").exists, "the app's slow stop", STEP_TIMEOUT, unless=runner.ended
            )
        watchdog = runner.watchdog()
        assert watchdog is not None, "harness should have started its watchdog"
        app_side = handles(set().union(*pid_files(chaos_dir).values()))
        watched = app_side + handles({runner.pid, watchdog.pid})
        watched += [p for p in token_processes(token) if p.pid not in {w.pid for w in watched}]
        files = run_files(project, pid_files(chaos_dir).get("app", set()))
        started = time.monotonic()
        runner.send(signum)
        # First the app's processes (what harness stops), then everything (the runner's own exit).
        _, app_gone = wait_for_zero(token + "-none", app_side, started)
        survivors, cleanup = wait_for_zero(token, watched, started)
        returncode = runner.wait()
    finally:
        runner.close()
        kill_leftovers(token)
    return Outcome(
        f"{signal.Signals(signum).name} during {moment}",
        survivors,
        cleanup,
        runner.output(),
        returncode,
        project,
        pid_files(chaos_dir),
        {"watched": len(watched), "app_gone_seconds": app_gone, "run_files": files},
    )


# -- a dead run's leftovers are swept by the next run ------------------------------------------


def _hold(project: Path, token: str, instance: str) -> tuple[Runner, dict[str, object]]:
    """A Python-API runner holding an app of ``project`` (its own env file and log: ``instance``)."""
    info = project / f"hold-{instance}.json"
    runner = Runner(
        [sys.executable, str(project / "hold.py"), str(project), instance, str(info)],
        project,
        token,
        stdin=subprocess.PIPE,
    )
    wait_for(info.exists, f"run {instance!r} to start its app", STEP_TIMEOUT, unless=runner.ended)
    return runner, json.loads(info.read_text())


def stale_run_sweep(workdir: Path, token: str) -> Outcome:
    """Run A and run B hold apps of one project. A's runner and its watchdog are SIGKILLed (so
    nothing cleans up after A), then a new Harness in the project starts its services.

    Perturbation: the new run's ``start_services()``. Survivors: A's leftovers must be gone at once,
    B's app must be untouched (``details["b_alive"]``, ``details["b_answers"]``), and once B
    stops cleanly nothing of any of the three runs may be left.
    """
    project = chaos_project(workdir, None, env={"CHAOS_CHILDREN": 1, "CHAOS_DAEMON": 1})
    (project / "hold.py").write_text(project_file("chaos/hold.py"))
    chaos_dir = project / "chaos"
    runner_a, info_a = _hold(project, token, "a")
    details: dict[str, object] = {}
    runner_b = None
    try:
        wait_for(
            lambda: len(pid_files(chaos_dir).get("daemon", ())) == 1,
            "run a's daemon",
            STEP_TIMEOUT,
            unless=runner_a.ended,
        )
        a_pids = set().union(*pid_files(chaos_dir).values())
        runner_b, info_b = _hold(project, token, "b")
        wait_for(
            lambda: len(pid_files(chaos_dir).get("daemon", ())) == 2,
            "run b's daemon",
            STEP_TIMEOUT,
            unless=runner_b.ended,
        )
        b_pids = set().union(*pid_files(chaos_dir).values()) - a_pids
        watchdog_a = runner_a.watchdog()
        assert watchdog_a is not None
        leftovers = handles(a_pids)
        watchdog_a.kill()  # first the watchdog, so nobody cleans up after A ...
        wait_for(lambda: not alive(watchdog_a), "A's watchdog to die", STEP_TIMEOUT)  # (A never reaps it)
        runner_a.send(signal.SIGKILL)  # ... then A's runner (not reaped: a zombie runner is dead too)
        wait_for(
            lambda: not alive(runner_a.pid), "A's runner to die", STEP_TIMEOUT
        )  # (polling would reap it)
        details["a_left_before_sweep"] = sum(alive(p) for p in leftovers)
        details["a_record_before"] = (project / ".harness" / "runs" / f"{info_a['marker']}.json").exists()
        b_processes = handles(b_pids)

        sweeper = Harness.from_pyproject(project, instance="c")
        started = time.monotonic()
        try:
            sweeper.start_services()
            survivors, cleanup = wait_for_zero(token + "-none", leftovers, started)
        finally:
            sweeper.stop()
        details["a_record_after"] = (project / ".harness" / "runs" / f"{info_a['marker']}.json").exists()
        details["b_alive"] = all(alive(p) for p in b_processes)
        details["b_processes"] = len(b_processes)
        details["b_answers"] = _get_pid(int(str(info_b["app"])), project)
        details["b_record"] = (project / ".harness" / "runs" / f"{info_b['marker']}.json").exists()

        assert runner_b.process.stdin is not None
        runner_b.process.stdin.write(b"stop\n")
        runner_b.process.stdin.flush()
        details["b_returncode"] = runner_b.wait()
        everything = handles(a_pids | b_pids)
        more, _ = wait_for_zero(token, everything, time.monotonic())
        survivors = sorted(set(survivors) | set(more))
    finally:
        for runner in (runner_a, runner_b):
            if runner is not None:
                runner.close()
        kill_leftovers(token)
    return Outcome(
        "stale run swept by the next run",
        survivors,
        cleanup,
        runner_a.output() + (runner_b.output() if runner_b else ""),
        runner_a.process.returncode,
        project,
        pid_files(chaos_dir),
        details,
    )


def _get_pid(app_pid: int, project: Path) -> bool:
    """Whether the app with ``app_pid`` still answers GET /pid with its pid (port from its log)."""
    for log in (project / ".harness" / "logs").glob("*.log"):
        for line in log.read_text().splitlines():
            if line.startswith(f"chaos_app pid={app_pid} serving on port "):
                port = int(line.rsplit(" ", 1)[1])
                try:
                    return http_get(f"http://127.0.0.1:{port}/pid", timeout=5)[1] == str(app_pid)
                except OSError:
                    return False
    return False


# -- the app misbehaves --------------------------------------------------------------------------


def run_suite(
    name: str,
    workdir: Path,
    token: str,
    suite: str,
    *,
    app: dict[str, object] | None = None,
    env: dict[str, object] | None = None,
    command: list[str] | None = None,
    extra: str = "",
) -> Outcome:
    """Run pytest to its end on a project with the tests of ``suite`` whose app misbehaves as ``env``
    says.

    Perturbation: the moment the inner tests write ``CHAOS_DIR/perturbed`` (each scenario's tests
    say when: the end of the last test, or the crash). Cleanup time: from then until every process
    the app's side recorded is gone; survivors: anything carrying the token once the runner ended.
    """
    project = chaos_project(workdir, suite, app=app, env=env, command=command, extra=extra)
    chaos_dir = project / "chaos"
    perturbed = chaos_dir / "perturbed"
    runner = start_pytest(project, token)
    try:
        wait_for(perturbed.exists, "the perturbation", RUNNER_TIMEOUT, unless=runner.ended)
        # Every process of the app side has recorded its pid by now; the inner test's wall-clock
        # stamp (it may still be writing it) starts the cleanup time.
        watched = handles(set().union(*pid_files(chaos_dir).values()))
        stamp = float(
            wait_for(perturbed.read_text, "the perturbation stamp", STEP_TIMEOUT, unless=runner.ended)
        )
        since = time.monotonic() - (time.time() - stamp)
        app_left, cleanup = wait_for_zero(token + "-none", watched, since)
        returncode = runner.wait()
        survivors, _ = wait_for_zero(token, watched, time.monotonic())
        survivors = sorted(set(app_left) | set(survivors))
    finally:
        runner.close()
        kill_leftovers(token)
    return Outcome(name, survivors, cleanup, runner.output(), returncode, project, pid_files(chaos_dir))


def app_scenarios() -> dict[str, Callable[[Path, str], Outcome]]:
    """Every app-misbehaviour scenario by name, as ``(workdir, token) -> Outcome``."""
    shell = [
        "sh",
        "-c",
        f'"{sys.executable}" "{CHAOS_APP}"; echo "wrapper: the app exited with $?"',
    ]
    gunicorn = [str(GUNICORN), "-w", "2", "-b", "127.0.0.1:{port}", "--chdir", str(APPS), "chaos_wsgi:app"]
    return {
        "app ignores SIGTERM": lambda w, t: run_suite(
            "app ignores SIGTERM",
            w,
            t,
            "ignores_sigterm",
            app={"shutdown_timeout": 0.5},
            env={"CHAOS_IGNORE_TERM": 1, "CHAOS_CHILDREN": 2},
        ),
        "shell wrapper + grandchild": lambda w, t: run_suite(
            "shell wrapper + grandchild", w, t, "grandchildren", command=shell, env={"CHAOS_CHILDREN": 1}
        ),
        "gunicorn -w 2": lambda w, t: run_suite(
            "gunicorn -w 2", w, t, "gunicorn", command=gunicorn, app={"health": "/", "port_env": False}
        ),
        "double-forked daemon": lambda w, t: run_suite(
            "double-forked daemon", w, t, "daemon", env={"CHAOS_DAEMON": 1}
        ),
        "crash mid-suite (restart)": lambda w, t: crash_scenario(w, t, "restart"),
        "crash mid-suite (fail)": lambda w, t: crash_scenario(w, t, "fail"),
        "20 MB of logs per request": lambda w, t: run_suite(
            "20 MB of logs per request", w, t, "flood", env={"CHAOS_FLOOD_MB": 20}
        ),
        "app closes stdout/stderr": lambda w, t: run_suite(
            "app closes stdout/stderr", w, t, "closed_stdio", env={"CHAOS_CLOSE_STDIO": 1}
        ),
        "port taken twice, then free": lambda w, t: run_suite(
            "port taken twice, then free", w, t, "port_retry", env={"CHAOS_PORT_TAKEN": 2}
        ),
    }


def crash_scenario(workdir: Path, token: str, on_crash: str) -> Outcome:
    """The app (with a child) crashes with exit code 3 in the second of five tests; the fifth test
    uses another profile. Perturbation: the end of the last test."""
    return run_suite(
        f"crash mid-suite ({on_crash})",
        workdir,
        token,
        "crash",
        app={"on_crash": on_crash},
        env={"CHAOS_CHILDREN": 1},
        extra=who_profiles("other"),
    )
