"""A miniature "chat with your data" backend: the system under test of the harness's functional tests.

Content Safety -> (embedding + Azure AI Search) -> Azure OpenAI chat, every endpoint taken from the env.
"""

from __future__ import annotations

from flask import Flask

from . import chat, routes
from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep "code" first in error bodies
    app.extensions["sample_app.settings"] = settings
    app.extensions["sample_app.openai"] = chat.make_client(settings)
    routes.register(app)
    return app
