import os
import time


def test_blocks(harness_app):
    # Written with the built-in open() in this very function: io is C code, so once the runner sees
    # the file's content, a signal can only land in this frame (never in a helper's), which the
    # runner's test asserts as the interrupted line.
    with open(os.path.join(os.environ["CHAOS_DIR"], "in_test"), "w") as marker:
        marker.write(str(harness_app.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the runner is perturbed long before this ends
        time.sleep(0.05)
