"""Throwaway projects: their files (tests/harness/projects), their pyproject.toml, and pytest or
Python run in them in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from .apps import tiny_app_command

#: Files the tests copy into their throwaway projects: conftests, test modules, scripts.
PROJECTS = Path(__file__).resolve().parents[1] / "harness" / "projects"

#: tests/support/web.py, for projects whose tests GET without a proxy (``from web import http_get``).
WEB = {"web.py": Path(__file__).with_name("web.py").read_text()}

#: Variables of this run that an inner run must not inherit (its pytest and harness state).
RUN_STATE_PREFIXES = ("PYTEST_", "HARNESS_")


def project_file(path: str) -> str:
    """The text of ``path`` (relative to tests/harness/projects)."""
    return (PROJECTS / path).read_text()


def project_files(*paths: str) -> dict[str, str]:
    """``{name: text}`` for ``write_project``: each of ``paths`` (relative to tests/harness/projects)
    is a file, named by its own name, or a folder, whose files are named relative to it."""
    files = {}
    for path in paths:
        source = PROJECTS / path
        if source.is_file():
            files[source.name] = source.read_text()
            continue
        for found in sorted(source.rglob("*")):
            if found.is_file() and "__pycache__" not in found.parts:
                files[found.relative_to(source).as_posix()] = found.read_text()
    return files


def write_project(directory: Path, pyproject: str, files: dict[str, str] | None = None) -> Path:
    """Write ``pyproject.toml`` (dedented) and ``files`` under ``directory``; return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    for name, text in (files or {}).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return directory


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


def who_profiles(*names: str) -> str:
    """TOML for profiles ``names``, each telling its app who it is (``WHO = "<name>"``)."""
    return "".join(f'[tool.harness.profiles.{name}]\nenv = {{ WHO = "{name}" }}\n\n' for name in names)


def clean_env(scrub: tuple[str, ...] = RUN_STATE_PREFIXES, **extra: str) -> dict[str, str]:
    """This process's environment without the variables starting with ``scrub``, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(scrub)}, **extra}


def run_python(
    directory: Path, *args: str, timeout: float, scrub: tuple[str, ...] = RUN_STATE_PREFIXES
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args`` in ``directory``, without the variables starting with
    ``scrub``; output captured as text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=directory,
        env=clean_env(scrub),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_pytest(directory: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``directory`` in a fresh interpreter; the harness plugin loads by entry point."""
    return run_python(
        directory, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=timeout
    )
