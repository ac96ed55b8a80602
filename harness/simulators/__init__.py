"""Service simulators: Azure OpenAI, Azure AI Search and Azure AI Content Safety, and any a package
registers in the ``harness.simulators`` entry-point group.

Enable one on a service with ``simulator = "<kind>"`` in ``[tool.harness.services.<name>]`` (its
options in ``[tool.harness.services.<name>.options]``); tests reach it as
``services["<name>"].simulator``. See docs/simulators.md, which also shows how to write one.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.simulators.base import NextCalls, Simulator, SimulatorError, json_response
from harness.simulators.registry import GROUP, KindsView, Registration, SimulatorLoadError, SimulatorRegistry

#: The simulators of the ``harness.simulators`` entry-point group, and those registered at run time.
registry = SimulatorRegistry(GROUP)
_KINDS = KindsView(registry)

__all__ = [
    "GROUP",
    "NextCalls",
    "Registration",
    "Simulator",
    "SimulatorError",
    "SimulatorLoadError",
    "SimulatorRegistry",
    "create",
    "json_response",
    "kinds",
    "register",
    "registry",
    "simulator_class",
]


def kinds() -> list[str]:
    """The ``simulator`` values there are (installed distributions' and registered ones)."""
    return registry.kinds()


def register(kind: str, simulator: type[Simulator] | str) -> Registration:
    """Make ``simulator = "<kind>"`` select ``simulator`` (a class, or ``module:Class``) until the
    returned registration is undone, e.g. for one test: ``with register("echo", EchoSimulator): ...``.
    A package ships its simulator through the entry-point group instead (docs/simulators.md)."""
    return registry.register(kind, simulator)


def simulator_class(kind: str) -> type[Simulator]:
    """The class of simulator ``kind``; KeyError for an unknown kind, SimulatorLoadError (an
    ImportError) for one that cannot be imported."""
    return registry.load(kind)


def create(kind: str, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> Simulator:
    """A new simulator of ``kind`` with already validated ``options``."""
    return simulator_class(kind)(options, root=root)


def __getattr__(name: str) -> Any:
    if name == "KINDS":  # deprecated: the hard-coded dict the registry replaced
        warnings.warn(
            "harness.simulators.KINDS is deprecated and goes in the next release: use "
            "harness.simulators.kinds() to list the simulators and register() to add one (a package "
            'registers its own in the "harness.simulators" entry-point group)',
            DeprecationWarning,
            stacklevel=2,
        )
        return _KINDS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
