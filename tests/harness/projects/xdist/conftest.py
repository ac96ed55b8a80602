"""Records, for each test, the xdist worker, the app (pid, port, env file) and the xdist groups it ran
with, under ``records/`` (test_xdist.py)."""

import json
import os
from pathlib import Path

import pytest

RECORDS = Path(__file__).parent / "records"
GROUP = "xdist_group"


@pytest.fixture
def recorded(request, harness, harness_app):
    assert harness_app.env_file.is_file()  # written before the app started, present while it runs
    RECORDS.mkdir(exist_ok=True)
    record = {
        "worker": os.environ["PYTEST_XDIST_WORKER"],
        "pid": harness_app.pid,
        "port": harness_app.port,
        "env_file": harness_app.env_file.name,
        "groups": [m.args[0] if m.args else m.kwargs["name"] for m in request.node.iter_markers(GROUP)],
    }
    name = request.node.nodeid.replace("/", "_").replace(":", "_")
    (RECORDS / f"{name}.json").write_text(json.dumps(record))
    return harness_app
