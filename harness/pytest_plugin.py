"""pytest front for harness: options, the ``harness_profile`` marker, fixtures and report sections.

Registered through the ``pytest11`` entry point, so installing harness is enough. Everything real
happens in :class:`harness.Harness`; this module only maps pytest's lifecycle onto it.

It is loaded into every pytest run of every environment harness is installed in, most of which
never use it: so it imports nothing of harness at load, and a run whose pyproject.toml files do not
mention harness loads nothing at all (docs/benchmarks.md: the plugin's cost where unused).
"""

from __future__ import annotations

import difflib
import functools
import os
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.app import App
    from harness.config import HarnessConfig
    from harness.errors import HarnessError
    from harness.mocks import JournalEntry, MockService
    from harness.orchestrator import Harness

#: The base configuration's profile name (harness.config.DEFAULT_PROFILE, not imported: see above).
DEFAULT_PROFILE = "default"

#: The public fixtures. Prefixed, like pytest-httpserver's ``httpserver``: short names such as ``app``
#: belong to the ecosystem (pytest-flask's autouse fixtures take whatever fixture is called ``app``).
HARNESS_FIXTURES = ("harness", "harness_app", "harness_app_url", "harness_services")
#: The session fixture every public one is built on. A test uses harness when this fixture is in its
#: closure *and* resolves to the definition below: a same-named fixture of a conftest or another
#: plugin wins, and harness then stays out of that test's way.
_SESSION_FIXTURE = "_harness_session"

_config_key: pytest.StashKey[HarnessConfig | HarnessError] = pytest.StashKey()
_harness_key: pytest.StashKey[Harness] = pytest.StashKey()
_last_use_key = pytest.StashKey["dict[str, str]"]()
_log_offsets_key = pytest.StashKey["dict[str, int]"]()
_sigterm_key = pytest.StashKey[object]()
#: pid of a dead app -> the test during which its death was noticed.
_deaths_key = pytest.StashKey["dict[int, str]"]()
#: pid of a running app -> the last test that used it (blamed for a death noticed only later).
_last_user_key = pytest.StashKey["dict[int, str]"]()
#: pid of an app -> the test whose failure report showed its environment (shown once per app).
_env_shown_key = pytest.StashKey["dict[int, str]"]()

#: The session's harness, for the hooks that get no config (pytest_keyboard_interrupt).
_session_harness: Harness | None = None
#: (profile, log path, last lines) of each app, kept when the run is interrupted.
_interrupted_logs: list[tuple[str, str, list[str], tuple[str, ...]]] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "harness: functional tests of a real app process")
    group.addoption(
        "--harness-config",
        metavar="PATH",
        help="pyproject.toml holding [tool.harness] (default: the nearest one from the rootdir upwards)",
    )
    group.addoption(
        "--harness-profile",
        metavar="NAME",
        help="profile for tests without a harness_profile marker (default: the base configuration)",
    )
    group.addoption(
        "--harness-instance",
        metavar="NAME",
        help="name this run's env files and logs, e.g. one per CI shard (default: $HARNESS_INSTANCE; "
        "a run whose name another live run holds takes one of its own)",
    )
    group.addoption(
        "--harness-keep-env",
        action="store_true",
        default=False,
        help="keep the env files harness writes for the app after the run (default: removed)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "harness_profile(name): run the test (class, module) against the app of the named "
        "[tool.harness.profiles.<name>] configuration",
    )
    # Validated up front, so a broken [tool.harness] is one clear error instead of one per test --
    # but only for a run that uses harness: asked for by option, or (said at collection) by a
    # selected test. A run of tests that do not use harness goes on as if it were not installed.
    # Never block --help or --version: they are how a user finds --harness-config.
    if config.getoption("help", False) or config.getoption("version", False):
        return
    explicit = config.getoption("harness_config")
    asked = explicit or config.getoption("harness_profile") or config.getoption("harness_instance")
    if not explicit and not _may_hold_a_table(config.rootpath):
        return  # nothing to load; a test that asks for harness is told why (see _harness_session)
    from harness.config import find_config, load_config  # noqa: PLC0415 - see the module docstring
    from harness.errors import HarnessError  # noqa: PLC0415
    from harness.files.claims import instance_name  # noqa: PLC0415

    try:
        harness_config = load_config(Path(explicit) if explicit else find_config(config.rootpath))
        profile = config.getoption("harness_profile")
        if profile:
            harness_config.app_settings(profile)
        instance_name(config.getoption("harness_instance"))  # a bad name is an error, up front
    except HarnessError as error:
        if asked:
            raise pytest.UsageError(str(error)) from None
        config.stash[_config_key] = error  # said at collection if a selected test uses harness
        return
    config.stash[_config_key] = harness_config
    config.stash[_deaths_key] = {}
    config.stash[_last_user_key] = {}
    _handle_sigterm_like_ctrl_c(config)


