"""``App``: one running instance of the app under test, and the sequence that starts it."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from harness.appenv.plan import AppPlan, format_host
from harness.config import AppSettings
from harness.errors import AppDiedError, AppExitedError, AppStartError, AppStartTimeoutError
from harness.files.run_files import RunFiles
from harness.process import logs
from harness.process.launch import launch, resolve_executable
from harness.process.readiness import NotReady, Progress, wait_until_ready
from harness.process.teardown import StopReport, stop_process_tree
from harness.secrets import mask_command, mask_lines, secret_values


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class App:
    """A running app: where it listens, its pid, its log, its env file.

    Created by :meth:`harness.Harness.app_for`; stopped by the harness at the end (or by
    :meth:`stop`).
    """

    def __init__(
        self,
        settings: AppSettings,
        process: subprocess.Popen[bytes],
        *,
        argv: list[str],
        port: int,
        log_path: Path,
        env_file: Path,
        env: Mapping[str, str],
        app_marker: str,
        startup_seconds: float,
        log_start: int = 0,
    ) -> None:
        self.settings = settings
        self.process = process
        self.argv = argv
        self.host = settings.host
        self.port = port
        self.log_path = log_path
        self.env_file = env_file
        self.env = dict(env)
        self.app_marker = app_marker
        self.startup_seconds = startup_seconds
        #: Where this start's output begins in ``log_path`` (a restart appends to the same file).
        self.log_start = log_start
        self.stop_report: StopReport | None = None

    def __repr__(self) -> str:
        state = "running" if self.is_alive() else "stopped"
        return f"<App profile={self.profile!r} {self.url} pid={self.pid} {state}>"

    @property
    def profile(self) -> str:
        return self.settings.profile

    @property
    def url(self) -> str:
        """Base URL of the app, e.g. ``http://127.0.0.1:40123`` (no trailing slash)."""
        return f"http://{format_host(self.host)}:{self.port}"

    def url_for(self, path: str) -> str:
        """Absolute URL of ``path`` on the app: ``app.url_for("/api/health")``."""
        return f"{self.url}/{path.lstrip('/')}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_alive(self) -> bool:
        return self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    def log_tail(self, lines: int = logs.TAIL_LINES) -> list[str]:
        """The last ``lines`` lines this app instance wrote."""
        return logs.tail(self.log_path, lines, self.log_start)

    def log_size(self) -> int:
        return logs.size(self.log_path)

    def log_since(self, offset: int) -> str:
        """What the app wrote to its log after byte ``offset``."""
        return logs.read_from(self.log_path, offset)

    def ensure_alive(self) -> None:
        """Raise :class:`AppDiedError` (with exit status and log tail) if the app has exited."""
        code = self.process.poll()
        if code is None:
            return
        raise AppDiedError(
            f"the app (profile {self.profile!r}) is no longer running: {describe_exit(code)}\n"
            + _details(self.argv, self.settings, self.log_path, self.log_start, known=secret_values(self.env))
        )

    def stop(self) -> StopReport:
        """Stop the app and every process it started (idempotent)."""
        if self.stop_report is None:
            self.stop_report = stop_process_tree(
                self.process, self.app_marker, self.settings.shutdown_timeout
            )
        return self.stop_report


def _details(
    argv: list[str],
    settings: AppSettings,
    log_path: Path,
    log_start: int,
    extra: str = "",
    *,
    known: tuple[str, ...] = (),
) -> str:
    """Command, cwd, log and its tail, for an error; secrets masked, the app's ``known`` ones too."""
    tail = logs.tail(log_path, start=log_start)
    shown = (
        "\n".join(f"    | {line}" for line in mask_lines(tail, known)) if tail else "    (the log is empty)"
    )
    return (
        f"  command: {mask_command(argv)}\n"
        f"  cwd:     {settings.cwd}\n"
        f"{extra}"
        f"  log:     {log_path}\n"
        f"  last {len(tail)} lines of the app's log:\n{shown}"
    )


