"""``harness``: the command line front.

    harness up [--profile P]     start the mocks and the app, show where they are, follow the log
    harness env [--profile P]    print the environment the app would get (secrets masked)
    harness check                validate the configuration and explain each problem

Like the pytest plugin, it is a thin front over :class:`harness.Harness`.
"""

from __future__ import annotations

import argparse
import codecs
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from harness.app import App, describe_exit
from harness.appenv import SCRUBBED
from harness.appenv.plan import AppPlan, plan_app
from harness.config import DEFAULT_PROFILE, HarnessConfig, load_config
from harness.config.model import ServiceConfig
from harness.errors import ConfigError, HarnessError
from harness.files.claims import instance_name
from harness.files.owned import RunStamp
from harness.files.run_files import RunFiles, app_paths
from harness.mocks import MockService
from harness.mocks.contracts import document_problems
from harness.orchestrator import Harness, new_marker, preview_addresses
from harness.process.launch import resolve_executable
from harness.process.ports import free_port
from harness.run.tls import TRUST_VARIABLES, bundle_path
from harness.secrets import LogMasker, mask_command, mask_env, secret_values

#: Startup slower than this gets a live status line.
STATUS_AFTER_SECONDS = 2.0


def _load(args: argparse.Namespace) -> HarnessConfig:
    return load_config(args.config)


def _profiles(config: HarnessConfig) -> list[str]:
    return [DEFAULT_PROFILE, *config.profiles]


# -- check ------------------------------------------------------------------------------------------


def check(args: argparse.Namespace, out: TextIO) -> int:
    """Validate the configuration; for each profile, check its command and working directory."""
    config = _load(args)
    problems: list[str] = []
    files = RunFiles(config, RunStamp.of_this_process(new_marker(), config.state_dir))
    instance = instance_name()
    try:
        files.check_state_dir()
    except HarnessError as error:
        problems.append(str(error))
    problems += document_problems(config)
    out.write(f"{config.source}: [tool.harness] is valid\n")
    out.write(
        f"  services: {', '.join(_describe_service(s) for s in config.services.values()) or '(none)'}\n"
    )
    if any(service.tls for service in config.services.values()):
        out.write(f"  TLS: a CA made per run, its bundle in {_bundle_placeholder(config)} while it runs\n")
    for profile in _profiles(config):
        settings = config.app_settings(profile)
        plan = preview(config, profile)
        argv = list(plan.argv)
        status = "ok"
        try:
            resolve_executable(argv, settings.cwd, plan.environment, f"command of profile {profile!r}")
        except HarnessError as error:
            status = "PROBLEM"
            problems.append(str(error))
        if not os.path.isdir(settings.cwd):
            status = "PROBLEM"
            problems.append(f"profile {profile!r}: cwd {settings.cwd} does not exist; fix: correct `cwd`")
        try:  # the host must be one the app can listen on: a name that resolves, an address of ours
            free_port(settings.host)
        except HarnessError as error:
            status = "PROBLEM"
            problems.append(f"profile {profile!r}: {error}")
        # The files a run would write for this profile: the same rules as at start.
        for problem in files.path_problems(*app_paths(config, profile, instance)):
            status = "PROBLEM"
            problems.append(f"profile {profile!r}: {problem}")
        out.write(
            f"  profile {profile}: {status}\n"
            f"    command: {mask_command(argv)}\n    cwd: {settings.cwd}\n    health: GET {settings.health}\n"
        )
    for problem in problems:
        out.write(f"problem: {problem}\n")
    return 1 if problems else 0


def _describe_service(service: ServiceConfig) -> str:
    """``name``, plus ``(https, simulator kind, recordings, upstream, openapi)`` where that applies."""
    recordings, contract = service.recordings, service.contract
    traits = [
        *(["https"] if service.tls else []),
        *([f"simulator {service.simulator}"] if service.simulator else []),
        *([f"recordings {recordings.folder}"] if recordings else []),
        *([f"upstream {recordings.upstream}"] if recordings and recordings.upstream else []),
        *([f"openapi {contract.document} ({contract.validate})"] if contract else []),
    ]
    return f"{service.name} ({', '.join(traits)})" if traits else service.name


