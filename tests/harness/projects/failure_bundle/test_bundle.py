import urllib.request


def test_calls_with_the_wrong_method(harness_app, harness_services):
    harness_services["up"].expect_request("/thing", method="POST").respond_with_data("x")
    urllib.request.urlopen(harness_app.url_for("/call")).read()
