import os
import pathlib
import time


def test_waits_forever(harness_app):
    pathlib.Path(os.environ["PID_FILE"]).write_text(str(harness_app.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the runner is interrupted long before this ends
        time.sleep(0.05)
