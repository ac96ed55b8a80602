"""Masking secret-looking values before an environment is printed or put in a report."""

from __future__ import annotations

import re
from collections.abc import Mapping

MASK = "********"

#: Variable names that usually hold a secret.
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIAL|SIGNATURE|AUTH", re.IGNORECASE)
#: Values that carry a secret whatever their name: connection strings, URLs with a password.
_SECRET_VALUE = re.compile(
    r"(AccountKey|SharedAccessKey|Password|Pwd|AccessKey|Signature)\s*=|://[^/\s:@]+:[^/\s@]+@",
    re.IGNORECASE,
)


def is_secret(name: str, value: str) -> bool:
    """Whether ``name=value`` looks like a secret (by name, or by a connection-string value)."""
    return bool(value) and bool(_SECRET_NAME.search(name) or _SECRET_VALUE.search(value))


def mask_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` with every secret-looking value replaced by ``********``."""
    return {name: MASK if is_secret(name, value) else value for name, value in env.items()}
