"""The validated configuration, as immutable objects.

``HarnessConfig`` mirrors ``[tool.harness]``; ``AppSettings`` is what one app instance runs with:
the base settings with one profile's overrides applied.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.appenv.envfile import DEFAULT_FORMAT
from harness.config import templating
from harness.errors import ConfigError

#: Env values by name; None removes the variable from the app's environment (TOML ``false``; ``""``
#: sets the variable to the empty string).
EnvTemplates = Mapping[str, "str | None"]

DEFAULT_PROFILE = "default"

#: harness's own state directory, beside the configuration file, and the names it uses in it.
STATE_DIR = ".harness"
RESERVED_STATE_NAMES = frozenset({"runs", "instances", "tls", ".gitignore"})


@dataclass(frozen=True)
class ServiceConfig:
    """One mock server: ``[tool.harness.services.<name>]``."""

    name: str
    env: EnvTemplates = field(default_factory=dict)
    strict: bool = True
    #: Simulator kind answering what no expectation matches (``None``: a plain mock).
    simulator: str | None = None
    #: The simulator's validated options (``[tool.harness.services.<name>.options]``).
    options: Mapping[str, object] = field(default_factory=dict)
    #: Serve HTTPS with a certificate from the run's own CA, which the app is made to trust.
    tls: bool = False
    #: The largest request body (or declared chunk) the mock reads; a larger one is answered 413.
    max_body_bytes: int = 64 * 1024 * 1024
    #: Seconds a client gets to send one whole request; past them the mock answers 408.
    request_timeout: float = 30.0
    #: Record and replay (docs/record-replay.md); None without ``recordings``.
    recordings: RecordingSettings | None = None
    #: The OpenAPI contract (docs/openapi.md); None without ``openapi``.
    contract: ContractSettings | None = None


@dataclass(frozen=True)
class RecordingSettings:
    """A service's ``recordings``, ``upstream``, ``upstream_ca``, ``upstream_headers`` and ``[replay]``."""

    #: Where the service's recordings live (a file per test below it), inside the project.
    folder: Path
    #: The real service's base URL, for record mode (None: replay only).
    upstream: str | None = None
    #: A CA bundle to verify the upstream's certificate with, instead of the system's trust store.
    upstream_ca: Path | None = None
    #: Header name -> the runner's environment variable holding its value (the upstream's credentials).
    upstream_headers: Mapping[str, str] = field(default_factory=dict)
    #: ``[replay]``: query parameters and JSON fields left out of matching; headers matched too.
    ignore_query: tuple[str, ...] = ()
    ignore_json_fields: tuple[str, ...] = ()
    match_headers: tuple[str, ...] = ()


#: What ``openapi_validate`` may say: which side of each exchange the contract checks.
CONTRACT_MODES = ("both", "requests", "responses", "off")


@dataclass(frozen=True)
class ContractSettings:
    """A service's ``openapi`` document and ``openapi_validate`` mode."""

    document: Path
    validate: str = "both"

    @property
    def requests(self) -> bool:
        return self.validate in ("both", "requests")

    @property
    def responses(self) -> bool:
        return self.validate in ("both", "responses")


