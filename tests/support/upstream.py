"""A stand-in for a real service, for record-and-replay tests that never touch the internet.

:func:`real_service` serves, plain or over TLS with a CA of its own (not the run's: the mock must
verify it through ``upstream_ca``), an Azure-OpenAI-like API:

* ``POST /openai/deployments/<d>/chat/completions``: a JSON completion that echoes the last user
  message and says which call it was; with ``"stream": true`` an SSE stream of three chunks and
  ``[DONE]``;
* ``POST /limited``: 429 with ``Retry-After: 1`` on the first call, then 200;
* ``GET /broken``: 500 with a JSON error;
* ``GET /echo-headers``: the headers it received, as JSON (to see which credentials arrived);
* ``GET /held-stream``: one SSE event, then the rest only once ``release`` is set (so a test can
  prove the first event reached it while the upstream was still sending).

It checks the ``api-key`` header against ``key`` (401 otherwise), and counts its requests.
"""

from __future__ import annotations

import contextlib
import json
import re
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

SECRET_KEY = "real-upstream-key-6f1c2a9e8b7d"
#: How long ``/held-stream`` waits for the test.
DEADLINE = 10.0


@dataclass
class RealService:
    """The running stand-in: its URL, its CA bundle (TLS only) and what it received."""

    url: str
    ca_bundle: Path | None
    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    #: Lets ``/held-stream`` send the rest of its events; whether it had to give up waiting.
    release: threading.Event = field(default_factory=threading.Event)
    gave_up: list[bool] = field(default_factory=list)


def _completion(request: Request, service: RealService) -> Response:
    body = request.get_json(silent=True) or {}
    messages = body.get("messages") or [{"content": ""}]
    said = str(messages[-1].get("content", ""))
    number = service.calls.get("chat", 0) + 1
    service.calls["chat"] = number
    if body.get("stream"):
        chunks = [
            {
                "id": "chatcmpl-real",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
            },
            {
                "id": "chatcmpl-real",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": f"real: {said}"}}],
            },
            {
                "id": "chatcmpl-real",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            },
        ]

        def stream() -> Iterator[bytes]:
            for chunk in chunks:
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return Response(stream(), mimetype="text/event-stream")
    answer = {
        "id": f"chatcmpl-real-{number}",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"real: {said}"},
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    headers = {"x-request-id": f"req-{number}"}
    return Response(json.dumps(answer), mimetype="application/json", headers=headers)


def _handler(service: RealService) -> object:
    lock = threading.Lock()

    def handle(request: Request) -> Response:
        with lock:
            service.received.append((request.method, request.full_path, dict(request.headers)))
        if request.headers.get("api-key") != SECRET_KEY:
            return Response(json.dumps({"error": {"code": "401", "message": "Access denied"}}), status=401)
        if request.path == "/echo-headers":
            return Response(json.dumps(dict(request.headers)), mimetype="application/json")
        if request.path == "/limited":
            with lock:
                number = service.calls.get("limited", 0) + 1
                service.calls["limited"] = number
            if number == 1:
                error = {"error": {"code": "429", "message": "Rate limit exceeded. Retry after 1 second."}}
                headers = {"Retry-After": "1"}
                return Response(json.dumps(error), status=429, mimetype="application/json", headers=headers)
            return Response(json.dumps({"ok": True, "call": number}), mimetype="application/json")
        if request.path == "/held-stream":

            def held() -> Iterator[bytes]:
                yield b"data: first\n\n"
                service.gave_up.append(not service.release.wait(DEADLINE))
                yield b"data: second\n\ndata: [DONE]\n\n"

            return Response(held(), mimetype="text/event-stream")
        if request.path == "/broken":
            error = {"error": {"code": "InternalServerError", "message": "The server had an error."}}
            return Response(json.dumps(error), status=500, mimetype="application/json")
        if request.path.endswith("/chat/completions") and request.method == "POST":
            return _completion(request, service)
        return Response("not found", status=404)

    return handle


@contextlib.contextmanager
def real_service(directory: Path, *, tls: bool = False) -> Iterator[RealService]:
    """The stand-in, running until the block ends; with ``tls``, its CA bundle written under
    ``directory`` (``upstream-ca.pem``)."""
    context = None
    ca_bundle = None
    if tls:
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        ca_bundle = directory / "upstream-ca.pem"
        authority.cert_pem.write_to_path(str(ca_bundle))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    scheme = "https" if tls else "http"
    service = RealService(f"{scheme}://127.0.0.1:{server.port}", ca_bundle)
    server.expect_request(re.compile(".*")).respond_with_handler(_handler(service))  # type: ignore[arg-type]
    try:
        yield service
    finally:
        server.clear()
        server.stop()
