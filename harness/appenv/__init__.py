"""The app's environment: the env file and the process environment built from config and mocks."""

from harness.appenv.app_env import (
    APP_MARKER_VARIABLE,
    ENV_FILE_VARIABLE,
    MARKER_VARIABLE,
    SCRUBBED,
    build_app_env,
)

__all__ = [
    "APP_MARKER_VARIABLE",
    "ENV_FILE_VARIABLE",
    "MARKER_VARIABLE",
    "SCRUBBED",
    "build_app_env",
]
