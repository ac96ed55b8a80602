"""The Azure AI Search simulator (``simulator = "azure_search"``); see docs/simulators/azure_search.md."""

from harness.simulators.azure_search.simulator import OPERATIONS, AzureSearchSimulator

__all__ = ["OPERATIONS", "AzureSearchSimulator"]
