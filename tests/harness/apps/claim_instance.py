"""Claim a run's instance name as the pytest-xdist worker ``$PYTEST_XDIST_WORKER`` would, with a
fixed env file (test_concurrent_runs.py): ``claim_instance.py STATE_DIR ENV_FILE``.

Prints ``refused: <why>`` and exits if another process holds the env file; otherwise prints
``holding`` and holds the claim until a line (or the end) of its input."""

import os
import sys
from pathlib import Path

from harness.errors import ConcurrentRunError
from harness.files.claims import claim_instance
from harness.files.owned import RunStamp

state, env_file = Path(sys.argv[1]), Path(sys.argv[2])
try:
    claim = claim_instance(
        state, os.environ["PYTEST_XDIST_WORKER"], stamp=RunStamp.of_this_process("m"), fixed_env_file=env_file
    )
except ConcurrentRunError as error:
    print(f"refused: {error}", flush=True)
    sys.exit(0)
print("holding", flush=True)
sys.stdin.readline()
