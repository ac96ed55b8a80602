"""harness: functional tests of a real app process, with every downstream service mocked.

The core imports nothing from pytest; :mod:`harness.pytest_plugin` is a thin front over it.
Names are imported on first use (PEP 562), so ``import harness`` -- and the small helper processes
that live in this package, like the watchdog -- stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness import faults
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
    from harness.mocks import ExpectationHandler, JournalEntry, MockService
    from harness.orchestrator import Harness

_WHERE = {
    "App": "harness.app",
    "AppSettings": "harness.config",
    "HarnessConfig": "harness.config",
    "load_config": "harness.config",
    "AppDiedError": "harness.errors",
    "AppExitedError": "harness.errors",
    "AppStartError": "harness.errors",
    "AppStartTimeoutError": "harness.errors",
    "CommandNotFoundError": "harness.errors",
    "ConfigError": "harness.errors",
    "HarnessError": "harness.errors",
    "PortInUseError": "harness.errors",
    "TeardownError": "harness.errors",
    "ExpectationHandler": "harness.mocks",
    "JournalEntry": "harness.mocks",
    "MockService": "harness.mocks",
    "Harness": "harness.orchestrator",
}

__all__ = [
    "App",
    "AppDiedError",
    "AppExitedError",
    "AppSettings",
    "AppStartError",
    "AppStartTimeoutError",
    "CommandNotFoundError",
    "ConfigError",
    "ExpectationHandler",
    "Harness",
    "HarnessConfig",
    "HarnessError",
    "JournalEntry",
    "MockService",
    "PortInUseError",
    "TeardownError",
    "faults",
    "load_config",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "faults":
        return importlib.import_module("harness.faults")
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
