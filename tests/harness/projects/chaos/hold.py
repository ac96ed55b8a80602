"""Hold an app of a chaos project through the Python API (the stale-run scenario):
``hold.py PROJECT INSTANCE INFO_FILE`` writes the app's pid and the run's marker to INFO_FILE as JSON,
then keeps the app until a line (or the end) of its input."""

import json
import sys
from pathlib import Path

from harness import Harness

harness = Harness.from_pyproject(sys.argv[1], instance=sys.argv[2])
harness.start()
Path(sys.argv[3]).write_text(json.dumps({"app": harness.app.pid, "marker": harness.marker}))
sys.stdin.readline()  # hold the app until told to stop (or until stdin closes)
harness.stop()
