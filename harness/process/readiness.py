"""Wait until the app answers its health check, noticing at once if it dies first.

The first probe goes out immediately. While nothing listens, a probe is a refused connect, but a
probe and the wake-up around it still cost ~0.2 ms of CPU (docs/benchmarks.md), ~15 % of a core
at one probe a millisecond. So the interval follows how long the app has been starting: 1 ms at
first, then 0.2 % of the time waited so far, up to 5 ms (reached at 2.5 s). Noticing the open
port late by at most 0.2 % of the start-up time, and never by more than 5 ms, goes unseen, while
a long start-up costs about what probing every 5 ms throughout did (a 10 s one: ~0.07 s more CPU,
where 1 ms throughout would add ~0.7 s). Once the app answers but is not healthy yet, the
interval starts at 5 ms and grows by half each attempt up to 100 ms, so a slow-to-warm app is not
hammered with requests.

Between probes the waiter blocks on the process itself, so an exit (code 0 included) ends the wait
the moment it happens rather than at the next poll.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.process.waiting import wait_for_exit

#: While the port refuses connections: the interval is REFUSED_SHARE of the time waited so far,
#: kept between the two bounds.
REFUSED_MIN_INTERVAL = 0.001
REFUSED_MAX_INTERVAL = 0.005
REFUSED_SHARE = 0.002
#: Once the app answers, unhealthy: the first interval, its growth per attempt and its bound.
FIRST_INTERVAL = 0.005
GROWTH = 1.5
MAX_INTERVAL = 0.1
#: An app that has answered 404 for this long is serving, just not at ``health``: say so now
#: instead of letting the user wait out the whole startup timeout.
NOT_FOUND_GRACE = 1.0
REFUSED = "connection refused (nothing listening yet)"


@dataclass(frozen=True)
class Ready:
    elapsed: float
    attempts: int


class NotReady(Exception):
    """The app did not become ready; ``reason`` is ``exited``, ``timeout`` or ``not_found``."""

    def __init__(
        self, reason: str, elapsed: float, attempts: int, last_seen: str, exit_code: int | None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.elapsed = elapsed
        self.attempts = attempts
        self.last_seen = last_seen
        self.exit_code = exit_code


def probe(host: str, port: int, path: str, timeout: float) -> tuple[int | None, str]:
    """GET ``path`` once, directly (no proxy). Return (status or None, what was seen)."""
    connection = http.client.HTTPConnection(host, port, timeout=max(timeout, 0.001))
    try:
        connection.request("GET", path, headers={"Connection": "close", "User-Agent": "harness-readiness"})
        response = connection.getresponse()
        response.read()
        return response.status, f"status {response.status} {response.reason}"
    except ConnectionRefusedError:
        return None, REFUSED
    except TimeoutError:
        return None, f"no answer within {timeout:.2f} s"
    except http.client.HTTPException as error:
        return None, f"a malformed HTTP answer ({type(error).__name__}: {error})"
    except OSError as error:
        return None, f"{type(error).__name__}: {error}"
    finally:
        connection.close()


def refused_interval(waited: float) -> float:
    """The pause before the next probe while the port refuses, ``waited`` s into the wait."""
    return min(max(waited * REFUSED_SHARE, REFUSED_MIN_INTERVAL), REFUSED_MAX_INTERVAL)


#: Called after every probe with (attempts so far, what the last one saw).
Progress = Callable[[int, str], None]


def wait_until_ready(
    process: subprocess.Popen[bytes],
    host: str,
    port: int,
    path: str,
    timeout: float,
    *,
    on_progress: Progress | None = None,
    cancelled: threading.Event | None = None,
) -> Ready:
    """Probe ``http://host:port{path}`` until it answers 2xx; raise :class:`NotReady` otherwise
    (also, at once, when ``cancelled`` is set: the run is stopping while this app starts ahead)."""
    started = time.monotonic()
    deadline = started + timeout
    interval = FIRST_INTERVAL
    attempts = 0
    last_seen = "no attempt yet"
    not_found_since: float | None = None
    while True:
        code = process.poll()
        now = time.monotonic()
        if code is not None:
            raise NotReady("exited", now - started, attempts, last_seen, code)
        if now >= deadline:
            raise NotReady("timeout", now - started, attempts, last_seen, None)
        if cancelled is not None and cancelled.is_set():
            raise NotReady("cancelled", now - started, attempts, last_seen, None)
        attempts += 1
        status, last_seen = probe(host, port, path, deadline - now)
        if on_progress is not None:
            on_progress(attempts, last_seen)
        now = time.monotonic()
        if status is not None and 200 <= status < 300:
            return Ready(now - started, attempts)
        refused = last_seen == REFUSED
        if status == 404:
            not_found_since = not_found_since if not_found_since is not None else now
            if now - not_found_since >= NOT_FOUND_GRACE:
                raise NotReady("not_found", now - started, attempts, last_seen, None)
        else:
            not_found_since = None
        if refused:
            wait = refused_interval(now - started)
            interval = FIRST_INTERVAL  # should it answer next, unhealthy: back off from the start
        else:
            wait, interval = interval, min(interval * GROWTH, MAX_INTERVAL)
        wait_for_exit(process, min(wait, max(deadline - now, 0.0)))
