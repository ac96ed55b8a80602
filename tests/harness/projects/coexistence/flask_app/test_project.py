import flask


def test_client(client):
    assert client.get("/ping").json == {"pong": True}


def test_request_context_is_pushed(app):
    assert flask.current_app.name == "project"  # pytest-flask's autouse fixture pushed it


def test_flask_failure(client):
    assert client.get("/ping").status_code == 500, "the project's own failing test"