def start_app(
    settings: AppSettings,
    plan: AppPlan,
    *,
    port: int,
    env_file: Path,
    log_path: Path,
    app_marker: str,
    files: RunFiles,
    on_launch: Callable[[int], None] | None = None,
    on_progress: Progress | None = None,
    cancelled: threading.Event | None = None,
    background: bool = False,
) -> App:
    """Write the env file, launch the app as ``plan`` says (:func:`harness.appenv.plan.plan_app`)
    and wait until it is ready.

    ``background``: the app starts ahead of the tests that need it, beside another start or the
    tests: its process group runs at a lower CPU priority (niceness 10) until it is ready, so it
    takes only the CPU the foreground leaves (back to normal once ready, where the system allows).

    ``files`` writes the env file and the log, under harness's file rules: the log is fresh the
    first time in a run; after a restart the new output is appended after a separator line, so the
    earlier instance's log is never lost. ``on_launch`` gets the pid (= process group) the moment
    the process exists. ``app_marker`` is the instance's ``HARNESS_APP_MARKER`` (in ``plan``).

    On any failure the process tree is stopped before the error is raised: a failed start never
    leaves a process behind.
    """
    files.write_env_file(env_file, plan.file_values, settings.profile)
    env = plan.environment
    where = f"profile {settings.profile!r}"
    argv = [resolve_executable(list(plan.argv), settings.cwd, env, f"command of {where}"), *plan.argv[1:]]
    # os.path, not Path.is_dir: a name too long for the file system is "no", not an exception.
    if not os.path.isdir(settings.cwd):
        raise AppStartError(
            f"the app's working directory {settings.cwd} ({where}) does not exist; fix: correct `cwd`"
        )
    log_start = files.open_log(log_path, settings.profile)  # never mixed with another run's
    try:
        process = launch(argv, settings.cwd, env, log_path)
    except OSError as error:
        raise AppStartError(
            f"the app's command could not be started ({where}): {error}\n  command: {shlex.join(argv)}\n"
            "  fix: check that the command is an executable program (a script needs a #! line)"
        ) from None
    if on_launch is not None:
        on_launch(process.pid)
    if background:
        _set_niceness(process.pid, BACKGROUND_NICENESS)
    try:
        ready = wait_until_ready(
            process,
            settings.host,
            port,
            settings.health,
            settings.startup_timeout,
            on_progress=on_progress,
            cancelled=cancelled,
        )
    except NotReady as failure:
        stop_process_tree(process, app_marker, settings.shutdown_timeout)
        raise _not_ready_error(
            failure, settings, argv, port, log_path=log_path, log_start=log_start, known=secret_values(env)
        ) from None
    except BaseException:  # Ctrl-C while waiting: never leave the half-started app behind
        stop_process_tree(process, app_marker, settings.shutdown_timeout)
        raise
    if background:
        _set_niceness(process.pid, 0)
    return App(
        settings,
        process,
        argv=argv,
        port=port,
        log_path=log_path,
        env_file=env_file,
        env=env,
        app_marker=app_marker,
        startup_seconds=ready.elapsed,
        log_start=log_start,
    )


#: The CPU niceness of an app starting in the background (see ``start_app``).
BACKGROUND_NICENESS = 10


def _set_niceness(pgid: int, niceness: int) -> None:
    """Set the CPU niceness of the app ``pgid`` (its process group and its own session).

    Two settings, because Linux's autogroup scheduling (on by default in most distributions) first
    shares the CPU between sessions and only then by niceness inside one: the app is the leader of
    a session of its own (:mod:`harness.process.launch`), so the niceness of its processes alone
    would not make it yield to the tests' session. Both touch only the app's own processes.
    Lowering a niceness again needs a privilege (CAP_SYS_NICE, root) most runners lack: then the app
    keeps running at 10, which only matters when it competes for the CPU."""
    with contextlib.suppress(OSError, AttributeError):  # no such call off POSIX; the group gone
        os.setpriority(os.PRIO_PGRP, pgid, niceness)
    with contextlib.suppress(OSError):  # no autogroups (off Linux, or switched off); the app gone
        Path(f"/proc/{pgid}/autogroup").write_text(f"{niceness}\n")


def _not_ready_error(
    failure: NotReady,
    settings: AppSettings,
    argv: list[str],
    port: int,
    *,
    log_path: Path,
    log_start: int,
    known: tuple[str, ...] = (),
) -> AppStartError:
    health_url = f"http://{format_host(settings.host)}:{port}{settings.health}"
    probe = f"  health:  GET {health_url} ({failure.attempts} attempts; last saw: {failure.last_seen})\n"
    details = _details(argv, settings, log_path, log_start, probe, known=known)
    who = f"the app (profile {settings.profile!r})"
    if failure.reason == "cancelled":
        return AppStartError(
            f"{who} was still starting (ahead of its tests) when the run stopped; it was stopped "
            f"too\n{details}"
        )
    if failure.reason == "exited":
        code = failure.exit_code if failure.exit_code is not None else 0
        if code == 0:
            fix = (
                "fix: harness runs the command in the foreground and expects it to keep serving; if it "
                "daemonises or hands off to another process, run it in foreground mode instead"
            )
        else:
            fix = (
                "fix: the log above says why it stopped; to reproduce, run the command in cwd with "
                "the env file's variables (--harness-keep-env or keep_env=True keeps the file)"
            )
        return AppExitedError(
            f"{who} exited before it was ready: {describe_exit(code)} after {failure.elapsed:.2f} s\n"
            f"{details}\n  {fix}"
        )
    if failure.reason == "not_found":
        return AppStartTimeoutError(
            f"{who} is serving on port {port} but GET {settings.health} answers 404 (for "
            f"{failure.elapsed:.2f} s)\n{details}\n"
            "  fix: set `health` in [tool.harness] to a path the app answers with 2xx"
        )
    port_hint = (
        f"the app must listen on {settings.host}:{port}, the port harness gave it in ${settings.port_env}"
        if settings.port_env
        else f"the app must listen on {settings.host}:{port} (given to it through {{port}} in the command)"
    )
    return AppStartTimeoutError(
        f"{who} did not become ready within {settings.startup_timeout:g} s\n{details}\n"
        f"  fix: {port_hint}; if it is just slow, raise `startup_timeout`"
    )
