"""Helpers shared by the harness's own integration tests (on top of ``support``)."""

from __future__ import annotations

import http.client
import json
import os
import re
import textwrap
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import psutil

from .support import harness_processes, tiny_app_command, write_project

_PID_LINE = re.compile(r"tiny_app pid=(\d+) starting")


def toml_table(values: Mapping[str, object]) -> str:
    """``values`` as the body of a TOML table (one ``KEY = value`` per line; JSON strings are TOML)."""
    return "\n".join(f"{key} = {json.dumps(value)}" for key, value in values.items())


def tiny_project(
    directory: Path,
    *,
    app: Mapping[str, object] | None = None,
    env: Mapping[str, object] | None = None,
    extra: str = "",
    files: dict[str, str] | None = None,
    command: str | None = None,
) -> Path:
    """Write a project running the tiny app; return the path of its pyproject.toml.

    ``app`` adds keys to ``[tool.harness]`` (health defaults to /health), ``env`` fills
    ``[tool.harness.env]`` and ``extra`` is appended verbatim (services, profiles).
    """
    keys = {"health": "/health", **(app or {})}
    text = (
        "[tool.harness]\n"
        f"command = {command or tiny_app_command()}\n"
        f"{toml_table(keys)}\n\n"
        f"[tool.harness.env]\n{toml_table(env or {})}\n\n"
        f"{textwrap.dedent(extra)}\n"
    )
    return write_project(directory, text, files) / "pyproject.toml"


def http_get(url: str, timeout: float = 10) -> tuple[int, str]:
    """GET ``url`` directly (never through a proxy from the environment); return (status, body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def app_env(app_url: str, name: str) -> str:
    """The value of ``name`` in the tiny app's environment (``<unset>`` if absent)."""
    status, body = http_get(f"{app_url}/env?name={urllib.parse.quote(name)}")
    assert status == 200, body
    return body


def tiny_pids(text: str) -> list[int]:
    """Pids of the tiny apps whose "starting" line appears in ``text`` (a log or an error message)."""
    return [int(pid) for pid in _PID_LINE.findall(text)]


def alive(pid: int) -> bool:
    """True if ``pid`` is a live process (a zombie counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def assert_gone(*pids: int) -> None:
    """Assert, without waiting, that none of ``pids`` is alive: harness returns only once they are."""
    survivors = [pid for pid in pids if alive(pid)]
    assert not survivors, f"still alive: {survivors}"


def project_processes(project: Path, since: float) -> list[int]:
    """Pids of live harness-marked processes (created at or after ``since``) of apps of ``project``.

    Scoped by the env file path every app (and what it starts) inherits, so harness processes of
    tests running in parallel elsewhere are not counted.
    """
    prefix = str(project.resolve()) + os.sep
    found = []
    for process in harness_processes(since):
        try:
            if process.environ().get("HARNESS_ENV_FILE", "").startswith(prefix):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found
