"""Ports for the app: a free ephemeral one, or a fixed one checked to be free."""

from __future__ import annotations

import contextlib
import errno
import socket

import psutil

from harness.errors import AppStartError, PortInUseError


def _unusable_host(host: str, error: OSError) -> AppStartError:
    reason = error.strerror or str(error)
    return AppStartError(
        f"the app cannot listen on host {host!r}: {reason}; fix: set host in [tool.harness] to an "
        'address of this machine, e.g. "127.0.0.1" (the default), "::1" or "localhost"'
    )


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port the kernel considers free on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])
    except OSError as error:  # socket.gaierror included: a name that does not resolve
        raise _unusable_host(host, error) from None


def port_owner(port: int) -> str | None:
    """Describe the process listening on ``port`` (best effort: needs permission to see it)."""
    with contextlib.suppress(psutil.Error, OSError):
        for connection in psutil.net_connections(kind="inet"):
            if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
                if connection.pid is None:
                    return "another process (not visible to this user)"
                process = psutil.Process(connection.pid)
                return f"pid {connection.pid} ({' '.join(process.cmdline()[:4]) or process.name()})"
    return None


def ensure_port_free(host: str, port: int, where: str) -> None:
    """Raise :class:`PortInUseError` naming the owner if ``port`` on ``host`` is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR ignores TIME_WAIT leftovers of an earlier run, like the app's server will.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return
        except socket.gaierror as error:
            raise _unusable_host(host, error) from None
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise PortInUseError(f"port {port} on {host} ({where}) cannot be used: {error}") from None
    owner = port_owner(port)
    taken_by = f" by {owner}" if owner else ""
    raise PortInUseError(
        f"port {port} on {host} ({where}) is already in use{taken_by}; "
        "fix: stop whatever holds it, or set port = 0 to let harness pick a free port"
    )
