"""``Harness``: mock services, env file, app processes and their teardown, from one config.

Data flows one way: config -> mock services -> env file -> app process -> readiness. The pytest
plugin, the CLI and direct Python use all drive this one object.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading
import uuid
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from harness import simulators
from harness.app import App, start_app
from harness.appenv.plan import Addresses, ServiceAddress, plan_app
from harness.config import DEFAULT_PROFILE, AppSettings, HarnessConfig, load_config
from harness.config.model import ServiceConfig
from harness.errors import AppExitedError, AppStartError, HarnessError, TeardownError, UnsafePathError
from harness.files.claims import InstanceClaim, claim_instance, instance_name
from harness.files.owned import RunStamp, create_exclusive
from harness.files.run_files import RunFiles, app_paths
from harness.mocks import MockService
from harness.mocks.contracts import MockContract
from harness.process.ports import ensure_port_free, free_port
from harness.process.readiness import Progress
from harness.recording.replay import ReplayOptions
from harness.recording.service import ServiceRecordings
from harness.recording.upstream import Upstream
from harness.run import records
from harness.run.guard import Watchdog
from harness.run.offline import OfflineGuard
from harness.run.tls import (
    BUNDLE_SUFFIX,
    TRUST_VARIABLES,
    TRUSTSTORE_SUFFIX,
    CertificateAuthority,
    bundle_path,
    sweep_stale_bundles,
)
from harness.secrets import mask_lines, secret_values
from harness.window import TestWindow

#: How often an app that lost the race for its auto-picked port is started on another one.
PORT_ATTEMPTS = 3
_PORT_TAKEN = re.compile(r"address already in use|EADDRINUSE|address in use", re.IGNORECASE)

_live: weakref.WeakSet[Harness] = weakref.WeakSet()


@atexit.register
def _stop_live_harnesses() -> None:
    # Last line of defence for Python-API users who forget ``stop()`` or leave via an exception.
    for harness in list(_live):
        try:
            harness.stop()
        except HarnessError as error:
            print(f"harness: {error}", file=sys.stderr)


def new_marker() -> str:
    """An exact, unique marker for one run; every app process carries it in its environment."""
    return f"harness-{os.getpid()}-{uuid.uuid4().hex}"


def preview_addresses(config: HarnessConfig, profile: str) -> Addresses:
    """The addresses of a start of ``profile``'s app as far as they are known before it: ports,
    markers and the CA bundle's name are chosen at start, so they read ``<app port>``,
    ``<openai port>``, ``<run marker>``. With :func:`~harness.appenv.plan.plan_app`, what
    ``harness env`` and ``harness check`` show: the same plan a start makes, with placeholders."""
    bundle = str(bundle_path(config.state_dir, "<run marker>"))
    tls = any(service.tls for service in config.services.values())
    proxy = "http://127.0.0.1:<offline guard port>"
    names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    return Addresses(
        app_port="<app port>",
        services={
            name: ServiceAddress(
                f"{'https' if service.tls else 'http'}://127.0.0.1:<{name} port>",
                "127.0.0.1",
                f"<{name} port>",
            )
            for name, service in config.services.items()
        },
        env_file=str(app_paths(config, profile, instance_name())[0]),
        run_marker="<run marker>",
        app_marker="<app instance marker>",
        trust=dict.fromkeys(TRUST_VARIABLES, bundle) if tls else {},
        ca_bundle=bundle if tls else None,
        truststore=bundle.removesuffix(BUNDLE_SUFFIX) + TRUSTSTORE_SUFFIX if tls else None,
        withheld=config.upstream_credential_variables,
        proxy={variable: proxy for name in names for variable in (name, name.lower())}
        if config.offline_guard
        else {},
    )


class Harness:
    """Everything one test run needs: mock services, and one app per profile, started lazily.

    >>> with Harness.from_pyproject("pyproject.toml") as h:   # doctest: +SKIP
    ...     requests.get(h.app.url_for("/api/health"))

    ``profile`` picks the app that :attr:`app` and :attr:`env_file` refer to; ``instance``
    names this run's env files and logs (default: ``$HARNESS_INSTANCE``, else the plain names). Two
    runs in one checkout never share a file: a run whose name is taken by a live run takes one of
    its own (see :mod:`harness.files.claims`), so :attr:`instance` is final once services start.
    """

    def __init__(
        self,
        config: HarnessConfig,
        profile: str | None = None,
        *,
        keep_env: bool = False,
        instance: str | None = None,
        on_progress: Progress | None = None,
        record: bool = False,
    ) -> None:
        self.config = config
        self.profile = profile or DEFAULT_PROFILE
        config.app_settings(self.profile)  # an unknown profile fails here, before anything starts
        self.keep_env = keep_env
        #: Record mode: services with an ``upstream`` forward what nothing primed to the real service
        #: and write each test's exchanges (docs/record-replay.md).
        self.record = record
        if record and not any(
            service.recordings is not None and service.recordings.upstream
            for service in config.services.values()
        ):
            raise HarnessError(
                f"record mode: no service in {config.source} has an upstream to record from; fix: give the "
                'service upstream = "https://<the real service>" and recordings = "<folder>" in '
                "[tool.harness.services.<name>] (docs/record-replay.md)"
            )
        #: The instance name asked for, and (from :meth:`start_services`) the one this run holds.
        self.instance = instance_name(instance)
        self._claim: InstanceClaim | None = None
        #: Told (attempts, what the last probe saw) while an app starts; the CLI's status line.
        self.on_progress = on_progress
        self.marker = new_marker()
        self.stamp = RunStamp.of_this_process(self.marker, config.state_dir)
        #: The run's certificate authority, made only when some service has ``tls = true``.
        self.certificate_authority: CertificateAuthority | None = None
        if any(service.tls for service in config.services.values()):
            self.certificate_authority = CertificateAuthority(bundle_path(self.state_dir, self.marker))
        self.services: dict[str, MockService] = {
            name: self._mock_service(service) for name, service in config.services.items()
        }
        self._apps: dict[str, App] = {}
        #: Apps starting ahead of the tests that need them (:meth:`start_ahead`), by profile.
        self._ahead: dict[str, Future[App]] = {}
        self._ahead_pool: ThreadPoolExecutor | None = None
        #: Set when the run stops: an app still starting ahead gives up at once (and is stopped).
        self._stopping = threading.Event()
        #: Apps being stopped in the background (``stop_app(wait=False)``), joined by :meth:`stop`.
        self._background_stops: list[tuple[threading.Thread, App]] = []
        self._start_failures: dict[str, AppStartError] = {}
        self._services_started = False
        self._stopped = False
        self._watchdog = Watchdog(self.marker)
        # The watchdog removes the env files (they hold the app's keys) if the runner is killed;
        # files kept on purpose (keep_env) are not its to remove.
        self.files = RunFiles(
            config,
            self.stamp,
            on_written=None if keep_env else self._watchdog.watch_file,
            on_removed=self._watchdog.unwatch_file,
            keep=keep_env,
        )
        #: Records every attempt of the apps to reach a host that is not a mock (None: disabled).
        self.offline_guard = OfflineGuard() if config.offline_guard else None
        self._run_record: Path | None = None
        #: How many times each profile's app was restarted after it died.
        self.restarts: dict[str, int] = {}
        #: Test windows' bookkeeping, by app pid: the test it died during, the last test that used it,
        #: the test whose report showed its environment.
        self._deaths: dict[int, str] = {}
        self._last_user: dict[int, str] = {}
        self._environment_shown: dict[int, str] = {}

    def _mock_service(self, service: ServiceConfig) -> MockService:
        context = None
        if service.tls:
            assert self.certificate_authority is not None
            context = self.certificate_authority.server_context()
        simulator = None
        if service.simulator is not None:
            simulator = simulators.create(service.simulator, service.options, root=self.config.root)
        return MockService(
            service.name,
            strict=service.strict,
            ssl_context=context,
            simulator=simulator,
            max_body_bytes=service.max_body_bytes,
            request_timeout=service.request_timeout,
            recordings=self._recordings(service),
            contract=MockContract.load(service.contract, root=self.config.root) if service.contract else None,
        )

    def _recordings(self, service: ServiceConfig) -> ServiceRecordings | None:
        settings = service.recordings
        if settings is None:
            return None
        upstream = None
        if settings.upstream is not None:
            upstream = Upstream(
                settings.upstream,
                ca_file=settings.upstream_ca,
                credentials=settings.upstream_headers,
                service=service.name,
            )
            if self.record:
                upstream.prepare()  # a credential not set, a CA that cannot be read: told now, once
        options = ReplayOptions(settings.ignore_query, settings.ignore_json_fields, settings.match_headers)
        return ServiceRecordings(
            service.name, settings.folder, upstream, options, recording=self.record and upstream is not None
        )

    @property
    def ca_bundle(self) -> Path | None:
        """The PEM file the apps trust for the TLS mocks (None when no service has ``tls = true``).

        It holds the run's CA alone; it exists from :meth:`start_services` until
        :meth:`stop` (which removes it). Give it to an in-process client as ``verify=h.ca_bundle``.
        """
        if self.certificate_authority is None:
            return None
        return self.certificate_authority.bundle_path

    @property
    def java_truststore(self) -> Path | None:
        """The same certificates as :attr:`ca_bundle`, as a PKCS12 trust store without a password, for
        ``-Djavax.net.ssl.trustStore=...`` (the JVM reads none of the PEM variables); None without
        TLS services (or with a cryptography older than 45). Also ``{tls.truststore}`` in env values.
        """
        if self.certificate_authority is None:
            return None
        return self.certificate_authority.truststore_path

    @classmethod
    def from_pyproject(
        cls,
        path: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        *,
        keep_env: bool = False,
        instance: str | None = None,
        record: bool = False,
    ) -> Harness:
        """Build a harness from ``[tool.harness]`` in ``path`` (default: the nearest pyproject.toml);
        ``record``: record mode (docs/record-replay.md)."""
        config = load_config(None if path is None else Path(path))
        return cls(config, profile, keep_env=keep_env, instance=instance, record=record)

    # -- context manager ---------------------------------------------------------------------------

    def __enter__(self) -> Harness:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- services ----------------------------------------------------------------------------------

    def start_services(self) -> None:
        """Start every mock service (idempotent)."""
        if self._services_started:
            return
        if self._stopped:
            raise HarnessError("this Harness has been stopped; create a new one to start again")
        _live.add(self)
        self._services_started = True
        self.files.check_state_dir()
        fixed = self.config.env_file if self.config.env_file_fixed else None
        self._claim = claim_instance(self.state_dir, self.instance, stamp=self.stamp, fixed_env_file=fixed)
        self.instance = self._claim.name
        self._check_paths()
        self.files.sweep_logs_of_ended_runs()
        try:
            _ensure_self_ignoring(self.state_dir, self.config.log_dir)
            records.sweep_stale_runs(self.state_dir)
            self._run_record = records.register(self.state_dir, self.marker)
            sweep_stale_bundles(self.state_dir)  # after registering: our own bundle is never swept
            if self.certificate_authority is not None:
                self.certificate_authority.write_bundle()
                # If the runner is SIGKILLed, its watchdog (started here by the first watch) removes them.
                self._watchdog.watch_file(self.certificate_authority.bundle_path)
                if self.certificate_authority.truststore_path is not None:
                    self._watchdog.watch_file(self.certificate_authority.truststore_path)
        except OSError as error:
            raise HarnessError(
                f"cannot keep this run's state in {self.state_dir}: {error.strerror or error} "
                f"({error.filename or self.state_dir}); fix: make the project directory writable for this "
                "user (harness keeps its run records, locks and CA bundle in .harness there)"
            ) from None
        # Started now, with the mocks, rather than beside the app, whose start it would slow down.
        self._watchdog.start()
        for service in self.services.values():
            service.start()
        if self.offline_guard is not None:
            self.offline_guard.start()

    def _check_paths(self) -> None:
        """Every profile's env file and log may be written (see harness.files.owned): refused now,
        once, before anything starts, rather than at each start of an app."""
        profiles = [DEFAULT_PROFILE, *self.config.profiles]
        problems = {
            problem
            for profile in profiles
            for problem in self.files.path_problems(*self._paths(profile), live_runs_ok=False)
        }
        if problems:
            raise UnsafePathError("\n".join(sorted(problems)))

    def start(self) -> Harness:
        """Start the services and the app of :attr:`profile`; return self."""
        self.start_services()
        self.app_for(self.profile)
        return self

    # -- apps --------------------------------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        """Where run records live (``.harness`` beside the config file)."""
        return self.config.state_dir

    @property
    def app(self) -> App:
        """The running app of :attr:`profile` (started on first use)."""
        return self.app_for(self.profile)

    @property
    def env_file(self) -> Path:
        """Path of the env file written for :attr:`app` (computed: reading it starts nothing)."""
        return self._paths(self.profile)[0]

    @property
    def apps(self) -> dict[str, App]:
        """Apps started so far, by profile."""
        return dict(self._apps)

    def app_for(self, profile: str | None = None) -> App:
        """The running app of ``profile``: started the first time, reused afterwards.

        A profile whose app failed to start is not retried within the run: later callers get the
        same error at once instead of waiting out the startup timeout again.
        """
        name = profile or DEFAULT_PROFILE
        if self._stopped:
            raise HarnessError(
                "this Harness has been stopped; create a new one (or use `with Harness...`) "
                "to start the app again"
            )
        self._collect_ahead(name)
        if name in self._start_failures:
            raise type(self._start_failures[name])(
                f"(the app of profile {name!r} already failed to start earlier in this run)\n"
                f"{self._start_failures[name]}"
            )
        app = self._apps.get(name)
        if app is not None:
            if app.is_alive():
                return app
            if app.settings.on_crash == "fail":
                app.ensure_alive()  # raises AppDiedError with the exit status and the log tail
            # on_crash = "restart": clean up what the dead app left, then start it again below.
            del self._apps[name]
            self._check_stopped([app])
            self.restarts[name] = self.restarts.get(name, 0) + 1
        self.start_services()
        try:
            app = self._start_app(self.config.app_settings(name))
        except AppStartError as error:
            self._start_failures[name] = error
            raise
        self._apps[name] = app
        return app

    def start_ahead(self, profiles: Sequence[str]) -> None:
        """Start the apps of ``profiles`` now, in the background, at most ``start_ahead`` (the
        configuration key) at once, in this order: a test that needs one then finds it ready, or
        waits only for the rest of its start. The pytest plugin passes the selected tests'
        profiles in the order of their first test, so a suite of P profiles whose app takes S
        seconds to start waits about S, not P x S.

        An app started ahead is the app :meth:`app_for` returns, and is stopped like any other; a
        start that fails is that profile's failure, raised (with the app's log) by :meth:`app_for`.
        ``start_ahead = 0`` turns it off: each app starts when first asked for."""
        parallel = self.config.start_ahead
        if parallel <= 0 or self._stopped:
            return
        self.start_services()
        if self._ahead_pool is None:
            self._ahead_pool = ThreadPoolExecutor(
                max_workers=parallel, thread_name_prefix="harness-start-ahead"
            )
        names = [name for name in profiles if name not in self._apps and name not in self._ahead]
        names = [name for name in names if name not in self._start_failures]
        # The first app starts as usual: its tests come first. The others start beside it at a
        # lower CPU priority (app.start_app's background): on a machine with few cores their
        # starts (imports, JIT warm-up) take only the CPU the first one and the tests leave, and an
        # app whose start mostly waits is not held back at all.
        for index, name in enumerate(names):
            settings = self.config.app_settings(name)
            self._ahead[name] = self._ahead_pool.submit(self._start_app, settings, background=index > 0)

    def _collect_ahead(self, name: str) -> None:
        """If the app of ``name`` is starting ahead, wait for its start to end and take its result."""
        future = self._ahead.pop(name, None)
        if future is None:
            return
        try:
            self._apps[name] = future.result()
        except AppStartError as error:
            self._start_failures[name] = error

    def stop_app(self, profile: str | None = None, *, wait: bool = True) -> None:
        """Stop the app of ``profile`` (it would be started again if asked for).

        With ``wait=False`` the stop runs in the background (the caller goes on while the app
        shuts down, which for an interpreter with many modules loaded takes a few hundred ms);
        :meth:`stop` waits for it and reports any process that survived it.
        """
        app = self._apps.pop(profile or DEFAULT_PROFILE, None)
        if app is None:
            return
        if wait:
            self._check_stopped([app])
            return
        stopping = _stopping(app)
        self._background_stops.append((stopping, app))
        stopping.start()

    def interrupt(self) -> list[tuple[str, str, list[str]]]:
        """Ctrl-C or SIGTERM: stop every app now, and return what to show of each since no test
        report will: ``(profile, log path, its last lines)``, secrets masked (its own values too)."""
        shown = []
        for profile, app in self.apps.items():
            tail = mask_lines(app.log_tail(), secret_values(app.env))
            shown.append((profile, str(app.log_path), tail))
            with contextlib.suppress(HarnessError):  # a survivor is reported when the run stops
                self.stop_app(profile)
        return shown

    def dead_apps(self) -> list[App]:
        """Started apps that have exited (crashed, or were killed) since."""
        return [app for app in self._apps.values() if not app.is_alive()]

    # -- test windows ------------------------------------------------------------------------------

    def test(self, name: str) -> TestWindow:
        """A window for the test ``name`` on this run (see :mod:`harness.window`): ``with
        harness.test(name) as window: ...; window.check()`` -- per-test isolation of the mocks, the
        strict verdict, deaths and report sections, the same for pytest, unittest and scripts."""
        return TestWindow(self, name)

    def blame_earlier_deaths(self) -> None:
        """An app found dead when a test window opens died during (or just after) the last window
        that used it: record that, so its restart (or the on_crash = "fail" error) names that test."""
        for app in self.dead_apps():
            self._deaths.setdefault(app.pid, self._last_user.get(app.pid, "an earlier test"))

    def note_users(self, name: str) -> None:
        """The test ``name`` used every app running now (blamed if one is found dead later)."""
        for app in self._apps.values():
            self._last_user[app.pid] = name

    def attribute_death(self, app: App, name: str) -> bool:
        """Record that ``app`` died during the test ``name``; False if its death was already told."""
        if app.pid in self._deaths:
            return False
        self._deaths[app.pid] = name
        return True

    def died_during(self, profile: str) -> str | None:
        """The test during which the app of ``profile`` died, if it died and that is known."""
        app = self._apps.get(profile)
        return self._deaths.get(app.pid) if app is not None else None

    def environment_shown_in(self, app: App, name: str) -> str:
        """The test whose report shows ``app``'s environment: the first that asks (``name`` then)."""
        return self._environment_shown.setdefault(app.pid, name)

    def _paths(self, profile: str) -> tuple[Path, Path]:
        return app_paths(self.config, profile, self.instance)

    def _start_app(self, settings: AppSettings, *, background: bool = False) -> App:
        if settings.port:
            where = f"[tool.harness] port of profile {settings.profile!r} in {self.config.source}"
            ensure_port_free(settings.host, settings.port, where)
            return self._start_on_port(settings, settings.port, background)
        # A free port can be taken by someone else between our check and the app's bind. An app
        # that dies saying so is started again on another port (bounded), instead of failing.
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                return self._start_on_port(settings, free_port(settings.host), background)
            except AppExitedError as error:
                if attempt == PORT_ATTEMPTS or not _PORT_TAKEN.search(str(error)):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_on_port(self, settings: AppSettings, port: int, background: bool = False) -> App:
        env_file, log_path = self._paths(settings.profile)
        app_marker = f"{self.marker}/{settings.profile}/{uuid.uuid4().hex[:8]}"
        plan = plan_app(
            str(self.config.root),
            settings,
            self._addresses(port, env_file, app_marker),
            os.environ,
        )
        return start_app(
            settings,
            plan,
            port=port,
            env_file=env_file,
            log_path=log_path,
            app_marker=app_marker,
            files=self.files,
            on_launch=self._watchdog.watch,
            on_progress=self.on_progress,
            cancelled=self._stopping,
            background=background,
        )

    def _addresses(self, port: int, env_file: Path, app_marker: str) -> Addresses:
        """Where everything of this run is, for an app starting on ``port``."""
        authority = self.certificate_authority
        store = authority.truststore_path if authority is not None else None
        return Addresses(
            app_port=str(port),
            services={
                name: ServiceAddress(service.url, service.host, str(service.port))
                for name, service in self.services.items()
            },
            env_file=str(env_file),
            run_marker=self.marker,
            app_marker=app_marker,
            trust=authority.trust_env() if authority is not None else {},  # writes the bundle
            ca_bundle=str(authority.bundle_path) if authority is not None else None,
            truststore=str(store) if store is not None else None,
            proxy=self.offline_guard.proxy_env() if self.offline_guard is not None else {},
            withheld=self.config.upstream_credential_variables,
        )

    # -- teardown ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every app (and its descendants), then the services; remove env files unless kept.

        Raises :class:`TeardownError` if any process survived, after cleaning up everything else.
        """
        _live.discard(self)
        self._stopped = True
        self._stopping.set()  # an app still starting ahead gives up now, and is stopped by its start
        for name in list(self._ahead):
            with contextlib.suppress(HarnessError):
                self._collect_ahead(name)
        if self._ahead_pool is not None:
            self._ahead_pool.shutdown(wait=True)
            self._ahead_pool = None
        apps = list(self._apps.values())
        self._apps.clear()
        finished = False
        try:
            self._check_stopped(apps)
            finished = True
        finally:
            for service in self.services.values():
                if service.is_running():
                    service.stop()
            if self.offline_guard is not None:
                self.offline_guard.stop()
            if self.certificate_authority is not None:
                self.certificate_authority.remove_bundle()
            self._services_started = False
            if not self.keep_env:
                self.files.remove_env_files()
            # Interrupted (Ctrl-C) or failed before every app was stopped: the watchdog, not told
            # "done", SIGKILLs what is left of the run (the apps not reached yet, their daemons).
            self._watchdog.close(clean=finished)
            if self._run_record is not None:
                records.unregister(self._run_record)
                self._run_record = None
            if self._claim is not None:
                self._claim.release()
                self._claim = None

    def _check_stopped(self, apps: list[App]) -> None:
        # Apps shut down side by side: each may take its grace period (or, for a Python app, a few
        # hundred ms of interpreter teardown), and they do not wait for one another. The first is
        # stopped in this thread, so a Ctrl-C during its grace period still SIGKILLs it at once;
        # the watchdog covers the others if this thread is interrupted before they finish.
        helpers = [_stopping(app) for app in apps[1:]]
        for helper in helpers:
            helper.start()
        if apps:
            apps[0].stop()
        for helper in helpers:
            helper.join()
        background, self._background_stops = self._background_stops, []
        for stopping, app in background:
            stopping.join()
            apps = [*apps, app]
        survivors: list[str] = []
        for app in apps:
            survivors += app.stop().survivors  # the report of the stop already done
            self._watchdog.unwatch(app.pid)
        if survivors:
            raise TeardownError(
                "processes survived the app's teardown even after SIGKILL: " + ", ".join(survivors)
            )


def _stopping(app: App) -> threading.Thread:
    """A (not yet started) daemon thread that stops ``app``; its report stays on the app."""
    return threading.Thread(target=app.stop, name=f"harness-stop-{app.settings.profile}", daemon=True)


def _ensure_self_ignoring(state_dir: Path, log_dir: Path) -> None:
    """Give the state directory a ``.gitignore`` naming harness's own entries (logs, run state), so
    they never end up in a commit. Not ``*``: the directory may be shared (Harness.io keeps its
    pipelines in a ``.harness`` folder too), and a file of someone else's must stay visible. One
    already there (or anything else at that name) is left alone."""
    names = ["/runs/", "/instances/", "/tls/", "/logs/", "/.gitignore"]
    if log_dir.parent == state_dir and f"/{log_dir.name}/" not in names:
        names.append(f"/{log_dir.name}/")
    text = "# created by harness: its logs and run state, never committed\n" + "\n".join(names) + "\n"
    with contextlib.suppress(HarnessError):
        create_exclusive(
            state_dir / ".gitignore",
            text.encode(),
            what="the .gitignore of its state directory",
            key="the .harness directory",
            mode=0o644,
        )
