"""An app in another language needs nothing but a [tool.harness] table and a test file."""

from __future__ import annotations

import shutil
import time

import pytest

from .api_support import project_processes
from .support import run_pytest, write_project

NODE_APP = """
const http = require("http");

const port = Number(process.env.PORT);
const upstream = process.env.UPSTREAM_URL;

http
  .createServer((req, res) => {
    console.log(`node app ${req.method} ${req.url}`);
    if (req.url === "/health") {
      res.end("ok");
    } else if (req.url === "/proxy") {
      http
        .get(upstream + "/x", (answer) => {
          let body = "";
          answer.on("data", (chunk) => (body += chunk));
          answer.on("end", () => {
            res.writeHead(answer.statusCode);
            res.end(body);
          });
        })
        .on("error", (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
    } else {
      res.writeHead(404);
      res.end();
    }
  })
  .listen(port, "127.0.0.1", () => console.log(`node app listening on ${port}`));
"""

TEST_FILE = """
import http.client


def get(app_url, path):
    host, port = app_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_proxy_returns_the_primed_body(harness_app_url, harness_services):
    harness_services["up"].expect_request("/x", method="GET").respond_with_data("primed body")

    assert get(harness_app_url, "/proxy") == (200, "primed body")
    assert [entry.path for entry in harness_services["up"].requests] == ["/x"]
"""


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
        {"app.js": NODE_APP, "test_node.py": TEST_FILE},
    )

    started = time.time()
    result = run_pytest(tmp_path, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert not project_processes(tmp_path, started)
    log = (tmp_path / ".harness" / "logs" / "default.log").read_text()
    assert "node app listening on" in log
    assert "node app GET /proxy" in log
