"""Configuration, read once from the environment.

Every knob lives in an environment variable so that the functional tests can point each downstream at
a local mock. Empty strings count as "unset": env files written by tools often contain ``NAME=``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class SettingsError(Exception):
    """One or more settings are missing or invalid; the message lists all of them on one line."""


@dataclass(frozen=True)
class Settings:
    port: int
    log_level: int
    openai_endpoint: str
    openai_api_key: str
    openai_api_version: str
    chat_deployment: str
    embedding_deployment: str
    openai_max_retries: int
    search_service: str | None  # None: no embedding and no search call at all
    search_key: str | None
    search_index: str
    search_top: int
    content_safety_endpoint: str | None  # None: the safety check is skipped
    content_safety_key: str | None
    content_safety_threshold: int
    downstream_timeout: float

    @property
    def search_enabled(self) -> bool:
        return self.search_service is not None

    @property
    def content_safety_enabled(self) -> bool:
        return self.content_safety_endpoint is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Parse and validate, collecting every problem so that one failed start reports them all."""
        problems: list[str] = []

        def get(name: str, parse: Callable[[str], T], default: T) -> T:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except ValueError as exc:
                problems.append(f"{name} {exc}, got {raw!r}")
                return default

        def required(name: str, parse: Callable[[str], T], placeholder: T) -> T:
            if not env.get(name, "").strip():
                problems.append(f"{name} is required")
            return get(name, parse, placeholder)

        search = get("AZURE_SEARCH_SERVICE", _url, None)
        safety = get("AZURE_CONTENT_SAFETY_ENDPOINT", _url, None)
        settings = cls(
            port=required("PORT", _int_between(0, 65535), 0),
            log_level=get("LOG_LEVEL", _log_level, logging.INFO),
            openai_endpoint=required("AZURE_OPENAI_ENDPOINT", _url, ""),
            openai_api_key=required("AZURE_OPENAI_API_KEY", str, ""),
            openai_api_version=get("AZURE_OPENAI_API_VERSION", str, "2024-10-21"),
            chat_deployment=get("AZURE_OPENAI_CHAT_DEPLOYMENT", str, "gpt-4o"),
            embedding_deployment=get("AZURE_OPENAI_EMBEDDING_DEPLOYMENT", str, "text-embedding-3-small"),
            openai_max_retries=get("AZURE_OPENAI_MAX_RETRIES", _int_between(0, 100), 2),
            search_service=search,
            # An endpoint without its key could only fail at request time; fail at start-up instead.
            search_key=(required if search else get)("AZURE_SEARCH_KEY", str, None),
            search_index=get("AZURE_SEARCH_INDEX", str, "docs"),
            search_top=get("AZURE_SEARCH_TOP", _int_between(1, 1000), 3),
            content_safety_endpoint=safety,
            content_safety_key=(required if safety else get)("AZURE_CONTENT_SAFETY_KEY", str, None),
            content_safety_threshold=get("CONTENT_SAFETY_THRESHOLD", _int_between(0, 7), 4),
            downstream_timeout=get("DOWNSTREAM_TIMEOUT", _seconds, 10.0),
        )
        if problems:
            raise SettingsError("; ".join(problems))
        return settings


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValueError(f"must be an integer from {low} to {high}")
        return value

    return parse


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):  # also rejects NaN
        raise ValueError("must be a positive number of seconds")
    return value


def _url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    # Paths are appended to the endpoint, so a trailing slash would produce "//".
    return raw.rstrip("/")


def _log_level(raw: str) -> int:
    if raw.lower() not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
    return int(getattr(logging, raw.upper()))
