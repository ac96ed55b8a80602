from conftest import get, mark


def test_serves(harness_app):
    assert get(harness_app.url_for("/health")) == (200, "ok")
    mark("perturbed")
