def test_own_app(app):
    assert app == {"kind": "the project's own app"}


def test_own_url(app_url):
    assert app_url == "http://project.invalid"


def test_own_services(services):
    assert services == ["db", "cache"]


def test_own_failure(app, services):
    assert services == [], "the project's own failing test"
