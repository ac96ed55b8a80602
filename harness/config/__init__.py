"""Configuration: find, read and validate ``[tool.harness]``."""

from harness.config.load import find_config, load_config, parse_table
from harness.config.model import DEFAULT_PROFILE, AppSettings, HarnessConfig, ProfileConfig, ServiceConfig

__all__ = [
    "DEFAULT_PROFILE",
    "AppSettings",
    "HarnessConfig",
    "ProfileConfig",
    "ServiceConfig",
    "find_config",
    "load_config",
    "parse_table",
]
