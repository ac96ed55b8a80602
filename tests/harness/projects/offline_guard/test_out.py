import urllib.request


def test_calls_the_real_cloud(harness_app):
    urllib.request.urlopen(harness_app.url_for("/call")).read()


def test_stays_home(harness_app):
    urllib.request.urlopen(harness_app.url_for("/health")).read()
