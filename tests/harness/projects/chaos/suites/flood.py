import time

from conftest import get, mark

MB = 1024 * 1024


def test_flood(harness_app):
    assert harness_app.log_size() >= 20 * MB  # its start-up flood is all in the log already
    took = []
    for _ in range(3):
        started = time.monotonic()
        assert get(harness_app.url_for("/flood"), timeout=30) == (200, "ok")
        took.append(time.monotonic() - started)
    mark("took", max(took))
    assert harness_app.log_size() >= 80 * MB
    assert harness_app.log_tail(1) == [f"chaos_app pid={harness_app.pid} flooded for a request"]
    mark("perturbed")
