"""One test's window on a run: isolation, the strict verdict, deaths, and what a report shows.

A test -- of pytest, unittest, or a script -- opens a window on the session's :class:`Harness`::

    with harness.test("test_checkout") as window:
        ...                      # the test: prime mocks, call the app
        window.check()           # raises TestProblem if the run saw something wrong

What the window does, the same for every front:

* **isolation**: each mock's expectations registered before the window are the baseline, what the
  test adds is dropped at its end, and the journal holds only this test's requests;
* **the verdict** (:meth:`TestWindow.problems`): requests no expectation matched (strict services),
  handlers that raised, hosts the offline guard blocked, apps that died during the window;
* **deaths**, attributed once each: an app found dead when a window opens died during (or right
  after) the last window that used it;
* **the report** (:meth:`TestWindow.report`): the app's log during the window, each mock's
  requests, the app's environment (once per app instance), deaths and blocked hosts -- secrets
  masked, the apps' own secret values included.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from harness.recording.windows import begin_recordings, end_recordings
from harness.secrets import mask_env, mask_lines, mask_text, secret_values

if TYPE_CHECKING:
    from harness.app import App
    from harness.mocks import JournalEntry, MockService
    from harness.run.offline import OfflineGuard


class Run(Protocol):
    """What a window needs of a run (:class:`harness.Harness` is one): its mocks and apps, and the
    bookkeeping of deaths and of what a report has shown. A protocol, so that this module does not
    import the orchestrator that imports it."""

    @property
    def services(self) -> Mapping[str, MockService]: ...
    @property
    def apps(self) -> Mapping[str, App]: ...
    @property
    def offline_guard(self) -> OfflineGuard | None: ...
    def start_services(self) -> None: ...
    def dead_apps(self) -> list[App]: ...
    def blame_earlier_deaths(self) -> None: ...
    def note_users(self, name: str) -> None: ...
    def attribute_death(self, app: App, name: str) -> bool: ...
    def environment_shown_in(self, app: App, name: str) -> str: ...


class TestProblem(AssertionError):
    """What a run saw wrong during a test (see :meth:`TestWindow.problems`); an AssertionError, so
    every test framework reports it as the test's failure."""

    __test__ = False  # not a test class, whatever pytest's collection rules say