@dataclass(frozen=True)
class AppSettings:
    """How to run and probe one app instance (base settings plus a profile's overrides)."""

    profile: str
    command: tuple[str, ...]
    cwd: Path
    health: str
    host: str
    port_env: str | None
    port: int
    startup_timeout: float
    shutdown_timeout: float
    env: EnvTemplates
    #: What happens when the app has died and a test needs it again: "restart" or "fail".
    on_crash: str = "restart"

    def with_overrides(self, profile: str, overrides: Mapping[str, object], env: EnvTemplates) -> AppSettings:
        merged_env = {**self.env, **env}
        return replace(self, profile=profile, env=merged_env, **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ProfileConfig:
    """``[tool.harness.profiles.<name>]``: env overrides plus optional app-setting overrides."""

    name: str
    env: EnvTemplates = field(default_factory=dict)
    overrides: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class HarnessConfig:
    """The whole validated ``[tool.harness]`` table."""

    source: Path
    root: Path
    app: AppSettings
    env_file: Path
    log_dir: Path
    services: Mapping[str, ServiceConfig]
    profiles: Mapping[str, ProfileConfig]
    #: Point the app's proxy variables at a refusing proxy that records non-mock hosts.
    offline_guard: bool = True
    #: The app reads its env file at exactly ``env_file`` (not through ``HARNESS_ENV_FILE``): never
    #: rename it per run; a second concurrent run is refused instead.
    env_file_fixed: bool = False
    #: The env file's dialect (:data:`harness.appenv.envfile.FORMATS`): which readers read it back
    #: exactly; a value it cannot carry is refused at start.
    env_file_format: str = DEFAULT_FORMAT
    #: Let ``env_file`` and ``log_dir`` lie outside the project (``allow_writes_outside_project``).
    allow_writes_outside_project: bool = False
    #: How many apps may start at once in the background, ahead of the tests that need them (0: none).
    start_ahead: int = 4

    @property
    def upstream_credential_variables(self) -> tuple[str, ...]:
        """The runner's variables that hold the real services' credentials (``upstream_headers``):
        withheld from the apps, which must never hold a real key (the env tables may still set them)."""
        return tuple(
            sorted(
                {
                    variable
                    for service in self.services.values()
                    if service.recordings is not None
                    for variable in service.recordings.upstream_headers.values()
                }
            )
        )

    def unknown_profiles(self, users: Mapping[str, list[str]]) -> str | None:
        """For ``{profile: [who names it]}`` (tests, by name): what names a profile that is not
        defined, each with a suggestion, and the fix; None when every profile exists."""
        unknown = {
            profile: names
            for profile, names in users.items()
            if profile != DEFAULT_PROFILE and profile not in self.profiles
        }
        if not unknown:
            return None
        known = sorted(self.profiles)
        lines = []
        for profile, names in sorted(unknown.items()):
            hint = difflib.get_close_matches(profile, known, n=1)
            fix = (
                f"did you mean {hint[0]!r}?"
                if hint
                else f"known profiles: {', '.join(known) or 'none defined'}"
            )
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            lines.append(f"  - harness_profile({profile!r}) in {shown}: no such profile; {fix}")
        return (
            f"unknown profile in {len(unknown)} harness_profile mark(s) ({self.source}):\n"
            + "\n".join(lines)
            + f"\n  fix: correct the mark, or define [tool.harness.profiles.<name>] in {self.source}"
        )

    @property
    def state_dir(self) -> Path:
        """Where runs keep their state (records, locks, CA bundles, logs by default): ``.harness``
        beside the configuration file."""
        return self.root / STATE_DIR

    def app_settings(self, profile: str | None = None) -> AppSettings:
        """Settings for ``profile`` (``None`` or ``"default"``: the base settings).

        Service env values sit between the base ``env`` and the profile's ``env``, so a profile can
        still remove or replace a variable that a service defines.
        """
        service_env: dict[str, str | None] = {}
        for service in self.services.values():
            own = {field: f"services.{service.name}.{field}" for field in ("url", "host", "port")}
            for name, value in service.env.items():
                service_env[name] = None if value is None else templating.rename(value, own)
        base = replace(self.app, env={**self.app.env, **service_env})
        if profile is None or profile == DEFAULT_PROFILE:
            return base
        try:
            chosen = self.profiles[profile]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none defined"
            hint = difflib.get_close_matches(profile, list(self.profiles), n=1)
            guess = f"did you mean {hint[0]!r}? " if hint else ""
            raise ConfigError(
                str(self.source),
                [
                    f"unknown profile {profile!r} ({guess}known profiles: {known}); "
                    f"fix: define [tool.harness.profiles.{profile}] or use one of the known names"
                ],
            ) from None
        return base.with_overrides(profile, chosen.overrides, chosen.env)
