from conftest import get, mark, wait_for


def test_closed_stdio(harness, harness_app):
    log = harness_app.log_path
    wait_for(lambda: "closing stdout and stderr" in log.read_text(), "the app to close its stdio")
    for _ in range(3):
        assert get(harness_app.url_for("/pid")) == (200, str(harness_app.pid))
    mark("perturbed")
    harness.stop_app()
    report = harness_app.stop_report
    assert report.exit_code == 0, report
    assert not report.forced, report
    assert not report.survivors, report
