"""Build the app's environment explicitly, never touching the runner's own ``os.environ``.

The app inherits the runner's environment so that PATH, HOME, locale and virtualenv settings keep
working, minus the variables that would silently send its traffic elsewhere or break TLS
(:data:`SCRUBBED`), plus the env file's values, which always win.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Inherited variables the app never sees unless the harness configuration sets them itself.
#: Proxies would route the app's calls to its mocks (on 127.0.0.1) through a real proxy; an inherited
#: CA bundle overrides the one a TLS mock needs (REQUESTS_CA_BUNDLE silently beats CURL_CA_BUNDLE and
#: every SDK call then fails and retries); the pytest/xdist variables describe the runner, not the
#: app; WERKZEUG_SERVER_FD would make a werkzeug-based app serve on an inherited socket.
SCRUBBED: tuple[str, ...] = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "WERKZEUG_SERVER_FD",
    "WERKZEUG_RUN_MAIN",
)

LOOPBACK_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")

#: Names of the variables harness itself gives the app.
ENV_FILE_VARIABLE = "HARNESS_ENV_FILE"
MARKER_VARIABLE = "HARNESS_RUN_MARKER"
#: Exact per-app-instance marker: lets teardown of one app spare the run's other apps.
APP_MARKER_VARIABLE = "HARNESS_APP_MARKER"


def no_proxy_value(*existing: str | None) -> str:
    """Merge existing NO_PROXY lists with the loopback hosts, keeping order and dropping repeats."""
    hosts: list[str] = []
    for value in (*existing, ",".join(LOOPBACK_HOSTS)):
        for entry in (value or "").split(","):
            host = entry.strip()
            if host and host not in hosts:
                hosts.append(host)
    return ",".join(hosts)


def build_app_env(
    inherited: Mapping[str, str],
    values: Mapping[str, str | None],
    *,
    env_file: str | None = None,
    marker: str | None = None,
    app_marker: str | None = None,
) -> dict[str, str]:
    """Return the complete environment for the app process.

    ``values`` are the env file's values (``None`` removes a variable, inherited or not); they win
    over anything inherited. The result also carries ``NO_PROXY``/``no_proxy`` covering loopback,
    ``PYTHONUNBUFFERED=1`` (so a Python app's log reaches its file as it happens), the env file's
    path in ``HARNESS_ENV_FILE``, the run marker in ``HARNESS_RUN_MARKER`` and the app instance's
    marker in ``HARNESS_APP_MARKER``.
    """
    env = {name: value for name, value in inherited.items() if name not in SCRUBBED}
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name, value in values.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    loopback = no_proxy_value(env.get("NO_PROXY"), env.get("no_proxy"))
    env["NO_PROXY"] = env["no_proxy"] = loopback
    if env_file is not None:
        env[ENV_FILE_VARIABLE] = env_file
    if marker is not None:
        env[MARKER_VARIABLE] = marker
    if app_marker is not None:
        env[APP_MARKER_VARIABLE] = app_marker
    return env
