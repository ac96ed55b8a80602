"""pytest-flask's convention: an ``app`` fixture returning a Flask app; ``client`` comes from
pytest-flask."""

import flask
import pytest


@pytest.fixture
def app():
    app = flask.Flask("project")

    @app.route("/ping")
    def ping():
        return {"pong": True}

    return app
