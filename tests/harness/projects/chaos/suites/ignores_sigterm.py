from conftest import mark


def test_ignores_sigterm(harness, harness_app):
    mark("perturbed")
    harness.stop_app()
    report = harness_app.stop_report
    assert report.forced, report
    assert report.exit_code == -9, report
    assert report.duration >= 0.5, report  # it got its grace period first
    assert not report.survivors, report