def _may_hold_a_table(start: Path) -> bool:
    """Whether a pyproject.toml from ``start`` upwards (where :func:`harness.config.find_config`
    looks) mentions harness at all: a plain byte search, without a TOML parser, so a project that
    does not use harness pays nothing for it."""
    for directory in (start, *start.parents):
        try:
            if b"harness" in (directory / "pyproject.toml").read_bytes():
                return True
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return True  # unreadable: the real search reports it, if a test needs harness
    return False


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def _handle_sigterm_like_ctrl_c(config: pytest.Config) -> None:
    """Turn SIGTERM (a CI cancel, ``kill``) into KeyboardInterrupt, so pytest tears the session
    down -- apps and mocks included -- instead of dying on the spot. Left alone if someone else
    already handles SIGTERM, or outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    # coverage's `sigterm = true` handler only saves data and dies; a teardown first saves more
    # (the app's own coverage included), and coverage still saves at the normal exit that follows.
    from_coverage = getattr(current, "__module__", "") == "coverage.control"
    if current is not signal.SIG_DFL and not from_coverage:
        return
    config.stash[_sigterm_key] = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def pytest_unconfigure(config: pytest.Config) -> None:
    previous = config.stash.get(_sigterm_key, None)
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def _uses_harness(item: pytest.Item | pytest.Collector) -> bool:
    """Whether ``item``'s fixture closure holds harness's own session fixture (decided by the
    definition pytest resolved, never by a fixture's name)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {}).get(_SESSION_FIXTURE) if info else None
    if not definitions:
        return False
    return getattr(definitions[-1].func, "__module__", None) == __name__


def _profile_of(node: pytest.Item | pytest.Collector, config: pytest.Config) -> str:
    marker = node.get_closest_marker("harness_profile")
    if marker is None:
        return str(config.getoption("harness_profile") or DEFAULT_PROFILE)
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    if not isinstance(name, str) or not name:
        raise pytest.UsageError(
            f'{node.nodeid}: use @pytest.mark.harness_profile("name") with a profile name'
        )
    return name


def _check_profiles(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every profile a selected harness test names must exist: said at collection, for all such tests
    at once and with a suggestion, before any app starts (not at each test's set-up)."""
    loaded = config.stash.get(_config_key, None)
    if loaded is None:
        return  # no configuration: a test asking for harness is told so at its set-up
    from harness.config import HarnessConfig  # noqa: PLC0415 - see the module docstring

    if not isinstance(loaded, HarnessConfig):  # a broken configuration
        users = [item.nodeid for item in items if _uses_harness(item)]
        if users:
            shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
            raise pytest.UsageError(f"harness: {loaded}\n  (needed by {shown})")
        return
    unknown: dict[str, list[str]] = {}
    for item in items:
        if _uses_harness(item):
            profile = _profile_of(item, config)
            if profile != DEFAULT_PROFILE and profile not in loaded.profiles:
                unknown.setdefault(profile, []).append(item.nodeid)
    if not unknown:
        return
    known = sorted(loaded.profiles)
    lines = []
    for profile, nodeids in sorted(unknown.items()):
        hint = difflib.get_close_matches(profile, known, n=1)
        fix = (
            f"did you mean {hint[0]!r}?" if hint else f"known profiles: {', '.join(known) or 'none defined'}"
        )
        shown = ", ".join(nodeids[:3]) + (f" and {len(nodeids) - 3} more" if len(nodeids) > 3 else "")
        lines.append(f"  - harness_profile({profile!r}) in {shown}: no such profile; {fix}")
    raise pytest.UsageError(
        f"harness: unknown profile in {len(unknown)} harness_profile mark(s) ({loaded.source}):\n"
        + "\n".join(lines)
        + f"\n  fix: correct the mark, or define [tool.harness.profiles.<name>] in {loaded.source}"
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # With pytest-xdist's ``--dist loadgroup``, tests sharing an ``xdist_group`` run on one worker.
    # Grouping each non-default profile's tests makes its app start once per run instead of once
    # per worker (an app start is often the most expensive thing a test needs); the default
    # profile, which usually has most tests, stays spread over every worker. Without loadgroup
    # the mark is inert. A test's own xdist_group mark wins.
    _check_profiles(config, items)
    if not config.pluginmanager.hasplugin("xdist"):
        return  # the mark is xdist's: unregistered without it (an error under --strict-markers)
    default = str(config.getoption("harness_profile") or DEFAULT_PROFILE)
    for item in items:
        if not _uses_harness(item) or item.get_closest_marker("xdist_group"):
            continue
        profile = _profile_of(item, config)
        if profile != default:
            item.add_marker(pytest.mark.xdist_group(f"harness-profile-{profile}"))
    if getattr(config.option, "loadgroup", False):
        _restore_loadgroup(items)


def _restore_loadgroup(items: list[pytest.Item]) -> None:
    """Give grouped tests the ``@group`` node-id suffix that xdist's loadgroup scheduler reads.

    xdist (3.8) writes it into ``item._nodeid``, which pytest 9.2 no longer reads (its node ids
    are structured, in ``item._id``), so loadgroup silently stops grouping anything
    (pytest-dev/pytest-xdist#1386). Where that is the case the suffix goes into the structured
    id, as the proposed upstream fix does; with a pytest that still reads ``_nodeid``, xdist's
    own hook (which runs after this one) does the job and nothing is changed here.
    """
    try:
        from _pytest.nodeid import coerce_node_id  # noqa: PLC0415  # pytest >= 9.2 only
    except ImportError:
        return  # a pytest without structured ids: xdist's own suffix works there
    for item in items:
        if "_nodeid" in vars(item) or not hasattr(item, "_id") or "@" in item.nodeid.rpartition("]")[2]:
            continue
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if not names:
            continue
        try:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")
        except (ValueError, TypeError):
            return  # a pytest this shim does not know: leave the ids alone


def pytest_collection_finish(session: pytest.Session) -> None:
    # Remember the last test of each profile so an idle app can be stopped early. Under xdist a
    # worker does not know which tests it will get, so apps live until the session ends there.
    if hasattr(session.config, "workerinput"):
        return
    last: dict[str, str] = {}
    for item in session.items:
        if _uses_harness(item):
            last[_profile_of(item, session.config)] = item.nodeid
    session.config.stash[_last_use_key] = {nodeid: profile for profile, nodeid in last.items()}


def _attempt(action: Callable[[], object]) -> str | None:
    """Run ``action``; return a harness error's message instead of raising it.

    Lets callers fail the test *outside* the ``except`` block, so pytest shows the message alone,
    without a "during handling of the above exception" chain.
    """
    from harness.errors import HarnessError  # noqa: PLC0415 - see the module docstring

    try:
        action()
    except HarnessError as error:
        return f"harness: {error}"
    return None


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _harness_session(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The session's :class:`harness.Harness` behind every public fixture (see ``harness``)."""
    from harness.config import HarnessConfig, find_config  # noqa: PLC0415 - see the module docstring
    from harness.errors import ConcurrentRunError, ConfigError, HarnessError, UnsafePathError  # noqa: PLC0415
    from harness.files.claims import instance_name  # noqa: PLC0415
    from harness.orchestrator import Harness  # noqa: PLC0415

    config = request.config
    loaded = config.stash.get(_config_key, None)
    if loaded is None:  # nothing mentioned harness at configure time: the full search says why
        try:
            find_config(config.rootpath)
            loaded = ConfigError(str(config.rootpath), ["no configuration was loaded"])
        except ConfigError as error:
            loaded = error
    if not isinstance(loaded, HarnessConfig):
        pytest.fail(f"harness: {loaded}", pytrace=False)
    workerinput = getattr(config, "workerinput", None)
    worker = workerinput["workerid"] if workerinput else None
    session_harness = Harness(
        loaded,
        config.getoption("harness_profile"),
        keep_env=bool(config.getoption("harness_keep_env")),
        instance=instance_name(config.getoption("harness_instance"), worker),
    )
    try:
        session_harness.start_services()
        problem = None
    except (ConcurrentRunError, UnsafePathError) as error:
        # Every test would meet the same refusal: stop the session after this test, said once.
        request.session.shouldstop = f"harness stopped the session: {error}"
        problem = f"harness: {error}"
    except HarnessError as error:
        problem = f"harness: {error}"
    if problem:
        _attempt(session_harness.stop)
        pytest.fail(problem, pytrace=False)
    config.stash[_harness_key] = session_harness
    global _session_harness  # noqa: PLW0603 - one session per process; hooks without config need it
    _session_harness = session_harness
    try:
        yield session_harness
    finally:
        _session_harness = None
        del config.stash[_harness_key]
        problem = _attempt(session_harness.stop)
        if problem:
            pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def harness(_harness_session: Harness) -> Harness:
    """The session's :class:`harness.Harness`: mock services started, apps started on demand."""
    return _harness_session


@pytest.fixture
def harness_app(request: pytest.FixtureRequest, _harness_session: Harness) -> App:
    """The running app for this test's profile (``@pytest.mark.harness_profile``), started lazily."""
    from harness.errors import AppDiedError, HarnessError  # noqa: PLC0415 - see the module docstring

    profile = _profile_of(request.node, request.config)
    try:
        return _harness_session.app_for(profile)
    except AppDiedError as error:
        died = _died_in(request.config, _harness_session, profile)
        problem = f"harness: {error}" + (f'\n  it died during {died} (on_crash = "fail")' if died else "")
    except HarnessError as error:
        problem = f"harness: {error}"
    pytest.fail(problem, pytrace=False)  # outside `except`: no "during handling" noise


def _died_in(config: pytest.Config, session_harness: Harness, profile: str) -> str | None:
    app = session_harness.apps.get(profile)
    return config.stash.get(_deaths_key, {}).get(app.pid) if app else None


@pytest.fixture
def harness_app_url(harness_app: App) -> str:
    """Base URL of the app for this test's profile, e.g. ``http://127.0.0.1:40123``."""
    return harness_app.url


@pytest.fixture
def harness_services(_harness_session: Harness) -> dict[str, MockService]:
    """Mock services by name; each is a pytest-httpserver ``HTTPServer``."""
    return _harness_session.services


@pytest.fixture(autouse=True)
def _harness_test_scope(request: pytest.FixtureRequest) -> Iterator[None]:
    """Per-test isolation of the mocks, for tests that use the harness.

    Runs after every higher-scoped fixture (pytest sets those up first), so expectations they
    registered form the baseline; what the test itself adds is dropped afterwards.
    """
    if not _uses_harness(request.node):
        yield
        return
    session_harness: Harness = request.getfixturevalue(_SESSION_FIXTURE)
    item = request.node
    _blame_earlier_deaths(request.config, session_harness)
    item.stash[_harness_key] = session_harness
    item.stash[_log_offsets_key] = {profile: app.log_size() for profile, app in session_harness.apps.items()}
    for service in session_harness.services.values():
        service.begin_test()
    if session_harness.offline_guard is not None:
        session_harness.offline_guard.clear()
    yield
    for service in session_harness.services.values():
        service.end_test()
    last_user = request.config.stash.get(_last_user_key, {})
    for running in session_harness.apps.values():
        last_user[running.pid] = item.nodeid
    profile = request.config.stash.get(_last_use_key, {}).get(item.nodeid)
    if profile is not None:
        # In the background: the next tests need not wait for this app's shutdown. A process that
        # survives it is reported when the session's harness stops.
        session_harness.stop_app(profile, wait=False)


# -- strict requests and failure reports -----------------------------------------------------------


def _strict_problems(session_harness: Harness) -> str | None:
    parts: list[str] = []
    for name, service in session_harness.services.items():
        entries = service.requests
        unmatched = [entry for entry in entries if not entry.matched] if service.strict else []
        raised = [entry for entry in entries if entry.error]
        if unmatched:
            parts.append(_describe_unmatched(name, unmatched))
        if raised:
            listed = "\n".join(_indent(entry.describe()) for entry in raised)
            parts.append(f"a handler of service {name!r} raised while answering:\n{listed}")
    blocked = _blocked_hosts(session_harness)
    if blocked:
        parts.append(blocked)
    return "\n\n".join(parts) if parts else None


def _blocked_hosts(session_harness: Harness) -> str | None:
    guard = session_harness.offline_guard
    attempts = guard.attempts if guard is not None else []
    if not attempts:
        return None
    hosts = ", ".join(sorted({attempt.host for attempt in attempts}))
    listed = "\n".join(f"  {attempt.describe()}" for attempt in attempts)
    return (
        f"the app tried to reach {hosts}, which is not one of its mocks (blocked by the offline "
        f"guard):\n{listed}\n  fix: point it at a mock service ([tool.harness.services.<name>] env), "
        "or set offline_guard = false in [tool.harness]"
    )


def _describe_unmatched(name: str, unmatched: list[JournalEntry]) -> str:
    count = f"{len(unmatched)} request{'s' if len(unmatched) != 1 else ''}"
    listed = "\n".join(_indent(entry.describe()) for entry in unmatched)
    return (
        f"service {name!r} received {count} that no expectation matched (strict mode):\n{listed}\n"
        f"  fix: expect it with harness_services[{name!r}].expect_request(...), or set strict = false "
        f"in [tool.harness.services.{name}]"
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield  # a test that already failed keeps its own failure; the report shows what happened
    session_harness = item.stash.get(_harness_key, None)
    if session_harness is not None:
        problems = [_strict_problems(session_harness), _deaths(item, session_harness)]
        found = "\n\n".join(problem for problem in problems if problem)
        if found:
            pytest.fail(f"harness: {found}", pytrace=False)


def _blame_earlier_deaths(config: pytest.Config, session_harness: Harness) -> None:
    """An app found dead before a test starts died during (or just after) the last test that used
    it: record that, so the restart (or the on_crash = "fail" error) names the right test."""
    deaths = config.stash.get(_deaths_key, {})
    last_user = config.stash.get(_last_user_key, {})
    for app in session_harness.dead_apps():
        deaths.setdefault(app.pid, last_user.get(app.pid, "an earlier test"))


def _deaths(item: pytest.Item, session_harness: Harness) -> str | None:
    """Describe apps that died during this test (each reported once, to the test it died in)."""
    from harness.app import describe_exit  # noqa: PLC0415 - see the module docstring
    from harness.secrets import mask_lines, secret_values  # noqa: PLC0415

    deaths = item.config.stash.get(_deaths_key, {})
    parts = []
    for app in session_harness.dead_apps():
        if app.pid in deaths:
            continue
        deaths[app.pid] = item.nodeid
        code = app.exit_code
        tail = "\n".join(f"    | {line}" for line in mask_lines(app.log_tail(), secret_values(app.env)))
        tail = tail or "    (the log is empty)"
        parts.append(
            f"the app (profile {app.profile!r}, pid {app.pid}) died during this test: "
            f"{describe_exit(code if code is not None else 0)}\n  log: {app.log_path}\n"
            f"  last lines of its log:\n{tail}"
        )
    return "\n\n".join(parts) if parts else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    session_harness = item.stash.get(_harness_key, None)
    if session_harness is None or not report.failed or call.when == "teardown":
        return report
    from harness.secrets import mask_text, secret_values  # noqa: PLC0415 - see the module docstring

    # Every app's secret values, masked wherever they appear: a log line or a request body can
    # carry a key without its name.
    known = tuple(value for running in session_harness.apps.values() for value in secret_values(running.env))

    died = _deaths(item, session_harness)  # the test failed on its own; say if the app died too
    if died:
        report.sections.append(("harness: the app died during this test", died))
    blocked = _blocked_hosts(session_harness)
    if blocked:
        report.sections.append(("harness: blocked by the offline guard", blocked))
    offsets = item.stash.get(_log_offsets_key, {})
    for profile, running in session_harness.apps.items():
        text = mask_text(running.log_since(offsets.get(profile, 0)), known)
        report.sections.append(
            (
                f"harness: app log during this test (profile {profile}, {running.log_path})",
                text or "(the app wrote nothing during this test)",
            )
        )
    for name, service in session_harness.services.items():
        if call.when == "setup" and not service.requests and not service.rejected_requests:
            continue  # the set-up failed (an app's start): "no requests" would say nothing
        report.sections.append(
            (f"harness: requests received by service {name!r}", mask_text(service.describe_requests(), known))
        )
    # The environment is long and the same for every test of an app: shown in full once per app
    # instance (the first failing test's report), pointed to afterwards.
    shown = item.config.stash.setdefault(_env_shown_key, {})
    for profile, running in session_harness.apps.items():
        title = f"harness: environment harness gave the app (profile {profile}, secrets masked)"
        first = shown.setdefault(running.pid, item.nodeid)
        text = _describe_app_env(running) if first == item.nodeid else f"(shown in the report of {first})"
        report.sections.append((title, text))
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Ctrl-C or SIGTERM: stop the apps now (pytest formats its traceback before it tears the
    session down) and keep their log tails for the summary, since no test report will show them."""
    session_harness = _session_harness
    if session_harness is None:
        return
    from harness.secrets import secret_values  # noqa: PLC0415 - see the module docstring

    for profile, running in session_harness.apps.items():
        known = secret_values(running.env)
        _interrupted_logs.append((profile, str(running.log_path), running.log_tail(), known))
        _attempt(functools.partial(session_harness.stop_app, profile))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _interrupted_logs:
        return
    from harness.secrets import mask_lines  # noqa: PLC0415 - see the module docstring

    terminalreporter.section("harness: the run was interrupted; the apps were stopped")
    for profile, log_path, tail, known in _interrupted_logs:
        terminalreporter.write_line(f"app (profile {profile}) log: {log_path}, last lines:")
        for line in mask_lines(tail, known) or ["(the log is empty)"]:
            terminalreporter.write_line(f"  | {line}")
    _interrupted_logs.clear()


def _describe_app_env(running: App) -> str:
    """What harness set or removed, compared with the runner's own environment."""
    from harness.secrets import mask_env  # noqa: PLC0415 - see the module docstring

    changed = mask_env({k: v for k, v in running.env.items() if os.environ.get(k) != v})
    lines = [f"{name}={changed[name]}" for name in sorted(changed)]
    removed = sorted(name for name in os.environ if name not in running.env)
    if removed:
        lines.append(f"(removed from the inherited environment: {', '.join(removed)})")
    return "\n".join(lines)
