import urllib.parse
import urllib.request


def say(app, text):
    urllib.request.urlopen(app.url_for("/say?text=" + urllib.parse.quote(text))).read()


def test_first(harness_app, harness_services):
    harness_services["up"].expect_request("/never", method="POST", json={"a": 1}).respond_with_data("x")
    say(harness_app, "\x1b[31mRED ALERT\x1b[0m \x1b]0;title\x07done\x07")
    urllib.request.urlopen(harness_app.url_for("/call")).read()


def test_second(harness_app):
    say(harness_app, "\x1b[1;32mGREEN\x1b[0m")
    assert False, "second failure"