def _bundle_placeholder(config: HarnessConfig) -> str:
    """Where a run's CA bundle goes; the run marker is only known once it starts."""
    return str(bundle_path(config.root / ".harness", "<run marker>"))


# -- env --------------------------------------------------------------------------------------------


def preview(config: HarnessConfig, profile: str) -> AppPlan:
    """The plan a start of ``profile``'s app makes, with placeholders for what is only known then
    (``<app port>``, ``<openai port>``, ``<run marker>``): the core's own plan, not a copy of it."""
    settings = config.app_settings(profile)
    return plan_app(str(config.root), settings, preview_addresses(config, profile), os.environ)


def env(args: argparse.Namespace, out: TextIO) -> int:
    config = _load(args)
    plan = preview(config, args.profile)
    shown = mask_env(plan.environment if args.all else plan.set_by_harness)
    out.write(f"# the environment of the app (profile {args.profile}), secrets masked\n")
    for name in sorted(shown):
        out.write(f"{name}={shown[name]}\n")
    scrubbed = [name for name in plan.removed if name in SCRUBBED]
    if scrubbed:
        out.write(f"# removed from the inherited environment: {', '.join(scrubbed)}\n")
    settings = config.app_settings(args.profile)
    unset = sorted(
        name for name, value in settings.env.items() if value is None and name not in plan.environment
    )
    if unset:
        out.write(f"# removed by the configuration (NAME = false): {', '.join(unset)}\n")
    return 0


# -- up ---------------------------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


class _Progress:
    """What the readiness probe last reported, shared with the status line's thread."""

    def __init__(self) -> None:
        self.attempts = 0
        self.last_seen = "no attempt yet"

    def __call__(self, attempts: int, last_seen: str) -> None:
        self.attempts, self.last_seen = attempts, last_seen


def _status_line(out: TextIO, started: float, done: threading.Event, progress: _Progress) -> None:
    """A live line while a slow app starts (only after STATUS_AFTER_SECONDS)."""
    if done.wait(STATUS_AFTER_SECONDS):
        return
    width = 0
    while not done.wait(0.25):
        line = (
            f"harness: starting the app ... {time.monotonic() - started:5.1f} s, "
            f"{progress.attempts} attempts, last: {progress.last_seen}"
        )
        out.write("\r" + line.ljust(width))
        width = max(width, len(line))
        out.flush()
    out.write("\r" + " " * width + "\r")


def _table(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)


def up(args: argparse.Namespace, out: TextIO) -> int:
    config = _load(args)
    progress = _Progress()
    harness = Harness(
        config,
        args.profile,
        keep_env=args.keep_env,
        instance=args.instance,
        on_progress=progress,
        record=args.record is not None,
    )
    # Recording (or replaying), the whole session is one window: its exchanges are written when it stops.
    session = args.record if args.record is not None else args.replay
    window = harness.test(session) if session is not None else None
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    done = threading.Event()
    status = threading.Thread(target=_status_line, args=(out, started, done, progress), daemon=True)
    try:
        harness.start_services()
        if window is not None:
            window.begin()
        status.start()
        try:
            app = harness.app_for(args.profile)
        finally:
            done.set()
            status.join()
        rows = [(f"service {name}", _service_row(service)) for name, service in harness.services.items()]
        if window is not None:
            doing = "recording to" if args.record is not None else "replaying"
            rows += [
                (f"service {name}", f"{doing} {service.recordings.file}")
                for name, service in harness.services.items()
                if service.recordings is not None
                and (args.replay is not None or service.recordings.recording)
            ]
        if harness.ca_bundle is not None:
            rows.append(
                ("CA bundle", f"{harness.ca_bundle}   (the app trusts it via {', '.join(TRUST_VARIABLES)})")
            )
        rows += [
            (f"app ({app.profile})", f"{app.url}   pid {app.pid}, ready in {app.startup_seconds:.2f} s"),
            ("env file", str(app.env_file)),
            ("log", str(app.log_path)),
        ]
        out.write(f"harness: up -- Ctrl-C to stop\n{_table(rows)}\n--- the app's log follows ---\n")
        out.flush()
        follower = _LogFollower(app, out)
        try:
            return follower.follow()
        except _Stop as stop:
            follower.catch_up(final=True)  # what the app wrote since the last look is not lost
            out.write(f"\nharness: {stop} received, stopping\n")
            return 0
    except _Stop as stop:
        out.write(f"\nharness: {stop} received, stopping\n")
        return 0
    finally:
        done.set()
        t = time.monotonic()
        try:
            if window is not None:
                window.end()
                for path in window.recorded:
                    out.write(f"harness: recorded {path}\n")
                if args.record is not None and not window.recorded:
                    out.write("harness: nothing was recorded (no request went to an upstream)\n")
        finally:
            harness.stop()
        out.write(f"harness: stopped everything in {time.monotonic() - t:.2f} s\n")
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _service_row(service: MockService) -> str:
    simulator = f"   simulator {service.simulator.kind}" if service.simulator is not None else ""
    return f"{service.url}{simulator}"


