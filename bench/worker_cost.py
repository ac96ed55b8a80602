"""What every pytest-xdist worker pays before its first test can run, phase by phase: the fixed cost
that a second worker adds to a run.

Usage: python bench/worker_cost.py [--runs R] [--project DIR]

Each run is a fresh Python process that does what a worker's first harness test does, through the
Python API the plugin calls, on the project's ``[tool.harness]`` (default: this checkout, whose
functional suite runs the sample app), and times each phase (wall and this process's CPU):

- ``import``: importing harness's library (the plugin loads it at the first test that uses it);
- ``plan``: ``Harness.from_pyproject``: the config read, every mock service made, and the run's
  certificate authority (trustme: a CA key and certificate, one server certificate) when a service
  has ``tls = true``;
- ``ca``: a second certificate authority made beside the first, which is inside ``plan``: what a CA
  costs once cryptography is imported (what sharing one CA between workers could save);
- ``services``: ``start_services()``: the run's state, the CA bundle written, every mock listening;
- ``app``: the default profile's app started until its health check answers; ``app process`` is
  the CPU time the app's own process used until then;
- ``stop``: everything stopped.

Medians of R runs. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import _common
from _common import median

#: The measuring child: prints one JSON object of phase -> [wall seconds, cpu seconds].
CHILD = r"""
import json, sys, time
import psutil

def now():
    return time.perf_counter(), time.process_time()

phases = {}
start = now()
import harness
from harness.orchestrator import Harness
from harness.run.tls import CertificateAuthority
mark = now(); phases["import"] = [mark[0] - start[0], mark[1] - start[1]]

run = Harness.from_pyproject(sys.argv[1])
then = now(); phases["plan"] = [then[0] - mark[0], then[1] - mark[1]]; mark = then

if run.certificate_authority is not None:
    CertificateAuthority(run.certificate_authority.bundle_path)  # never written: measured only
    then = now(); phases["ca"] = [then[0] - mark[0], then[1] - mark[1]]; mark = then

run.start_services()
then = now(); phases["services"] = [then[0] - mark[0], then[1] - mark[1]]; mark = then

app = run.app_for(None)
app_cpu = sum(psutil.Process(app.pid).cpu_times()[:4])
then = now(); phases["app"] = [then[0] - mark[0], then[1] - mark[1]]; mark = then
phases["app process"] = [0.0, app_cpu]

run.stop()
then = now(); phases["stop"] = [then[0] - mark[0], then[1] - mark[1]]
print(json.dumps(phases))
"""


def measure(project: Path) -> dict[str, list[float]]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(project / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"the measuring process failed:\n{result.stderr[-2000:]}")
    phases: dict[str, list[float]] = json.loads(result.stdout.strip().splitlines()[-1])
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--project", type=Path, default=_common.ROOT)
    args = parser.parse_args()

    runs = []
    for turn in range(args.runs):
        runs.append(measure(args.project.resolve()))
        print(f"  run {turn + 1}: " + ", ".join(f"{k} {v[0] * 1000:.0f} ms" for k, v in runs[-1].items()))
        time.sleep(0.2)
    print(f"\nmedians of {args.runs} runs, {args.project.resolve()}")
    print(f"{'phase':<14}{'wall (ms)':>12}{'cpu (ms)':>12}")
    for phase in runs[0]:
        wall = median([run[phase][0] for run in runs]) * 1000
        cpu = median([run[phase][1] for run in runs]) * 1000
        shown_wall = "" if phase == "app process" else f"{wall:.0f}"
        print(f"{phase:<14}{shown_wall:>12}{cpu:>12.0f}")


if __name__ == "__main__":
    main()
