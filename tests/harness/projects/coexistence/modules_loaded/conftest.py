"""Prints which modules of harness the run loaded (test_coexistence.py: the plugin's alone, where unused)."""

import sys


def pytest_sessionfinish(session):
    loaded = sorted(name for name in sys.modules if name == "harness" or name.startswith("harness."))
    print("HARNESS MODULES:", loaded)
