import contextlib
import json
import urllib.request


def test_calls_with_secrets(harness_app, harness_services):
    harness_services["up"].expect_request("/thing", method="POST", headers={"api-key": "expected-hunter2"})
    urllib.request.urlopen(harness_app.url_for("/env?name=PGPASS&sig=applog-hunter2")).read()
    request = urllib.request.Request(
        harness_services["up"].url + "/thing?api-version=1&sig=query-hunter2",
        data=json.dumps({"user": "ada", "password": "body-hunter2"}).encode(),
        headers={"api-key": "sent-hunter2", "Content-Type": "application/json"},
    )
    with contextlib.suppress(Exception):
        urllib.request.urlopen(request).read()
    assert False, "fails on purpose"
