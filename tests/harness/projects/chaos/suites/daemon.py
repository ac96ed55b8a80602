import os

from conftest import CHAOS_DIR, get, mark, wait_for


def test_serves_with_a_daemon_outside_its_group(harness_app):
    wait_for(lambda: list((CHAOS_DIR / "pids").glob("daemon-*")), "the daemon")
    [daemon] = [int(p.read_text()) for p in (CHAOS_DIR / "pids").glob("daemon-*")]
    assert os.getsid(daemon) != os.getsid(harness_app.pid)
    assert os.getpgid(daemon) != harness_app.pid
    assert get(harness_app.url_for("/pid")) == (200, str(harness_app.pid))
    mark("perturbed")