class TestWindow:
    """See the module docstring. Made by :meth:`harness.Harness.test`."""

    __test__ = False

    def __init__(self, harness: Run, name: str) -> None:
        self.harness = harness
        self.name = name
        self._log_offsets: dict[str, int] = {}
        self._open = False
        #: The recording files this window wrote (record mode), once it has ended.
        self.recorded: list[Path] = []

    # -- the window -------------------------------------------------------------------------------

    def begin(self) -> TestWindow:
        """Open the window: expectations so far are the baseline, the journals start empty."""
        harness = self.harness
        harness.start_services()
        harness.blame_earlier_deaths()
        self._log_offsets = {profile: app.log_size() for profile, app in harness.apps.items()}
        # First: a recording that cannot be read (or, recording, written) stops the test before
        # anything of it began.
        begin_recordings(self.name, harness.services.values(), self._known_secrets())
        for service in harness.services.values():
            service.begin_test()
        if harness.offline_guard is not None:
            harness.offline_guard.clear()
        self._open = True
        return self

    def end(self) -> None:
        """Close the window: what the test added to the mocks is dropped (idempotent)."""
        if not self._open:
            return
        self._open = False
        services = self.harness.services
        try:
            self.recorded = end_recordings(self.name, services.values(), self._known_secrets())
        finally:
            for service in services.values():
                service.end_test()
            self.harness.note_users(self.name)

    def _known_secrets(self) -> tuple[str, ...]:
        """Every app's secret values, masked wherever they appear (a log line or a request body can
        carry a key without its name)."""
        return tuple(value for running in self.harness.apps.values() for value in secret_values(running.env))

    def __enter__(self) -> TestWindow:
        return self.begin()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end()

    # -- the verdict ------------------------------------------------------------------------------

    def problems(self) -> str | None:
        """Everything the run saw wrong during the window, one message, or None. Deaths are
        attributed to this window (once each: a later window does not report them again)."""
        parts: list[str] = []
        for name, service in self.harness.services.items():
            entries = service.requests
            unmatched = [entry for entry in entries if not entry.matched] if service.strict else []
            raised = [entry for entry in entries if entry.error]
            if unmatched:
                parts.append(_describe_unmatched(name, unmatched))
            broken = [entry for entry in entries if entry.violations]
            if broken:
                parts.append(_describe_violations(name, service, broken))
            if raised:
                listed = "\n".join(_indent(entry.describe()) for entry in raised)
                parts.append(f"a handler of service {name!r} raised while answering:\n{listed}")
        blocked = self.blocked_hosts()
        if blocked:
            parts.append(blocked)
        died = self.deaths()
        if died:
            parts.append(died)
        return "\n\n".join(parts) if parts else None

    def check(self) -> None:
        """Raise :class:`TestProblem` with :meth:`problems`, if there are any."""
        found = self.problems()
        if found:
            raise TestProblem(f"harness: {found}")

    def blocked_hosts(self) -> str | None:
        """The hosts the offline guard blocked during the window, and the fix."""
        guard = self.harness.offline_guard
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

    def deaths(self) -> str | None:
        """Apps that died during this window, with their exit status and log tail; each is reported
        once, to the window it died in."""
        from harness.app import describe_exit  # noqa: PLC0415 - harness.app imports the process layer

        parts = []
        for app in self.harness.dead_apps():
            if not self.harness.attribute_death(app, self.name):
                continue
            code = app.exit_code
            tail = "\n".join(f"    | {line}" for line in mask_lines(app.log_tail(), secret_values(app.env)))
            parts.append(
                f"the app (profile {app.profile!r}, pid {app.pid}) died during this test: "
                f"{describe_exit(code if code is not None else 0)}\n  log: {app.log_path}\n"
                f"  last lines of its log:\n{tail or '    (the log is empty)'}"
            )
        return "\n\n".join(parts) if parts else None

    # -- the report -------------------------------------------------------------------------------

    def report(self, *, setup: bool = False) -> list[tuple[str, str]]:
        """``(title, text)`` sections for a failed test's report. ``setup``: the failure came
        before the test ran (an app's start), where a mock without requests says nothing."""
        harness = self.harness
        known = self._known_secrets()
        sections: list[tuple[str, str]] = []
        died = self.deaths()  # the test failed on its own; say if the app died too
        if died:
            sections.append(("harness: the app died during this test", died))
        blocked = self.blocked_hosts()
        if blocked:
            sections.append(("harness: blocked by the offline guard", blocked))
        for profile, running in harness.apps.items():
            text = mask_text(running.log_since(self._log_offsets.get(profile, 0)), known)
            sections.append(
                (
                    f"harness: app log during this test (profile {profile}, {running.log_path})",
                    text or "(the app wrote nothing during this test)",
                )
            )
        for name, service in harness.services.items():
            if setup and not service.requests and not service.rejected_requests:
                continue
            sections.append(
                (
                    f"harness: requests received by service {name!r}",
                    mask_text(service.describe_requests(), known),
                )
            )
        # The environment is long and the same for every test of an app: shown in full once per app
        # instance (the first report that has it), pointed to afterwards.
        for profile, running in harness.apps.items():
            title = f"harness: environment harness gave the app (profile {profile}, secrets masked)"
            first = harness.environment_shown_in(running, self.name)
            text = describe_app_env(running) if first == self.name else f"(shown in the report of {first})"
            sections.append((title, text))
        return sections


def describe_app_env(running: App) -> str:
    """What harness set or removed, compared with the runner's own environment, secrets masked."""
    changed = mask_env({k: v for k, v in running.env.items() if os.environ.get(k) != v})
    lines = [f"{name}={changed[name]}" for name in sorted(changed)]
    removed = sorted(name for name in os.environ if name not in running.env)
    if removed:
        lines.append(f"(removed from the inherited environment: {', '.join(removed)})")
    return "\n".join(lines)


def _describe_unmatched(name: str, unmatched: list[JournalEntry]) -> str:
    count = f"{len(unmatched)} request{'s' if len(unmatched) != 1 else ''}"
    listed = "\n".join(_indent(entry.describe()) for entry in unmatched)
    return (
        f"service {name!r} received {count} that no expectation matched (strict mode):\n{listed}\n"
        f"  fix: expect it with harness_services[{name!r}].expect_request(...), or set strict = false "
        f"in [tool.harness.services.{name}]"
    )


def _describe_violations(name: str, service: MockService, broken: list[JournalEntry]) -> str:
    count = f"{len(broken)} request{'s' if len(broken) != 1 else ''}"
    listed = "\n".join(_indent(entry.describe()) for entry in broken)
    return (
        f"service {name!r} saw {count} (or answers) that break its OpenAPI contract:\n{listed}\n"
        "  fix: make the app send what the document allows, and prime answers the real service could "
        f"send; or set openapi_validate in [tool.harness.services.{name}] (docs/openapi.md)"
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
