"""Every error harness raises on purpose.

Each one carries a complete, user-facing message: what went wrong, where, and how to fix it.
Fronts (pytest plugin, CLI) print ``str(error)`` as is, without a traceback of harness code.
"""

from __future__ import annotations

from harness.secrets import mask_text


class HarnessError(Exception):
    """Base class of every error harness raises on purpose.

    Its message is masked when the error is made (:func:`harness.secrets.mask_text`), so no front,
    log or traceback can show a secret a message quotes: a command line, a log tail, a process
    list, a configured value.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(mask_text(arg) if isinstance(arg, str) else arg for arg in args))


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


class UnsafePathError(HarnessError):
    """harness refused to write (or remove) a path: it lies outside the project, is reached through
    a link, is a directory, or holds a file that harness did not write."""


class ConcurrentRunError(HarnessError):
    """Another harness run in the same checkout holds something this run needs for itself."""
