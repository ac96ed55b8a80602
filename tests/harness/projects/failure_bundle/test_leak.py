import urllib.parse
import urllib.request


def test_the_app_logs_its_key(harness_app):
    key = "sk-live-" + "SUPER" + "SECRET-123"  # in pieces: pytest quotes this source in the report
    text = f"calling the weather API with key {key} now"
    urllib.request.urlopen(harness_app.url_for("/say?text=" + urllib.parse.quote(text))).read()
    assert False, "fails, so that the report quotes the log"
