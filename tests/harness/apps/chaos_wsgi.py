"""A tiny WSGI app for the chaos suite, run by gunicorn with several workers.

Each worker imports this module, so each one records its pid in ``$CHAOS_DIR/pids/worker-<pid>``;
every request answers the pid of the worker that served it.
"""

import os
from collections.abc import Callable, Iterable
from pathlib import Path

_pids = Path(os.environ["CHAOS_DIR"]) / "pids"
_pids.mkdir(parents=True, exist_ok=True)
(_pids / f"worker-{os.getpid()}").write_text(str(os.getpid()))


def app(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
