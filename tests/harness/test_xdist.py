"""Under pytest-xdist every worker runs its own app, with its own env file and log."""

from __future__ import annotations

import json
import time

from tests.support.processes import project_processes
from tests.support.projects import project_files, run_pytest, tiny_project

#: Records, for each test, the worker, app and xdist groups it ran with (under ``records/``).
RECORDING_CONFTEST = project_files("xdist/conftest.py")

TESTS = "\n".join(f"def test_{n}(recorded):\n    assert recorded.is_alive()\n\n" for n in range(3))


def test_each_worker_runs_its_own_app(tmp_path):
    tiny_project(
        tmp_path,
        files={**RECORDING_CONFTEST, "test_first.py": TESTS, "test_second.py": TESTS},
    )

    started = time.time()
    result = run_pytest(tmp_path, "-n", "2", timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert not project_processes(tmp_path, started)
    records = [json.loads(path.read_text()) for path in (tmp_path / "records").glob("*.json")]
    assert len(records) == 6
    by_worker: dict[str, set[tuple[int, int, str]]] = {}
    for record in records:
        by_worker.setdefault(record["worker"], set()).add((record["pid"], record["port"], record["env_file"]))
    assert set(by_worker) == {"gw0", "gw1"}
    # One app per worker, started once and reused by all of that worker's tests.
    assert all(len(apps) == 1 for apps in by_worker.values()), by_worker
    [(pid0, port0, env0)], [(pid1, port1, env1)] = by_worker["gw0"], by_worker["gw1"]
    assert pid0 != pid1
    assert port0 != port1
    assert (env0, env1) == ("harness.gw0.env", "harness.gw1.env")
    logs = sorted(path.name for path in (tmp_path / ".harness" / "logs").iterdir())
    assert logs == ["default.gw0.log", "default.gw1.log"]
    assert not list((tmp_path / "env").glob("*.env"))  # both env files removed at the end


GROUPED_TESTS = """
import pytest

pytestmark = pytest.mark.harness_profile("other")

{tests}
"""


def test_loadgroup_runs_each_non_default_profile_on_one_worker(tmp_path):
    """With --dist loadgroup a profile's app starts once per run, not once per worker; the
    default profile's tests are still shared by every worker."""
    tiny_project(
        tmp_path,
        extra='[tool.harness.profiles.other]\nenv = { WHO = "other" }\n'
        '[tool.harness.profiles.mine]\nenv = { WHO = "mine" }\n',
        files={
            **RECORDING_CONFTEST,
            "test_default.py": "\n".join(
                f"def test_default_{n}(recorded):\n    assert recorded.is_alive()\n\n" for n in range(8)
            ),
            "test_other.py": GROUPED_TESTS.format(tests=TESTS),
            **project_files("xdist/test_mine.py"),
        },
    )

    started = time.time()
    result = run_pytest(tmp_path, "-n", "2", "--dist", "loadgroup", timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 passed" in result.stdout
    assert not project_processes(tmp_path, started)
    records = {path.stem: json.loads(path.read_text()) for path in (tmp_path / "records").glob("*.json")}
    other = [record for name, record in records.items() if "test_other" in name]
    assert len(other) == 3
    assert len({(record["worker"], record["pid"]) for record in other}) == 1, other  # one app, one worker
    assert all(record["groups"] == ["harness-profile-other"] for record in other), other
    # The default profile's tests are not grouped: free to run on any worker. (Which worker runs
    # them is xdist's choice: on a busy machine one worker may take them all.)
    default = [record for name, record in records.items() if "test_default" in name]
    assert len(default) == 8
    assert all(record["groups"] == [] for record in default), default


def test_without_xdist_no_group_mark_is_added(tmp_path):
    """xdist's mark is unregistered without xdist: adding it would break --strict-markers runs."""
    tiny_project(
        tmp_path,
        extra='[tool.harness.profiles.other]\nenv = { WHO = "other" }\n',
        files={
            "test_other.py": GROUPED_TESTS.format(
                tests="def test_unmarked(request, harness_app):\n"
                "    assert request.node.get_closest_marker('xdist_group') is None\n"
            )
        },
    )
    started = time.time()
    result = run_pytest(tmp_path, "-p", "no:xdist", "--strict-markers", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert not project_processes(tmp_path, started)
