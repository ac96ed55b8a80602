"""Find, read and validate ``[tool.harness]``.

Validation collects every problem before raising, and each problem names the key, what was
expected and what was found, so one run tells the user everything to fix.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness.appenv.envfile import DEFAULT_FORMAT, FORMATS
from harness.config import service_keys, templating
from harness.config.model import (
    DEFAULT_PROFILE,
    RESERVED_STATE_NAMES,
    STATE_DIR,
    AppSettings,
    HarnessConfig,
    ProfileConfig,
    ServiceConfig,
)
from harness.errors import ConfigError
from harness.files.confine import ALLOW_OUTSIDE_KEY, confined_problem, resolve_for_writing

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

# \Z, not $: "$" also matches before a trailing newline, which would let "NAME\n" through.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_SERVICE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")
#: A DNS host name (RFC 1123 labels); IP literals are checked with ipaddress instead.
_HOST_NAME = re.compile(
    r"^(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?\Z"
)
#: Longest accepted timeout: a day. Much larger values overflow socket and select timeouts later.
MAX_SECONDS = 86400.0
_NUL = "\x00"

APP_KEYS = (
    "command",
    "cwd",
    "health",
    "host",
    "port_env",
    "port",
    "startup_timeout",
    "shutdown_timeout",
    "on_crash",
)
ON_CRASH = ("restart", "fail")
TOP_KEYS = (
    *APP_KEYS,
    "env_file",
    "env_file_fixed",
    "start_ahead",
    "env_file_format",
    "log_dir",
    ALLOW_OUTSIDE_KEY,
    "offline_guard",
    "env",
    "services",
    "profiles",
)
SERVICE_KEYS = (
    "env",
    "strict",
    "simulator",
    "options",
    "tls",
    "max_body_bytes",
    "request_timeout",
    *service_keys.KEYS,
)
PROFILE_KEYS = ("env", *APP_KEYS)

DEFAULTS: dict[str, Any] = {
    "cwd": ".",
    "health": "/",
    "host": "127.0.0.1",
    "port_env": "PORT",
    "port": 0,
    "env_file": "env/harness.env",
    "log_dir": ".harness/logs",
    "startup_timeout": 30.0,
    "shutdown_timeout": 10.0,
    "on_crash": "restart",
    # Per service: the defaults of harness.mocks.server.RequestLimits (a test checks they agree).
    "max_body_bytes": 64 * 1024 * 1024,
    "request_timeout": 30.0,
}

#: How many apps start at once ahead of their tests, unless ``start_ahead`` says otherwise. Those
#: beside the first start at a lower CPU priority, so more than the machine's cores do not slow the
#: first one down (measured in docs/benchmarks.md).
DEFAULT_START_AHEAD = 4

#: Placeholders usable in every env value.
SERVICE_FIELDS = ("url", "host", "port")
#: Placeholders of a run with a ``tls = true`` service: its CA bundle (PEM) and JVM trust store (PKCS12).
TLS_FIELDS = ("tls.ca_bundle", "tls.truststore")
APP_FIELDS = ("port", "url", "host")
#: The command's own placeholders (``{port}`` is the app's port, as the contract says); the command
#: also takes every placeholder an env value can use (``{services.<name>.url}``, ``{app.url}``, ...).
COMMAND_FIELDS = ("port", "host", "python", "root", "env_file")


def find_config(start: Path) -> Path:
    """Return the nearest ``pyproject.toml`` with a ``[tool.harness]`` table, from ``start`` upwards."""
    start = start.resolve()
    directories = [start, *start.parents] if os.path.isdir(start) else list(start.parents)
    looked: list[str] = []
    for directory in directories:
        candidate = directory / "pyproject.toml"
        if os.path.isfile(candidate):
            looked.append(str(candidate))
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
                # Never skip it silently: it may hold the [tool.harness] the user meant, and a
                # pyproject further up would then be used without a word.
                problem = f"cannot be read as TOML ({error}); fix the file or pass --harness-config"
                raise ConfigError(str(candidate), [problem]) from None
            if isinstance(data.get("tool"), dict) and "harness" in data["tool"]:
                return candidate
    where = f"checked: {', '.join(looked)}" if looked else "no pyproject.toml found at all"
    raise ConfigError(
        str(start),
        [
            f"no [tool.harness] table in any pyproject.toml from {start} upwards ({where}); "
            "fix: add a [tool.harness] table (see the README quickstart) or pass --harness-config PATH"
        ],
    )


def load_config(path: str | Path | None = None, *, start: Path | None = None) -> HarnessConfig:
    """Load and validate the configuration.

    ``path`` names a pyproject.toml (or a directory holding one); without it the nearest
    pyproject.toml with a ``[tool.harness]`` table is found from ``start`` (default: cwd) upwards.
    """
    if path is None:
        source = find_config(start or Path.cwd())
    else:
        source = Path(path).expanduser().resolve()
        if os.path.isdir(source):
            source = source / "pyproject.toml"
    if not os.path.isfile(source):
        raise ConfigError(str(source), ["the file does not exist; fix: pass the path of a pyproject.toml"])
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(source), [f"not valid TOML: {error}"]) from None
    except RecursionError:  # tomllib recurses once per level of nested arrays and inline tables
        raise ConfigError(str(source), ["not valid TOML: arrays or tables nested too deeply"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(source), [f"cannot be read: {error}"]) from None
    tool = data.get("tool")
    table = tool.get("harness") if isinstance(tool, dict) else None
    if table is None:
        raise ConfigError(
            str(source), ["there is no [tool.harness] table; fix: add one (see the README quickstart)"]
        )
    return parse_table(table, source)


def parse_table(table: object, source: Path) -> HarnessConfig:
    """Validate a ``[tool.harness]`` table already read from ``source``."""
    return _Validator(source).config(table)


def _describe(value: object) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    name = kind.get(type(value), type(value).__name__)
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({name})"


class _Validator:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.root = source.parent
        self.problems: list[str] = []
        #: The validated base app keys, against which a profile's overrides are checked.
        self.base_values: dict[str, object] | None = None
        self.base_port_env: object = DEFAULTS["port_env"]
        #: Placeholders every env value (and the command) may use: app, services, root, TLS.
        self.shared_fields: tuple[str, ...] = ()

    def problem(self, key: str, expected: str, found: object) -> None:
        self.problems.append(f"{key}: expected {expected}, found {_describe(found)}")

    def unknown_keys(self, table: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key in allowed:
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else f"known keys: {', '.join(allowed)}"
            self.problems.append(f"{where}.{key}: unknown key ({fix})")

    # -- value checkers: each returns a clean value, or None after recording a problem ------------

    def string(self, key: str, value: object, *, allow_empty: bool = False) -> str | None:
        if isinstance(value, str) and _NUL in value:
            self.problems.append(f"{key}: contains a NUL character, which no path or host name can hold")
            return None
        if isinstance(value, str) and (allow_empty or value.strip()):
            return value
        self.problem(key, "a string" if allow_empty else "a non-empty string", value)
        return None

    def seconds(self, key: str, value: object) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= MAX_SECONDS:
            return float(value)
        self.problem(key, f"a positive number of seconds (at most {MAX_SECONDS:g})", value)
        return None

    def port(self, key: str, value: object) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
            return value
        self.problem(key, "an integer port from 0 (pick a free one) to 65535", value)
        return None

    def boolean(self, key: str, value: object) -> bool | None:
        if isinstance(value, bool):
            return value
        self.problem(key, "true or false", value)
        return None

    def command(self, key: str, value: object) -> tuple[str, ...] | None:
        parts: list[str] | None = None
        if isinstance(value, str) and value.strip():
            try:
                parts = shlex.split(value)
            except ValueError as error:
                self.problems.append(f"{key}: cannot split the command string ({error})")
                return None
        elif isinstance(value, list) and value and all(isinstance(p, str) for p in value) and value[0]:
            parts = list(value)
        if not parts:
            self.problem(key, "a command as a non-empty array of strings or a string", value)
            return None
        if any(_NUL in part for part in parts):
            self.problems.append(f"{key}: contains a NUL character, which no command line can hold")
            return None
        for part in parts:
            self.template(key, part, (*COMMAND_FIELDS, *self.shared_fields))
        return tuple(parts)

    def health(self, key: str, value: object) -> str | None:
        # A space or control character would make every probe an invalid request line.
        if isinstance(value, str) and value.startswith("/") and value.isprintable() and " " not in value:
            return value
        self.problem(key, "a path starting with '/' without spaces, such as \"/health\"", value)
        return None

    def on_crash(self, key: str, value: object) -> str | None:
        if value in ON_CRASH:
            return str(value)
        self.problem(key, '"restart" (start the app again for the next test) or "fail"', value)
        return None

    def env_file_format(self, key: str, value: object) -> str | None:
        """The dialect of the env file: who reads it decides how values are quoted (or refused)."""
        if isinstance(value, str) and value in FORMATS:
            return value
        known = "; ".join(f'"{name}" ({readers})' for name, readers in FORMATS.items())
        readers = {"bash": "shell", "sh": "shell", "node": "dotenv", "python": "python-dotenv"}
        text = value.lower() if isinstance(value, str) else ""
        hint = [readers[text]] if text in readers else difflib.get_close_matches(text, list(FORMATS), n=1)
        fix = f'did you mean "{hint[0]}"?' if hint else "name the dialect of the env file's reader"
        self.problems.append(
            f"{key}: expected one of {known}, found {_describe(value)}; fix: {fix} "
            f'(default "{DEFAULT_FORMAT}"; see docs/environment.md#the-env-file)'
        )
        return None

    def port_env(self, key: str, value: object) -> str | None:
        if value is False:
            return None  # the port reaches the app through {port} in the command instead
        if isinstance(value, str) and _ENV_NAME.match(value):
            return value
        self.problem(key, "an environment variable name (or false to pass the port via {port})", value)
        return None

    def host(self, key: str, value: object) -> str | None:
        """Where the app listens and is probed: an IP address or a host name, nothing else."""
        text = self.string(key, value)
        if text is None:
            return None
        try:
            ipaddress.ip_address(text)
            return text
        except ValueError:
            pass
        if _HOST_NAME.match(text):
            return text
        self.problems.append(
            f"{key}: expected an IP address or a host name, found {_describe(value)}; fix: the address the "
            'app listens on, e.g. host = "127.0.0.1" (the default), "::1" or "localhost"'
        )
        return None

    def port_reaches_app(self, where: str, values: Mapping[str, object], port_env: object) -> None:
        """With ``port_env = false`` the port reaches the app only through ``{port}`` in its command: a
        command without it, on a port harness picks, could never learn where to listen."""
        command = values.get("command")
        if port_env is not False or values.get("port") or not isinstance(command, tuple):
            return
        used: set[str] = set()
        for part in command:
            with contextlib.suppress(templating.TemplateSyntaxError):  # already a problem of its own
                used.update(templating.placeholders(part))
        if not used & {"port", "app.port", "app.url"}:  # {app.port} is {port}; {app.url} holds it
            self.problems.append(
                f"{where}: port_env = false, but the command has no {{port}} and port = 0 (a free port "
                "harness picks), so the app could never learn its port; fix: put {port} in the command "
                '(e.g. "--port", "{port}"), name the variable it reads (port_env = "PORT"), or give a '
                "fixed port"
            )

    def template(self, key: str, value: str, fields: tuple[str, ...]) -> None:
        try:
            templating.check(value, fields)
        except templating.TemplateSyntaxError as error:
            self.problems.append(f"{key}: {error}")

    def env(self, key: str, value: object, fields: tuple[str, ...]) -> dict[str, str | None]:
        if not isinstance(value, dict):
            self.problem(key, "a table of NAME = value", value)
            return {}
        env: dict[str, str | None] = {}
        for name, raw in value.items():
            where = f"{key}.{name}"
            if not _ENV_NAME.match(name):
                self.problems.append(
                    f"{where}: expected an environment variable name (letters, digits, '_'; not starting "
                    f"with a digit), found {name!r}"
                )
                continue
            if raw is False:
                env[name] = None  # removes the variable, even an inherited one ("" sets it empty)
            elif raw is True:
                env[name] = "true"
            elif isinstance(raw, (int, float)):
                env[name] = str(raw)
            elif isinstance(raw, str):
                if "\x00" in raw:
                    self.problems.append(f"{where}: contains a NUL character, which no environment can hold")
                    continue
                self.template(where, raw, fields)
                env[name] = raw
            else:
                self.problem(where, "a string, number or boolean (false removes the variable)", raw)
        return env

    # -- tables -------------------------------------------------------------------------------------

    def config(self, table: object) -> HarnessConfig:
        top = "tool.harness"
        if not isinstance(table, dict):
            self.problem(top, "a table", table)
            raise ConfigError(str(self.source), self.problems)
        self.unknown_keys(table, TOP_KEYS, top)

        raw_services = table.get("services", {})
        if not isinstance(raw_services, dict):
            self.problem(f"{top}.services", "a table of [tool.harness.services.<name>] tables", raw_services)
            raw_services = {}
        service_names = [name for name in raw_services if isinstance(name, str)]
        global_fields = self.global_fields(service_names)
        if any(isinstance(body, dict) and body.get("tls") is True for body in raw_services.values()):
            global_fields += TLS_FIELDS
        self.shared_fields = global_fields

        if "command" not in table:
            self.problems.append(f'{top}.command: missing; fix: add command = ["your", "app", "command"]')
        app = self.app_settings(table, global_fields)
        services = {name: self.service(name, body, global_fields) for name, body in raw_services.items()}
        raw_profiles = table.get("profiles", {})
        if not isinstance(raw_profiles, dict):
            self.problem(f"{top}.profiles", "a table of [tool.harness.profiles.<name>] tables", raw_profiles)
            raw_profiles = {}
        profiles = {name: self.profile(name, body, global_fields) for name, body in raw_profiles.items()}

        allow_outside = self.boolean(f"{top}.{ALLOW_OUTSIDE_KEY}", table.get(ALLOW_OUTSIDE_KEY, False))
        env_file = self.written_path(
            f"{top}.env_file", table.get("env_file", DEFAULTS["env_file"]), allow_outside
        )
        env_file_fixed = self.boolean(f"{top}.env_file_fixed", table.get("env_file_fixed", False))
        env_file_format = self.env_file_format(
            f"{top}.env_file_format", table.get("env_file_format", DEFAULT_FORMAT)
        )
        log_dir = self.written_path(
            f"{top}.log_dir", table.get("log_dir", DEFAULTS["log_dir"]), allow_outside
        )
        offline_guard = self.boolean(f"{top}.offline_guard", table.get("offline_guard", True))
        start_ahead = table.get("start_ahead", DEFAULT_START_AHEAD)
        if isinstance(start_ahead, bool) or not isinstance(start_ahead, int) or not 0 <= start_ahead <= 64:
            self.problems.append(
                f"{top}.start_ahead: expected a whole number from 0 to 64, found {_describe(start_ahead)}; "
                "fix: how many apps may start at once in the background, ahead of the tests that need "
                f"them (default {DEFAULT_START_AHEAD}); 0 starts each app only when its first test needs it"
            )
            start_ahead = DEFAULT_START_AHEAD
        if env_file is not None and log_dir is not None and log_dir in env_file.parents:
            self.problems.append(
                f"{top}.env_file: {env_file} lies in log_dir ({log_dir}), where the app's logs are "
                'written; fix: keep them apart, e.g. env_file = "env/functional.env"'
            )
        if self.problems or app is None or env_file is None or log_dir is None:
            raise ConfigError(str(self.source), self.problems)
        return HarnessConfig(
            source=self.source,
            root=self.root,
            app=app,
            env_file=env_file,
            env_file_fixed=bool(env_file_fixed),
            env_file_format=env_file_format or DEFAULT_FORMAT,
            log_dir=log_dir,
            allow_writes_outside_project=bool(allow_outside),
            start_ahead=int(start_ahead),
            offline_guard=bool(offline_guard),
            services={name: svc for name, svc in services.items() if svc is not None},
            profiles={name: prof for name, prof in profiles.items() if prof is not None},
        )

    def written_path(self, key: str, value: object, allow_outside: bool | None) -> Path | None:
        """A path harness writes: relative to the project, inside it unless ``allow_outside``. The env
        file keeps its last step as written (never followed if it is a link); the log directory is
        resolved whole."""
        text = self.string(key, value)
        if text is None:
            return None
        written = self.root / os.path.expanduser(text)
        directory = not key.endswith("env_file")
        what = "the app's logs" if directory else "the env file"
        if not directory and text.replace(os.sep, "/").rsplit("/", 1)[-1] in ("", ".", ".."):
            # Path() would drop the slash and write a *file* named like the directory.
            self.problems.append(
                f"{key}: {text!r} names a directory, not a file; fix: give the env file a file name, "
                'e.g. env_file = "env/functional.env"'
            )
            return None
        problem = confined_problem(
            written, self.root, what=what, key=key, allow_outside=bool(allow_outside), directory=directory
        )
        if problem:
            self.problems.append(problem)
            return None
        path = Path(os.path.realpath(written)) if directory else resolve_for_writing(written)
        problem = self.state_dir_problem(key, path, directory)
        if problem:
            self.problems.append(problem)
            return None
        return path

    def state_dir_problem(self, key: str, path: Path, directory: bool) -> str | None:
        """``.harness`` holds harness's own run state (records, locks, CA bundles): an env file there
        would overwrite them, and logs go only to a folder of their own in it."""
        state = Path(os.path.realpath(self.root / STATE_DIR))
        if path != state and state not in path.parents:
            return None
        if directory and path.parent == state and path.name not in RESERVED_STATE_NAMES:
            return None  # a log folder of its own, like the default .harness/logs
        what = "the app's logs" if directory else "the env file"
        reserved = ", ".join(sorted(RESERVED_STATE_NAMES))
        return (
            f"{key}: {what} would be written at {path}, in harness's own state directory {state} "
            f"(its {reserved} and .gitignore); fix: put it elsewhere, e.g. "
            + ('log_dir = ".harness/logs" (the default)' if directory else 'env_file = "env/functional.env"')
        )

    def global_fields(self, service_names: list[str]) -> tuple[str, ...]:
        fields = [f"app.{f}" for f in APP_FIELDS] + ["root"]
        for name in service_names:
            fields += [f"services.{name}.{f}" for f in SERVICE_FIELDS]
        return tuple(fields)

    def app_values(
        self, table: Mapping[str, object], where: str, *, with_defaults: bool
    ) -> dict[str, object]:
        """Validate the app keys present in ``table`` (plus defaults for absent ones if asked)."""
        checkers: dict[str, Callable[[str, object], object]] = {
            "command": self.command,
            "cwd": self.string,
            "health": self.health,
            "host": self.host,
            "port_env": self.port_env,
            "port": self.port,
            "startup_timeout": self.seconds,
            "shutdown_timeout": self.seconds,
            "on_crash": self.on_crash,
        }
        values: dict[str, object] = {}
        for key, checker in checkers.items():
            if key in table:
                values[key] = checker(f"{where}.{key}", table[key])
            elif with_defaults:
                values[key] = DEFAULTS.get(key)
        if isinstance(values.get("cwd"), str):
            values["cwd"] = (self.root / str(values["cwd"])).resolve()
        return values

    def app_settings(self, table: Mapping[str, object], fields: tuple[str, ...]) -> AppSettings | None:
        values = self.app_values(table, "tool.harness", with_defaults=True)
        env = self.env("tool.harness.env", table.get("env", {}), fields)
        if values["command"] is None:
            return None
        self.base_port_env = table.get("port_env", DEFAULTS["port_env"])
        self.port_reaches_app("tool.harness", values, self.base_port_env)
        self.base_values = values
        return AppSettings(profile=DEFAULT_PROFILE, env=env, **values)  # type: ignore[arg-type]

    def service(self, name: object, body: object, fields: tuple[str, ...]) -> ServiceConfig | None:
        where = f"tool.harness.services.{name}"
        if not isinstance(name, str) or not _SERVICE_NAME.match(name):
            self.problems.append(f"{where}: service names use letters, digits, '_' and '-'")
            return None
        if not isinstance(body, dict):
            self.problem(where, "a table", body)
            return None
        self.unknown_keys(body, SERVICE_KEYS, where)
        env = self.env(f"{where}.env", body.get("env", {}), (*SERVICE_FIELDS, *fields))
        strict = self.boolean(f"{where}.strict", body.get("strict", True))
        tls = body.get("tls", False)
        if not isinstance(tls, bool):
            self.problems.append(
                f"{where}.tls: expected true or false, found {_describe(tls)}; fix: tls = true serves "
                "HTTPS with a certificate the app is made to trust, tls = false (the default) plain HTTP"
            )
        max_body_bytes = body.get("max_body_bytes", DEFAULTS["max_body_bytes"])
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1:
            self.problems.append(
                f"{where}.max_body_bytes: expected a positive integer number of bytes, found "
                f"{_describe(max_body_bytes)}; fix: the largest request body the mock reads (a larger "
                "one is answered 413), e.g. max_body_bytes = 134217728 for 128 MiB; default 67108864 (64 MiB)"
            )
            max_body_bytes = DEFAULTS["max_body_bytes"]
        request_timeout = body.get("request_timeout", DEFAULTS["request_timeout"])
        if (
            isinstance(request_timeout, bool)
            or not isinstance(request_timeout, (int, float))
            or not 0 < request_timeout <= MAX_SECONDS  # also refuses nan
        ):
            self.problems.append(
                f"{where}.request_timeout: expected a positive number of seconds (at most {MAX_SECONDS:g}), "
                f"found {_describe(request_timeout)}; fix: the seconds a client gets to send one whole "
                "request (past them the mock answers 408), e.g. request_timeout = 60; default 30"
            )
            request_timeout = DEFAULTS["request_timeout"]
        simulator, options = self.simulator(where, body)
        recordings = service_keys.recording_settings(self, where, body)
        contract = service_keys.contract_settings(self, where, body)
        return ServiceConfig(
            name=name,
            env=env,
            strict=bool(strict) if strict is not None else True,
            simulator=simulator,
            options=options,
            tls=tls is True,
            max_body_bytes=max_body_bytes,
            request_timeout=float(request_timeout),
            recordings=recordings,
            contract=contract,
        )

    def simulator(self, where: str, body: Mapping[str, object]) -> tuple[str | None, dict[str, object]]:
        """``simulator`` and its ``options``, the options checked by the simulator itself. The kinds
        come from the registry (the ``harness.simulators`` entry-point group); only the named kind's
        module is imported."""
        kind = body.get("simulator")
        options = body.get("options", {})
        if not isinstance(options, dict):
            self.problems.append(
                f"{where}.options: expected a table of simulator options, found {_describe(options)}; "
                f"fix: write them as [{where}.options] (or options = {{ key = value }})"
            )
            options = {}
        if kind is None and not options:
            return None, {}
        from harness import simulators  # noqa: PLC0415  # only configs with simulators import werkzeug

        kinds = simulators.kinds()
        known = ", ".join(f'"{name}"' for name in kinds)
        if kind is None:
            self.problems.append(
                f"{where}.options: options without a simulator; fix: add simulator = "
                f"<kind> ({known}) or remove the options"
            )
            return None, {}
        if not isinstance(kind, str) or kind not in kinds:
            hint = difflib.get_close_matches(kind, kinds, n=1) if isinstance(kind, str) else []
            fix = f'did you mean "{hint[0]}"?' if hint else f"known simulators: {known}"
            self.problems.append(f"{where}.simulator: unknown simulator {_describe(kind)}; {fix}")
            return None, {}
        try:
            cls = simulators.simulator_class(kind)
        except simulators.SimulatorLoadError as error:
            self.problems.append(f"{where}.simulator: {error}")
            return None, {}
        self.problems += cls.check_options(options, f"{where}.options", self.root)
        return kind, options

    def profile(self, name: object, body: object, fields: tuple[str, ...]) -> ProfileConfig | None:
        where = f"tool.harness.profiles.{name}"
        if not isinstance(name, str) or not name or name == DEFAULT_PROFILE:
            self.problems.append(f"{where}: a profile needs a name other than '{DEFAULT_PROFILE}'")
            return None
        if any(char in name for char in ("/", "\\", _NUL)):
            # The profile's env file and log are named after it.
            self.problems.append(f"{where}: a profile name becomes part of file names: no '/', '\\' or NUL")
            return None
        if not isinstance(body, dict):
            self.problem(where, "a table", body)
            return None
        self.unknown_keys(body, PROFILE_KEYS, where)
        overrides = self.app_values(body, where, with_defaults=False)
        env = self.env(f"{where}.env", body.get("env", {}), fields)
        if self.base_values is not None and {"command", "port_env", "port"} & set(overrides):
            port_env = body.get("port_env", self.base_port_env)
            self.port_reaches_app(where, {**self.base_values, **overrides}, port_env)
        return ProfileConfig(name=name, env=env, overrides=overrides)
