"""Node's ``dotenv`` (npm), to read env files exactly as a Node app would.

It is installed at most once per machine, into a user cache directory
(``$XDG_CACHE_HOME/harness-tests/node-dotenv``, by default ``~/.cache/...``), never into the
checkout, and reused by later runs. Concurrent installers (xdist workers, parallel runs) are
serialised by a file lock. Anything that makes it unusable -- no ``node``, no ``npm``, no network
for the first install -- raises :class:`NodeDotenvUnavailable`, whose message is the skip reason.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from . import user_cache

PACKAGE = "dotenv@16"
INSTALL_TIMEOUT = 120.0
READ_TIMEOUT = 60.0

#: Reads each file given as an argument twice -- ``parse`` and ``config`` into a fresh object (what
#: ``require('dotenv').config()`` does to ``process.env``) -- and prints one JSON list.
_READER = """
const dotenv = require(require('path').join(process.argv[1], 'node_modules', 'dotenv'));
const fs = require('fs');
const read = process.argv.slice(2).map((file) => {
  const env = {};
  const result = dotenv.config({ path: file, processEnv: env, override: true, quiet: true });
  if (result.error) throw result.error;
  return { parsed: dotenv.parse(fs.readFileSync(file)), env };
});
process.stdout.write(JSON.stringify({ version: require(require('path').join(process.argv[1],
  'node_modules', 'dotenv', 'package.json')).version, read }));
"""


class NodeDotenvUnavailable(Exception):
    """Node's dotenv cannot be used on this machine; the message says why (a skip reason)."""


def cache_dir() -> Path:
    return user_cache.cache_dir("node-dotenv")


def _installed(cache: Path) -> bool:
    package = cache / "node_modules" / "dotenv"
    with contextlib.suppress(OSError, ValueError):
        version = str(json.loads((package / "package.json").read_text())["version"])
        return version.startswith("16.") and (package / "lib" / "main.js").is_file()
    return False


def ensure_installed(cache: Path | None = None) -> Path:
    """The cache directory holding ``node_modules/dotenv`` (v16), installing it the first time."""
    cache = cache or cache_dir()
    if shutil.which("node") is None:
        raise NodeDotenvUnavailable("node is not installed (Node's dotenv is read with node)")
    if _installed(cache):
        return cache
    npm = shutil.which("npm")
    if npm is None:
        raise NodeDotenvUnavailable(f"npm is not installed and {PACKAGE} is not cached in {cache}")
    with user_cache.install_lock(cache):
        if _installed(cache):  # another process installed it while this one waited
            return cache
        command = [
            npm,
            "install",
            "--prefix",
            str(cache),
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            "--fetch-retries=1",
            "--fetch-retry-mintimeout=1000",
            "--fetch-retry-maxtimeout=5000",
            PACKAGE,
        ]
        try:
            result = user_cache.run_bounded(command, INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise NodeDotenvUnavailable(
                f"installing {PACKAGE} from npm took over {INSTALL_TIMEOUT:.0f} s (no network?)"
            ) from None
        except OSError as error:
            raise NodeDotenvUnavailable(f"could not run npm to install {PACKAGE}: {error}") from None
        if result.returncode != 0 or not _installed(cache):
            lines = [line.strip() for line in (result.stderr or result.stdout or "").splitlines()]
            tail = " | ".join(line for line in lines[:4] if line)
            raise NodeDotenvUnavailable(
                f"installing {PACKAGE} from npm into {cache} failed (exit {result.returncode}; "
                f"no network?): {tail or 'no output'}"
            )
    return cache


def read(files: Sequence[Path], cache: Path) -> tuple[str, list[tuple[dict[str, str], dict[str, str]]]]:
    """(dotenv's version, for each file: (``dotenv.parse``, what ``dotenv.config`` sets))."""
    node = shutil.which("node")
    assert node is not None
    result = user_cache.run_bounded([node, "-e", _READER, str(cache), *map(str, files)], READ_TIMEOUT)
    assert result.returncode == 0, f"node failed ({result.returncode}): {result.stderr}"
    data = json.loads(result.stdout)
    return data["version"], [(entry["parsed"], entry["env"]) for entry in data["read"]]
