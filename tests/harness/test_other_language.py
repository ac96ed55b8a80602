"""An app in another language needs nothing but a [tool.harness] table and a test file."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.support.processes import project_processes
from tests.support.projects import project_files, run_pytest, write_project


def test_node_app(tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    write_project(
        tmp_path,
        """
        [tool.harness]
        command = ["node", "app.js"]
        health = "/health"
        startup_timeout = 20

        [tool.harness.services.up]
        env = { UPSTREAM_URL = "{url}" }
        """,
        project_files("node_app"),
    )

    started = time.time()
    result = run_pytest(tmp_path, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert not project_processes(tmp_path, started)
    log = (tmp_path / ".harness" / "logs" / "default.log").read_text()
    assert "node app listening on" in log
    assert "node app GET /proxy" in log
