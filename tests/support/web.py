"""A GET that never goes through a proxy from the environment. Standard library only: tests copy this
file into throwaway projects too (``from web import http_get``)."""

from __future__ import annotations

import http.client
import urllib.parse


def http_get(url: str, timeout: float = 10) -> tuple[int, str]:
    """GET ``url`` directly (never through a proxy from the environment); return (status, body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()
