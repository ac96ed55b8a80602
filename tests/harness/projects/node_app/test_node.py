import http.client


def get(app_url, path):
    host, port = app_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_proxy_returns_the_primed_body(harness_app_url, harness_services):
    harness_services["up"].expect_request("/x", method="GET").respond_with_data("primed body")

    assert get(harness_app_url, "/proxy") == (200, "primed body")
    assert [entry.path for entry in harness_services["up"].requests] == ["/x"]
