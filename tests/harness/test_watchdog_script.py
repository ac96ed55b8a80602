"""The watchdog runs as a bare ``python -S`` script: it must stand on the standard library alone."""

from __future__ import annotations

import subprocess
import sys

from harness.appenv.app_env import MARKER_VARIABLE
from harness.process import watchdog


def test_the_marker_variable_matches_the_one_apps_carry():
    assert watchdog.MARKER_VARIABLE == MARKER_VARIABLE


def test_the_script_imports_nothing_outside_the_standard_library():
    # Under -S nothing from site-packages is importable; a clean "done" must exit 0 at once.
    result = subprocess.run(
        [sys.executable, "-S", watchdog.__file__],
        input=b"marker m\ndone\n",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
