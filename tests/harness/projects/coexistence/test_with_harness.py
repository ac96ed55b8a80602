import urllib.request


def test_harness_app(harness_app_url, harness_app):
    with urllib.request.urlopen(f"{harness_app_url}/health", timeout=10) as response:
        assert response.read() == b"ok"
    assert harness_app.url == harness_app_url


def test_harness_services(harness_services, harness_app_url):
    harness_services["up"].expect_request("/thing").respond_with_data("primed")
    with urllib.request.urlopen(f"{harness_app_url}/call", timeout=10) as response:
        assert response.read() == b"primed"


def test_harness_failure(harness_app_url):
    assert harness_app_url == "", "a failing harness test"
