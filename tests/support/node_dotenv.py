"""Node's ``dotenv`` (npm), to read env files exactly as a Node app would.

It is installed at most once per machine into the user's cache (see :mod:`installs`) and reused by
later runs. Anything that makes it unusable -- no ``node``, no ``npm``, no network for the first
install -- raises :class:`NodeDotenvUnavailable`, whose message is the skip reason.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from .installs import cache_dir, npm_install, run_bounded

PACKAGE = "dotenv@16"
INSTALL_TIMEOUT = 120.0
READ_TIMEOUT = 60.0
#: Prints what dotenv's ``parse`` and ``config`` make of each file, as one JSON object.
READER = Path(__file__).with_name("node_dotenv_reader.js")


class NodeDotenvUnavailable(Exception):
    """Node's dotenv cannot be used on this machine; the message says why (a skip reason)."""


def _installed(cache: Path) -> Path | None:
    package = cache / "node_modules" / "dotenv"
    with contextlib.suppress(OSError, ValueError):
        version = str(json.loads((package / "package.json").read_text())["version"])
        if version.startswith("16.") and (package / "lib" / "main.js").is_file():
            return cache
    return None


def ensure_installed(cache: Path | None = None) -> Path:
    """The cache directory holding ``node_modules/dotenv`` (v16), installing it the first time."""
    if shutil.which("node") is None:
        raise NodeDotenvUnavailable("node is not installed (Node's dotenv is read with node)")
    return npm_install(
        PACKAGE,
        cache or cache_dir("node-dotenv"),
        _installed,
        timeout=INSTALL_TIMEOUT,
        unavailable=NodeDotenvUnavailable,
    )


def read(files: Sequence[Path], cache: Path) -> tuple[str, list[tuple[dict[str, str], dict[str, str]]]]:
    """(dotenv's version, for each file: (``dotenv.parse``, what ``dotenv.config`` sets))."""
    node = shutil.which("node")
    assert node is not None
    result = run_bounded([node, str(READER), str(cache), *map(str, files)], READ_TIMEOUT)
    assert result.returncode == 0, f"node failed ({result.returncode}): {result.stderr}"
    data = json.loads(result.stdout)
    return data["version"], [(entry["parsed"], entry["env"]) for entry in data["read"]]
