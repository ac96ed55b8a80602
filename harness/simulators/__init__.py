"""Service simulators: Azure OpenAI, Azure AI Search and Azure AI Content Safety.

Enable one on a service with ``simulator = "<kind>"`` in ``[tool.harness.services.<name>]`` (its
options in ``[tool.harness.services.<name>.options]``); tests reach it as
``services["<name>"].simulator``. See docs/simulators.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.simulators.base import Simulator, SimulatorError, json_response

#: ``simulator`` values and the class behind each (imported only when used: start-up stays cheap).
KINDS: dict[str, str] = {
    "azure_openai": "harness.simulators.azure_openai:AzureOpenAISimulator",
    "azure_search": "harness.simulators.azure_search:AzureSearchSimulator",
    "azure_content_safety": "harness.simulators.content_safety:ContentSafetySimulator",
}

__all__ = ["KINDS", "Simulator", "SimulatorError", "create", "json_response", "simulator_class"]


def simulator_class(kind: str) -> type[Simulator]:
    """The class of simulator ``kind``; KeyError for an unknown kind."""
    module_name, _, class_name = KINDS[kind].partition(":")
    cls: type[Simulator] = getattr(importlib.import_module(module_name), class_name)
    return cls


def create(kind: str, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> Simulator:
    """A new simulator of ``kind`` with already validated ``options``."""
    return simulator_class(kind)(options, root=root)
