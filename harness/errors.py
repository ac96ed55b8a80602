"""Every error harness raises on purpose.

Each one carries a complete, user-facing message: what went wrong, where, and how to fix it.
Fronts (pytest plugin, CLI) print ``str(error)`` as is, without a traceback of harness code.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class of every error harness raises on purpose."""


class ConfigError(HarnessError):
    """The ``[tool.harness]`` configuration is missing or invalid.

    ``problems`` lists each problem on its own; the message joins them, so a user fixes all of
    them in one pass instead of one per run.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"invalid harness configuration in {source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {problem}" for problem in self.problems)
            message = f"invalid harness configuration in {source} ({len(self.problems)} problems):\n{lines}"
        super().__init__(message)


class AppStartError(HarnessError):
    """The app could not be launched, or did not become ready."""


class CommandNotFoundError(AppStartError):
    """The app's command does not exist or is not executable."""


class PortInUseError(AppStartError):
    """A fixed port from the configuration is already taken."""


class AppExitedError(AppStartError):
    """The app process exited before it became ready (exit code 0 included)."""


class AppStartTimeoutError(AppStartError):
    """The app stayed alive but never answered its health check in time."""


class AppDiedError(HarnessError):
    """The app was ready once, but has since exited."""


class TeardownError(HarnessError):
    """Processes survived teardown (should never happen; the message lists them)."""
