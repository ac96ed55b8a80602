"""The environment plan: from the configuration and where everything is, exactly what the app gets.

One pure function, :func:`plan_app`, computes an app's command line, the values its env file holds
and its whole process environment. A start uses it with the real addresses (ports chosen, the run's
marker and CA bundle); ``harness env`` and ``harness check`` use it with placeholders
(:func:`preview_addresses`): so what they print is what an app gets, by construction.

The placeholders, one vocabulary (docs/configuration.md, "Placeholders"):

===========================  =====================================  ===============================
placeholder                  where                                  value
===========================  =====================================  ===============================
``{url}`` ``{host}``         a service's own ``env``                that service's address
``{port}``                   a service's own ``env``                that service's port
``{port}`` ``{host}``        ``command``                            the app's port and host
``{services.<n>.url|host|port}``  everywhere                        service ``<n>``'s address
``{app.url|host|port}``      everywhere                             the app's own address
``{root}``                   everywhere                             the configuration's directory
``{tls.ca_bundle}`` ...      everywhere, with a ``tls = true`` mock  the run's CA bundle, trust store
``{python}`` ``{env_file}``  ``command``                            the interpreter, the env file
===========================  =====================================  ===============================

(``{port}`` in a service's ``env`` is renamed to ``{services.<n>.port}`` when the configuration is
loaded, so the plan sees one vocabulary.)
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.appenv.app_env import build_app_env
from harness.config import AppSettings, templating

#: A command starting with one of these runs under the interpreter running harness, so the app
#: sees the same virtualenv as the tests even when that virtualenv is not activated.
PYTHON_ALIASES = ("python", "python3")


def format_host(host: str) -> str:
    """``host`` as it goes in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class ServiceAddress:
    """Where one mock service listens (or, in a preview, placeholders saying so)."""

    url: str
    host: str
    port: str


@dataclass(frozen=True)
class Addresses:
    """Everything an app's plan needs that is only known when it starts: real values at a start,
    placeholders (``<app port>``) in a preview."""

    app_port: str
    services: Mapping[str, ServiceAddress]
    env_file: str
    run_marker: str
    app_marker: str
    #: The TLS trust variables (SSL_CERT_FILE, ...) pointing at the run's CA bundle; empty without TLS.
    trust: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    truststore: str | None = None
    #: The offline guard's proxy variables; empty when the guard is off.
    proxy: Mapping[str, str] = field(default_factory=dict)
    #: Inherited variables the app never gets unless its configuration sets them: the runner's
    #: credentials of the real services (``upstream_headers``).
    withheld: tuple[str, ...] = ()
    python: str = sys.executable


@dataclass(frozen=True)
class AppPlan:
    """What one app gets, exactly."""

    #: The command line, placeholders rendered (argv[0] not yet looked up on PATH).
    argv: tuple[str, ...]
    #: What the env file holds, in order (also in the process environment).
    file_values: dict[str, str]
    #: The app's whole process environment.
    environment: dict[str, str]
    #: The part of :attr:`environment` harness set (the rest is inherited unchanged).
    set_by_harness: dict[str, str]
    #: Inherited variables the app does not get (scrubbed, or removed by the configuration).
    removed: tuple[str, ...]


def template_values(root: str, settings: AppSettings, addresses: Addresses) -> dict[str, str]:
    """The values of every placeholder an env value may use."""
    values = {
        "root": root,
        "app.port": addresses.app_port,
        "app.host": settings.host,
        "app.url": f"http://{format_host(settings.host)}:{addresses.app_port}",
    }
    for name, service in addresses.services.items():
        values[f"services.{name}.url"] = service.url
        values[f"services.{name}.host"] = service.host
        values[f"services.{name}.port"] = service.port
    if addresses.ca_bundle is not None:
        values["tls.ca_bundle"] = addresses.ca_bundle
        values["tls.truststore"] = addresses.truststore or "<needs cryptography >= 45>"
    return values


def render_command(
    command: Sequence[str], values: Mapping[str, str], python: str = sys.executable
) -> list[str]:
    """``command`` with its placeholders rendered, one argument each (no shell splitting); a first
    element ``python``/``python3`` becomes ``python`` (the interpreter running harness)."""
    argv = [templating.render(part, values) for part in command]
    if argv[0] in PYTHON_ALIASES:
        argv[0] = python
    return argv


def plan_app(root: str, settings: AppSettings, addresses: Addresses, inherited: Mapping[str, str]) -> AppPlan:
    """Exactly what the app of ``settings`` gets, started with ``addresses``, from ``inherited``
    (the runner's environment). Pure: nothing is started, written or read."""
    values = template_values(root, settings, addresses)
    # The TLS mocks' CA first, so a configured value (the user's own bundle) still wins.
    configured: dict[str, str | None] = {
        **addresses.trust,
        **{
            name: None if value is None else templating.render(value, values)
            for name, value in settings.env.items()
        },
    }
    file_values = {name: value for name, value in configured.items() if value is not None}
    if settings.port_env:
        file_values[settings.port_env] = addresses.app_port
    # Run plumbing (the offline guard's proxy) goes in the process environment, not the env file,
    # and the configuration's values win over it.
    process_values: dict[str, str | None] = {
        **dict.fromkeys(addresses.withheld),
        **addresses.proxy,
        **configured,
        **file_values,
    }
    environment = build_app_env(
        inherited,
        process_values,
        env_file=addresses.env_file,
        marker=addresses.run_marker,
        app_marker=addresses.app_marker,
    )
    # Set by harness: what the configuration and the run give (even a value equal to an inherited
    # one), harness's own variables, and whatever differs from the inherited environment.
    own = set(process_values) | {"NO_PROXY", "no_proxy"}
    set_by_harness = {
        name: value
        for name, value in environment.items()
        if name in own or name.startswith("HARNESS_") or inherited.get(name) != value
    }
    removed = tuple(sorted(name for name in inherited if name not in environment))
    command_values = {
        **values,
        "port": addresses.app_port,
        "host": settings.host,
        "python": addresses.python,
        "root": root,
        "env_file": addresses.env_file,
    }
    argv = render_command(settings.command, command_values, addresses.python)
    return AppPlan(tuple(argv), file_values, environment, set_by_harness, removed)
