"""pytest front for harness: options, the ``harness_profile`` marker, fixtures, and hooks that map
pytest's lifecycle onto the core -- :class:`harness.Harness` for the session and one
:class:`harness.window.TestWindow` per test (isolation, the strict verdict, deaths, report sections).

Registered through the ``pytest11`` entry point, so installing harness is enough. It is loaded into
every pytest run of every environment harness is installed in, most of which never use it: so it
imports nothing of harness at load, and a run whose pyproject.toml files do not mention harness
loads nothing at all (docs/benchmarks.md: the plugin's cost where unused).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness import pytest_support

if TYPE_CHECKING:
    from harness.app import App
    from harness.config import HarnessConfig
    from harness.errors import HarnessError
    from harness.mocks import MockService
    from harness.orchestrator import Harness
    from harness.window import TestWindow

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
_window_key: pytest.StashKey[TestWindow] = pytest.StashKey()
_last_use_key = pytest.StashKey["dict[str, str]"]()
_profiles_key: pytest.StashKey[list[str]] = pytest.StashKey()

#: The session's harness, for the hooks that get no config (pytest_keyboard_interrupt).
_session_harness: Harness | None = None
#: (profile, log path, last lines masked) of each app, kept when the run is interrupted.
_interrupted_logs: list[tuple[str, str, list[str]]] = []


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
        "--harness-record",
        action="store_true",
        default=False,
        help="record mode: services with an upstream forward what no expectation matches to the real "
        "service and write each test's exchanges to its recordings folder (docs/record-replay.md)",
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
    if not explicit and not pytest_support.may_hold_a_table(config.rootpath):
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
    pytest_support.handle_sigterm_like_ctrl_c(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    pytest_support.restore_sigterm(config)


def _uses_harness(item: pytest.Item | pytest.Collector, fixture: str = _SESSION_FIXTURE) -> bool:
    """Whether ``item``'s fixture closure holds harness's own ``fixture`` (by default its session
    fixture, which every public one uses): decided by the definition pytest resolved, never by a
    fixture's name alone."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {}).get(fixture) if info else None
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


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    loaded = config.stash.get(_config_key, None)
    if loaded is None:
        return  # no configuration: a test asking for harness is told so at its set-up
    from harness.config import HarnessConfig  # noqa: PLC0415 - see the module docstring

    profiles = {item: _profile_of(item, config) for item in items if _uses_harness(item)}
    if not profiles:
        return
    if not isinstance(loaded, HarnessConfig):  # broken, and a selected test needs it: said once, now
        names = [item.nodeid for item in profiles]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise pytest.UsageError(f"harness: {loaded}\n  (needed by {shown})")
    users: dict[str, list[str]] = {}
    for item, profile in profiles.items():
        users.setdefault(profile, []).append(item.nodeid)
    unknown = loaded.unknown_profiles(users)  # before any app starts, with a suggestion
    if unknown:
        raise pytest.UsageError(f"harness: {unknown}")
    if any(service.contract for service in loaded.services.values()):
        from harness.mocks.contracts import document_problems  # noqa: PLC0415 - see the module docstring

        unreadable = document_problems(loaded)  # a broken OpenAPI document is configuration too
        if unreadable:
            raise pytest.UsageError("harness: " + "\n".join(unreadable))
    if config.pluginmanager.hasplugin("xdist"):  # the mark is xdist's: unregistered without it
        pytest_support.group_profiles(
            items, profiles, str(config.getoption("harness_profile") or DEFAULT_PROFILE)
        )
        if getattr(config.option, "loadgroup", False):
            pytest_support.restore_loadgroup(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    # Remember each profile's first and last test: its app starts ahead (in the order of first
    # use) and stops after its last. Under xdist a worker does not know which tests it will get:
    # its apps start ahead as its tests are handed to it (_start_handed_profiles_ahead), and live
    # until the session ends.
    if hasattr(session.config, "workerinput"):
        return
    last: dict[str, str] = {}
    starts: dict[str, None] = {}  # the profiles whose app a test needs, in the order of first need
    for item in session.items:
        if _uses_harness(item):
            profile = _profile_of(item, session.config)
            last[profile] = item.nodeid
            if _uses_harness(item, "harness_app"):
                starts.setdefault(profile)
    session.config.stash[_profiles_key] = list(starts)
    session.config.stash[_last_use_key] = {nodeid: profile for profile, nodeid in last.items()}


def _attempt(action: Callable[[], object]) -> str | None:
    """Run ``action``; return a harness error's message instead of raising it, so that callers fail
    the test *outside* the ``except`` block (no "during handling of the above exception" chain)."""
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
    refusal: str | None = None
    try:
        session_harness = Harness(
            loaded,
            config.getoption("harness_profile"),
            keep_env=bool(config.getoption("harness_keep_env")),
            instance=instance_name(
                config.getoption("harness_instance"), workerinput and workerinput["workerid"]
            ),
            record=bool(config.getoption("harness_record")),
        )
    except HarnessError as error:  # every test would meet it: one message, and the session stops
        request.session.shouldstop = f"harness stopped the session: {error}"
        refusal = str(error)
    if refusal is not None:
        pytest.fail(f"harness: {refusal}", pytrace=False)
    problem, refused = None, False
    try:
        session_harness.start_services()
    except HarnessError as error:
        problem = str(error)
        refused = isinstance(error, (ConcurrentRunError, UnsafePathError))
    if problem:
        _attempt(session_harness.stop)
        if refused:  # every test would meet the same refusal: stop the session after this test
            request.session.shouldstop = f"harness stopped the session: {problem}"
        pytest.fail(f"harness: {problem}", pytrace=False)  # outside `except`: no chained noise
    config.stash[_harness_key] = session_harness
    ahead: list[str] = config.stash.get(_profiles_key, [])
    session_harness.start_ahead(ahead)
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
        died = _harness_session.died_during(profile)
        problem = f"harness: {error}" + (f'\n  it died during {died} (on_crash = "fail")' if died else "")
    except HarnessError as error:
        problem = f"harness: {error}"
    pytest.fail(problem, pytrace=False)  # outside `except`: no "during handling" noise


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
    """The test's window on the session's harness (:meth:`harness.Harness.test`), for tests that use
    it. Opened after every higher-scoped fixture (pytest sets those up first), so expectations they
    registered form the baseline; what the test itself adds is dropped afterwards."""
    if not _uses_harness(request.node):
        yield
        return
    from harness.errors import HarnessError  # noqa: PLC0415 - see the module docstring

    session_harness: Harness = request.getfixturevalue(_SESSION_FIXTURE)
    item = request.node
    _start_handed_profiles_ahead(session_harness, item)
    failure = None
    try:
        with session_harness.test(item.nodeid) as window:
            item.stash[_window_key] = window
            yield
    except HarnessError as error:  # a recording that cannot be read, or may not be written
        failure = str(error)
    if failure is not None:
        pytest.fail(f"harness: {failure}", pytrace=False)
    profile = request.config.stash.get(_last_use_key, {}).get(item.nodeid)
    if profile is not None:
        # In the background: the next tests need not wait for this app's shutdown. A process that
        # survives it is reported when the session's harness stops.
        session_harness.stop_app(profile, wait=False)


def _start_handed_profiles_ahead(session_harness: Harness, item: pytest.Item) -> None:
    """Under xdist: start ahead the apps of the tests this worker has been handed (this one's
    first). The controller's collection order is no guide there (the worker runs only some
    tests), so the worker looks again at each test, when more may have been handed to it."""
    handed = pytest_support.xdist_handed_tests(item.config)
    if not handed:
        return
    items = item.session.items
    profiles: dict[str, None] = {}
    for node in (item, *(items[index] for index in handed if index < len(items))):
        if _uses_harness(node, "harness_app"):
            profiles.setdefault(_profile_of(node, item.config))
    session_harness.start_ahead(list(profiles))


# -- the verdict and the report ------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield  # a test that already failed keeps its own failure; the report shows what happened
    window = item.stash.get(_window_key, None)
    found = window.problems() if window is not None else None
    if found:
        pytest.fail(f"harness: {found}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    window = item.stash.get(_window_key, None)
    if window is not None and report.failed and call.when != "teardown":
        report.sections.extend(window.report(setup=call.when == "setup"))
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Ctrl-C or SIGTERM: stop the apps now (pytest formats its traceback before it tears the
    session down) and keep their log tails for the summary, since no test report will show them."""
    if _session_harness is not None:
        _interrupted_logs.extend(_session_harness.interrupt())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _interrupted_logs:
        return
    terminalreporter.section("harness: the run was interrupted; the apps were stopped")
    for profile, log_path, tail in _interrupted_logs:
        terminalreporter.write_line(f"app (profile {profile}) log: {log_path}, last lines:")
        for line in tail or ["(the log is empty)"]:
            terminalreporter.write_line(f"  | {line}")
    _interrupted_logs.clear()
