"""Which simulator modules reading a configuration imports (test_sim_registry.py): prints a JSON
list of the ``harness.simulators`` modules loaded after a configuration without simulators, then
after one naming ``azure_search``."""

import json
import sys
from pathlib import Path

from harness.config import parse_table

parse_table({"command": ["app"], "services": {"plain": {}}}, Path("/p/pyproject.toml"))
plain = sorted(name for name in sys.modules if name.startswith("harness.simulators"))
parse_table(
    {"command": ["app"], "services": {"search": {"simulator": "azure_search"}}}, Path("/p/pyproject.toml")
)
named = sorted(name for name in sys.modules if name.startswith("harness.simulators."))
print(json.dumps([plain, named]))
