"""harness: functional tests of a real app process, with every downstream service mocked.

The core imports nothing from pytest; :mod:`harness.pytest_plugin` is a thin front over it.
"""

from harness.app import App
from harness.config import AppSettings, HarnessConfig, load_config
from harness.errors import (
    AppDiedError,
    AppExitedError,
    AppStartError,
    AppStartTimeoutError,
    CommandNotFoundError,
    ConfigError,
    HarnessError,
    PortInUseError,
    TeardownError,
)
from harness.mocks import JournalEntry, MockService
from harness.orchestrator import Harness

__all__ = [
    "App",
    "AppDiedError",
    "AppExitedError",
    "AppSettings",
    "AppStartError",
    "AppStartTimeoutError",
    "CommandNotFoundError",
    "ConfigError",
    "Harness",
    "HarnessConfig",
    "HarnessError",
    "JournalEntry",
    "MockService",
    "PortInUseError",
    "TeardownError",
    "load_config",
]
__version__ = "0.1.0"
