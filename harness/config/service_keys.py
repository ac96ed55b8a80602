"""A service's record-and-replay and OpenAPI keys: ``upstream``, ``upstream_ca``,
``upstream_headers``, ``recordings``, ``[replay]``, ``openapi``, ``openapi_validate``.

Each problem is one message naming the key, what was found, and the fix; the validated values are
:class:`~harness.config.model.RecordingSettings` and :class:`~harness.config.model.ContractSettings`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from harness.config.model import CONTRACT_MODES, ContractSettings, RecordingSettings
from harness.files.confine import is_inside

#: The keys this module reads from a service's table.
KEYS = (
    "upstream",
    "upstream_ca",
    "upstream_headers",
    "recordings",
    "replay",
    "openapi",
    "openapi_validate",
)
REPLAY_KEYS = ("ignore_query", "ignore_json_fields", "match_headers")

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Checker(Protocol):
    """What these checks need of the configuration's validator."""

    root: Path
    problems: list[str]

    def unknown_keys(self, table: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None: ...


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _project_path(checker: Checker, key: str, value: object, *, what: str) -> Path | None:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        checker.problems.append(f"{key}: expected a path (a non-empty string), found {_shown(value)}")
        return None
    path = checker.root / os.path.expanduser(value)
    if not is_inside(path, checker.root, directory=True):
        checker.problems.append(
            f"{key}: {what} {value!r} lies outside the project ({checker.root}), through '..' or a link; "
            "fix: keep it inside the project, beside the tests that use it"
        )
        return None
    return Path(os.path.realpath(path))


def _is_pem_bundle(path: Path) -> bool:
    try:
        return b"-----BEGIN CERTIFICATE-----" in path.read_bytes()
    except OSError:  # not a file, or unreadable
        return False


def _names(checker: Checker, key: str, value: object, *, header: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        checker.problems.append(f"{key}: expected an array of names, found {_shown(value)}")
        return ()
    if header:
        bad = [item for item in value if not _HEADER_NAME.match(item)]
        if bad:
            checker.problems.append(f"{key}: {', '.join(map(repr, bad))} is not a header name")
            return ()
        return tuple(item.lower() for item in value)
    return tuple(value)


def _upstream(checker: Checker, key: str, value: object) -> str | None:
    if not isinstance(value, str):
        checker.problems.append(
            f'{key}: expected the real service\'s URL, e.g. "https://example.openai.azure.com"'
        )
        return None
    parts = urlsplit(value)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "is not an http:// or https:// URL with a host"
    elif parts.username or parts.password:
        problem = (
            "holds credentials; they would end up in recordings and reports. fix: remove them from the URL "
            'and send them as headers: upstream_headers = {"Authorization" = "<ENV_VARIABLE>"}'
        )
    elif parts.query or parts.fragment:
        problem = (
            "has a query or a fragment; fix: give the base URL only (the app's path and query are added)"
        )
    if problem:
        checker.problems.append(f"{key}: {_shown(value)} {problem}")
        return None
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        checker.problems.append(f"{key}: {_shown(value)} has an invalid port")
        return None
    return value.rstrip("/")


def _credentials(checker: Checker, key: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        checker.problems.append(
            f'{key}: expected a table of header = "ENVIRONMENT_VARIABLE", found {_shown(value)}; e.g. '
            'upstream_headers = {"api-key" = "AZURE_OPENAI_API_KEY"}'
        )
        return {}
    credentials = {}
    for header, variable in value.items():
        if not _HEADER_NAME.match(header):
            checker.problems.append(f"{key}: {header!r} is not a header name")
        elif not isinstance(variable, str) or not _ENV_NAME.match(variable):
            # Not shown: the likeliest mistake is the key itself pasted here.
            found = "a value that is not one" if isinstance(variable, str) else f"a {type(variable).__name__}"
            checker.problems.append(
                f"{key}.{header}: expected the NAME of an environment variable of the shell running the "
                f"tests (its value is sent, and never written to a file), found {found} (not shown: it "
                f'may be the secret itself); fix: e.g. {header} = "AZURE_OPENAI_API_KEY", and export '
                "that variable"
            )
        else:
            credentials[header] = variable
    return credentials


def recording_settings(checker: Checker, where: str, body: Mapping[str, object]) -> RecordingSettings | None:
    """The service's record-and-replay settings, or None without ``recordings``."""
    upstream_keys = [key for key in ("upstream", "upstream_ca", "upstream_headers") if key in body]
    if "recordings" not in body:
        if upstream_keys or "replay" in body:
            named = ", ".join([*upstream_keys, *(["replay"] if "replay" in body else [])])
            checker.problems.append(
                f'{where}: {named} without recordings; fix: add recordings = "tests/recordings" (the folder '
                "where this service's recorded exchanges are kept, a file per test)"
            )
        return None
    folder = _project_path(checker, f"{where}.recordings", body["recordings"], what="the recordings folder")
    if folder is not None and folder.exists() and not folder.is_dir():
        checker.problems.append(f"{where}.recordings: {folder} exists and is not a folder")
        folder = None
    upstream = _upstream(checker, f"{where}.upstream", body["upstream"]) if "upstream" in body else None
    ca = None
    if "upstream_ca" in body:
        ca = _project_path(checker, f"{where}.upstream_ca", body["upstream_ca"], what="the CA bundle")
        if ca is not None and not _is_pem_bundle(ca):
            checker.problems.append(
                f"{where}.upstream_ca: {ca} is not a PEM file of certificates (no '-----BEGIN "
                "CERTIFICATE-----' in it); fix: the PEM bundle of the CA that signed the upstream's "
                "certificate"
            )
            ca = None
    credentials = _credentials(checker, f"{where}.upstream_headers", body.get("upstream_headers", {}))
    replay = body.get("replay", {})
    options: dict[str, tuple[str, ...]] = {}
    if not isinstance(replay, dict):
        checker.problems.append(
            f"{where}.replay: expected a table ([{where}.replay]), found {_shown(replay)}"
        )
    else:
        checker.unknown_keys(replay, REPLAY_KEYS, f"{where}.replay")
        for key in REPLAY_KEYS:
            if key in replay:
                options[key] = _names(
                    checker, f"{where}.replay.{key}", replay[key], header=key == "match_headers"
                )
    if folder is None:
        return None
    return RecordingSettings(
        folder=folder, upstream=upstream, upstream_ca=ca, upstream_headers=credentials, **options
    )


def contract_settings(checker: Checker, where: str, body: Mapping[str, object]) -> ContractSettings | None:
    """The service's OpenAPI contract settings, or None without ``openapi``."""
    mode = body.get("openapi_validate", "both")
    if mode not in CONTRACT_MODES:
        checker.problems.append(
            f"{where}.openapi_validate: expected one of {', '.join(map(repr, CONTRACT_MODES))}, found "
            f'{_shown(mode)}; fix: what the OpenAPI document checks (default "both")'
        )
        mode = "both"
    if "openapi" not in body:
        if "openapi_validate" in body:
            checker.problems.append(f'{where}.openapi_validate: without openapi; fix: add openapi = "<path>"')
        return None
    document = _project_path(checker, f"{where}.openapi", body["openapi"], what="the OpenAPI document")
    if document is None:
        return None
    if not document.is_file():
        checker.problems.append(
            f"{where}.openapi: {document} is not a file; fix: the path (relative to the project) of the "
            "service's OpenAPI 3.x or Swagger 2.0 document, JSON or YAML"
        )
        return None
    return ContractSettings(document=document, validate=str(mode))
