"""Figures for "nothing of yours is touched" (docs/reliability.md).

    python bench/do_no_harm.py decoys [--configs 500] [--seed 1]
        Random configurations (env_file, log_dir, env_file_fixed, allow_writes_outside_project aimed
        at a tree of decoy files, as tests/support/decoys.py builds it), each run for real with
        the tiny app in a fresh tree: how many ran, how many were refused, how many decoys changed,
        how many files were left that harness may not leave, and any exception other than a
        HarnessError.

    python bench/do_no_harm.py concurrent [--runs 9]
        Two runs in one checkout, interleaved: how long the second run's start_services() takes to
        be refused when the first holds a fixed env file (env_file_fixed = true), and how long
        start_services() plus the app's start take for a second run beside a live first one, against
        the same for a run alone. Medians of --runs.

The first run of each pair lives in a separate process (python -c with the Python API), as a
second terminal would.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401 - the checkout on sys.path

from harness import Harness
from harness.errors import ConcurrentRunError
from tests.support.apps import TINY_APP
from tests.support.decoys import AIMED, LOG_DIRS, run_in_fresh_tree


def random_keys(rng: random.Random) -> dict[str, object]:
    keys: dict[str, object] = {}
    if rng.random() < 0.8:
        if rng.random() < 0.6:
            keys["env_file"] = rng.choice(AIMED)
        else:
            parts = ["env", "..", ".", "linkdir", "afile", "x.env", "dir.env"]
            keys["env_file"] = "/".join(rng.choice(parts) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.3:
            keys["env_file"] = f"ABS:{keys['env_file']}"
    if rng.random() < 0.5:
        keys["log_dir"] = rng.choice(LOG_DIRS)
    if rng.random() < 0.5:
        keys["allow_writes_outside_project"] = rng.random() < 0.5
    if rng.random() < 0.3:
        keys["env_file_fixed"] = rng.random() < 0.5
    return keys


def decoys(configs: int, seed: int) -> None:
    rng = random.Random(seed)
    ran = refused = changed = left = other = 0
    started = time.perf_counter()
    for _ in range(configs):
        keys = random_keys(rng)
        try:
            changed_paths, left_paths, ended = run_in_fresh_tree(keys)
        except Exception as error:  # counted: a traceback a user would see
            other += 1
            print(f"  not a HarnessError for {keys}: {type(error).__name__}: {error}")
            continue
        ran += ended == "ran"
        refused += ended.startswith("refused")
        changed += len(changed_paths)
        left += len(left_paths)
    seconds = time.perf_counter() - started
    print(f"configurations: {configs} (seed {seed}) in {seconds:.1f} s: ran {ran}, refused {refused}")
    print(
        f"decoys changed: {changed}; files left that harness may not leave: {left}; other exceptions: {other}"
    )


HOLDER = """
import sys, time
from harness import Harness
with Harness.from_pyproject(sys.argv[1]) as h:
    h.app
    print("ready", flush=True)
    sys.stdin.readline()
"""


def _project(base: Path, fixed: bool) -> Path:
    pyproject = base / "pyproject.toml"
    pyproject.write_text(
        f'[tool.harness]\ncommand = ["{sys.executable}", "{TINY_APP}"]\nhealth = "/health"\n'
        f'env_file = "env/functional.env"\nenv_file_fixed = {"true" if fixed else "false"}\n'
        '[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n'
    )
    return pyproject


def _second_run(pyproject: Path) -> tuple[float, str]:
    """Seconds for a second run's start_services() and app start (or its refusal), and how it ended."""
    second = Harness.from_pyproject(pyproject)
    began = time.perf_counter()
    try:
        second.start_services()
        second.app  # noqa: B018 - starts the app
        ended = "ran"
    except ConcurrentRunError:
        ended = "refused"
    seconds = time.perf_counter() - began
    second.stop()
    return seconds, ended


def concurrent(runs: int) -> None:
    figures: dict[str, list[float]] = {"refused (fixed env file)": [], "beside a live run": [], "alone": []}
    for _ in range(runs):
        for label, fixed, holder in [
            ("refused (fixed env file)", True, True),
            ("beside a live run", False, True),
            ("alone", False, False),
        ]:
            base = Path(tempfile.mkdtemp(prefix="harness-bench-runs-"))
            pyproject = _project(base, fixed)
            first = None
            try:
                if holder:
                    first = subprocess.Popen(
                        [sys.executable, "-c", HOLDER, str(pyproject)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                        cwd=base,
                    )
                    assert first.stdout is not None
                    assert first.stdout.readline().strip() == "ready"
                seconds, ended = _second_run(pyproject)
                expected = "refused" if fixed else "ran"
                assert ended == expected, (label, ended)
                figures[label].append(seconds)
            finally:
                if first is not None:
                    first.communicate("\n", timeout=60)
                shutil.rmtree(base, ignore_errors=True)
    for label, values in figures.items():
        median, slowest = statistics.median(values) * 1000, max(values) * 1000
        print(f"{label:>26}: median {median:7.1f} ms, max {slowest:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    decoy_parser = commands.add_parser("decoys")
    decoy_parser.add_argument("--configs", type=int, default=500)
    decoy_parser.add_argument("--seed", type=int, default=1)
    concurrent_parser = commands.add_parser("concurrent")
    concurrent_parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    os.environ.pop("HARNESS_INSTANCE", None)
    if args.command == "decoys":
        decoys(args.configs, args.seed)
    else:
        concurrent(args.runs)


if __name__ == "__main__":
    main()