class _LogFollower:
    """Copies what the app writes to its log onto ``out``, like ``tail -f``."""

    def __init__(self, app: App, out: TextIO) -> None:
        self.app = app
        self.out = out
        self.offset = app.log_start
        # A character split between two reads must not become two replacement characters.
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        # What the terminal shows is masked like any report, the app's own secret values included.
        self.masker = LogMasker(known=secret_values(app.env))

    def catch_up(self, final: bool = False) -> None:
        """Show what the app wrote since the last look, masked; a line still being written waits
        until a look finds nothing new (or ``final``), so a secret split between reads is masked."""
        try:
            with open(self.app.log_path, "rb") as log:
                log.seek(self.offset)
                data = log.read()
        except OSError:
            data = b""
        self.offset += len(data)
        shown = self.masker.feed(self.decoder.decode(data)) if data else ""
        if final or not data:
            shown += self.masker.flush()
        if shown:
            self.out.write(shown)
            self.out.flush()

    def follow(self) -> int:
        """Until the app exits (returns 1) or a signal raises."""
        while True:
            self.catch_up()
            if not self.app.is_alive():
                self.catch_up(final=True)
                code = self.app.exit_code
                status = describe_exit(code if code is not None else 0)
                self.out.write(f"harness: the app exited ({status})\n")
                return 1
            time.sleep(0.1)  # a person is reading: a tenth of a second is immediate enough


# -- main -------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", metavar="PATH", help="pyproject.toml with [tool.harness] (default: nearest)"
    )
    # --config is also taken after the command (``harness check --config x``), where people put it;
    # SUPPRESS keeps a subcommand's absent option from hiding the one given before the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser(
        "up", parents=[common], help="start the mocks and the app, follow its log; Ctrl-C stops"
    )
    up_parser.add_argument("--profile", default=DEFAULT_PROFILE)
    up_parser.add_argument("--keep-env", action="store_true", help="keep the env file after stopping")
    recording = up_parser.add_mutually_exclusive_group()
    recording.add_argument(
        "--replay",
        metavar="NAME",
        help="answer from the recording NAME (made with --record NAME) what no expectation answers",
    )
    recording.add_argument(
        "--record",
        nargs="?",
        const="harness-up",
        metavar="NAME",
        help="record mode: what the mocks do not answer goes to each service's upstream, and the "
        "exchanges are written as the recording NAME (default: harness-up) when harness stops",
    )
    up_parser.add_argument(
        "--instance",
        metavar="NAME",
        help="name this run's env file and log (default: $HARNESS_INSTANCE)",
    )
    env_parser = commands.add_parser(
        "env", parents=[common], help="print the environment the app would get, secrets masked"
    )
    env_parser.add_argument("--profile", default=DEFAULT_PROFILE)
    env_parser.add_argument("--all", action="store_true", help="also the inherited variables")
    commands.add_parser("check", parents=[common], help="validate the configuration and explain each problem")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    stream = out or sys.stdout
    handlers = {"up": up, "env": env, "check": check}
    try:
        return handlers[args.command](args, stream)
    except ConfigError as error:
        stream.write(f"harness: {error}\n")
        return 1
    except HarnessError as error:
        stream.write(f"harness: {error}\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
