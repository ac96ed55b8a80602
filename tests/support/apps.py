"""The programs the tests run as apps (tests/harness/apps), and asking them over HTTP."""

from __future__ import annotations

import re
import sys
import urllib.parse
from pathlib import Path

from .web import http_get

#: Apps and helper programs the tests start.
APPS = Path(__file__).resolve().parents[1] / "harness" / "apps"
#: The throwaway app most tests run; every behaviour is chosen through its environment.
TINY_APP = APPS / "tiny_app.py"
#: The app of the benchmarks (starts in tens of milliseconds); the leak test runs it 200 times.
TRIVIAL_APP = Path(__file__).resolve().parents[2] / "bench" / "apps" / "trivial_app.py"

__all__ = ["APPS", "TINY_APP", "TRIVIAL_APP", "app_env", "http_get", "tiny_app_command", "tiny_pids"]

_PID_LINE = re.compile(r"tiny_app pid=(\d+) starting")


def tiny_app_command() -> str:
    """A TOML array running the tiny app with this interpreter."""
    return f'["{sys.executable}", "{TINY_APP}"]'


def tiny_pids(text: str) -> list[int]:
    """Pids of the tiny apps whose "starting" line appears in ``text`` (a log or an error message)."""
    return [int(pid) for pid in _PID_LINE.findall(text)]


def app_env(app_url: str, name: str) -> str:
    """The value of ``name`` in the tiny app's environment (``<unset>`` if absent)."""
    status, body = http_get(f"{app_url}/env?name={urllib.parse.quote(name)}")
    assert status == 200, body
    return body
