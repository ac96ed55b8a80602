import http.client
import urllib.parse


def get(url):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_covered_route(harness_app):
    assert get(harness_app.url_for("/covered")) == (200, "covered")


def test_health(harness_app):
    assert get(harness_app.url_for("/health")) == (200, "ok")
