"""The sharding recipe of docs/ci.md: the functional suite split across machines with pytest-split,
each shard self-contained. Here two shards run side by side in one checkout (a copy of this
repository's functional suite and sample app), as two CI machines would, but sharing a disk."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import LEAK_TOKEN_VARIABLE, harness_processes
from tests.support.projects import clean_env

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 2


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The functional suite, the sample app, the configuration and its documents, copied: a checkout
    of its own."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy)
    (copy / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "__init__.py", copy / "tests")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "tests" / "functional", copy / "tests" / "functional", ignore=ignore)
    shutil.copytree(ROOT / "sample_app", copy / "sample_app", ignore=ignore)
    # The published OpenAPI documents the configuration holds two services to.
    shutil.copytree(ROOT / "tests" / "data" / "openapi", copy / "tests" / "data" / "openapi")
    return copy


def pytest_in(checkout: Path, *args: str, instance: str | None = None) -> subprocess.Popen[str]:
    env = clean_env(**({"HARNESS_INSTANCE": instance} if instance else {}))  # the matrix's, per shard
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def outcomes(output: str) -> dict[str, str]:
    return dict(
        (nodeid, outcome)
        for outcome, nodeid in re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", output, re.MULTILINE)
    )


def first_line(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        return handle.readline()


def test_two_shards_side_by_side_run_the_whole_suite_and_share_no_file(checkout: Path) -> None:
    collected = pytest_in(checkout, "tests/functional", "--collect-only", "-q").communicate(timeout=120)[0]
    suite = set(re.findall(r"^(tests/functional/\S+::\S+)$", collected, re.MULTILINE))
    assert len(suite) > 10, collected
    started = time.time()

    shards = [
        pytest_in(
            checkout,
            "tests/functional",
            "-rA",
            "--splits",
            str(SHARDS),
            "--group",
            str(group),
            "--harness-keep-env",  # kept, so that what each shard wrote can be compared afterwards
            instance=f"shard-{group}",
        )
        for group in range(1, SHARDS + 1)
    ]
    outputs = [shard.communicate(timeout=300)[0] for shard in shards]

    ran = [outcomes(output) for output in outputs]
    for shard, output, results in zip(shards, outputs, ran, strict=True):
        assert shard.returncode == 0, output
        assert results, output
        assert set(results.values()) == {"PASSED"}, output
    assert set(ran[0]) | set(ran[1]) == suite  # the union is the whole suite ...
    assert not set(ran[0]) & set(ran[1])  # ... and no test ran twice
    assert harness_processes(started, os.environ[LEAK_TOKEN_VARIABLE]) == []

    # Every file a shard wrote carries its name and its run's mark; no file is both shards'.
    written = {
        group: sorted(
            [
                *(checkout / "env").glob(f"*.shard-{group}*"),
                *(checkout / ".harness" / "logs").glob(f"*.shard-{group}*"),
            ]
        )
        for group in range(1, SHARDS + 1)
    }
    for group, files in written.items():
        assert files, f"shard {group} wrote nothing that carries its name"
    markers = {
        group: {re.match(r"# harness run (\S+)", first_line(path))[1] for path in files}  # type: ignore[index]
        for group, files in written.items()
    }
    assert all(len(found) == 1 for found in markers.values()), markers  # each shard is one run
    assert markers[1] != markers[2]
    assert not set(written[1]) & set(written[2])
    unnamed = [path.name for path in (checkout / "env").glob("*.env") if ".shard-" not in path.name]
    assert unnamed == [], unnamed  # nothing written under a name that is not a shard's own
