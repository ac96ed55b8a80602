from conftest import CHAOS_DIR, get, mark


def test_serves_after_lost_port_races(harness_app):
    ports = [int(port) for port in (CHAOS_DIR / "starts").read_text().split()]
    assert len(ports) == 3, ports
    assert ports[-1] == harness_app.port
    assert get(harness_app.url_for("/pid")) == (200, str(harness_app.pid))
    mark("perturbed")
