"""The chaos projects' conftest (tests/support/chaos.py): a proxy-free GET (web.py), a marker-file helper,
and a record of every process of the app (and its descendants) each test saw, as pid files beside
the app's own."""

import os
import time
from pathlib import Path

import psutil
import pytest
from web import http_get as get  # noqa: F401 - for the tests

CHAOS_DIR = Path(os.environ["CHAOS_DIR"])


def mark(name, text=None):
    (CHAOS_DIR / name).write_text(repr(time.time()) if text is None else str(text))


def gone(pid):
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(condition, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def _record_app_processes(request):
    if "harness_app" in request.fixturenames:
        app = request.getfixturevalue("harness_app")
        pids = CHAOS_DIR / "pids"
        for process in [psutil.Process(app.pid), *psutil.Process(app.pid).children(recursive=True)]:
            (pids / f"seen-{process.pid}").write_text(str(process.pid))
