"""HTTP routes, JSON error handlers and per-request logging."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from openai import AzureOpenAI, Stream
from openai.types.chat import ChatCompletionChunk
from werkzeug.exceptions import HTTPException

from . import chat, errors, safety, search
from .settings import Settings

log = logging.getLogger("sample_app.request")
bp = Blueprint("api", __name__)

_ROLES = ("system", "user", "assistant")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["sample_app.settings"]
    return settings


def _client() -> AzureOpenAI:
    client: AzureOpenAI = current_app.extensions["sample_app.openai"]
    return client


@bp.get("/api/health")
def health() -> Response:
    return jsonify(status="ok")


@bp.post("/api/conversation")
def conversation() -> Response:
    settings, client = _settings(), _client()
    messages, stream = _parse_body(request.get_json(force=True, silent=True))
    question = next(m["content"] for m in reversed(messages) if m["role"] == "user")

    # Order matters: a blocked question must not reach search or the model at all.
    if settings.content_safety_enabled:
        safety.check(settings, question)
    documents = search.retrieve(settings, client, question) if settings.search_enabled else None
    prompt = [chat.system_message(documents), *messages]
    citations = [doc.citation() for doc in documents or []]

    if not stream:
        return jsonify(answer=chat.complete(settings, client, prompt), citations=citations)
    upstream = chat.open_stream(settings, client, prompt)
    g.streaming = True
    return Response(
        _events(upstream, citations),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _parse_body(body: Any) -> tuple[list[dict[str, str]], bool]:
    if not isinstance(body, dict):
        raise errors.BadRequest("the request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise errors.BadRequest("'messages' must be a non-empty list")
    cleaned = []
    for index, message in enumerate(messages):
        if (
            not isinstance(message, dict)
            or message.get("role") not in _ROLES
            or not isinstance(message.get("content"), str)
        ):
            raise errors.BadRequest(
                f"messages[{index}] must be an object with 'role' ({'/'.join(_ROLES)}) and string 'content'"
            )
        # Forward only what the model needs; clients sometimes echo ids or citations back.
        cleaned.append({"role": message["role"], "content": message["content"]})
    if not any(m["role"] == "user" for m in cleaned):
        raise errors.BadRequest("'messages' must contain at least one message with role 'user'")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise errors.BadRequest("'stream' must be a boolean")
    return cleaned, stream


def _sse(payload: dict[str, Any], event: str | None = None) -> str:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(payload)}\n\n"


def _events(upstream: Stream[ChatCompletionChunk], citations: list[dict[str, str]]) -> Iterator[str]:
    """The SSE body. It must never raise: the status line is gone, so errors become a final event."""
    started, pieces, outcome = time.monotonic(), 0, "done"
    try:
        yield _sse({"type": "citations", "citations": citations})
        try:
            for content in chat.deltas(upstream):
                pieces += 1
                yield _sse({"type": "delta", "content": content})
        except Exception as exc:  # GeneratorExit (client went away) is not an Exception and passes through
            error = errors.from_openai(exc)
            outcome = f"error {error.code}: {error.message}"
            yield _sse({"type": "error", "error": error.payload()}, event="error")
            return
        yield _sse({"type": "done"})
    except GeneratorExit:
        outcome = "client disconnected"
        raise
    finally:
        try:
            upstream.close()
        except Exception:
            log.debug("closing the upstream stream failed", exc_info=True)
        elapsed_ms = (time.monotonic() - started) * 1000
        level = logging.INFO if outcome == "done" else logging.WARNING
        log.log(level, "stream finished after %d deltas -> %s (%.0f ms)", pieces, outcome, elapsed_ms)


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.monotonic()

    @app.after_request
    def _log_request(response: Response) -> Response:
        elapsed_ms = (time.monotonic() - g.get("started", time.monotonic())) * 1000
        detail = f" {g.error}" if "error" in g else ""
        if g.get("streaming"):
            detail = " (stream started)"
        log.log(
            logging.WARNING if response.status_code >= 500 else logging.INFO,
            "%s %s -> %d%s (%.0f ms)",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            detail,
            elapsed_ms,
        )
        return response

    @app.errorhandler(errors.ApiError)
    def _api_error(exc: errors.ApiError) -> tuple[Response, int]:
        g.error = f"{exc.code}: {exc.message}"
        return jsonify(exc.body()), exc.http_status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        # 404/405/415... keep the JSON shape so clients never have to parse HTML.
        code = (exc.name or "error").lower().replace(" ", "_")
        g.error = code
        return jsonify(error={"code": code, "message": exc.description}), exc.code or 500

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unhandled error")
        g.error = f"internal_error: {type(exc).__name__}"
        return jsonify(error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}), 500
