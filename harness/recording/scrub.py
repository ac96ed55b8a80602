"""What never reaches a recording: credentials and every value harness's masking rules hide.

* headers: the secret ones (``api-key``, ``Authorization``, ``Ocp-Apim-Subscription-Key``,
  ``Cookie``, ``Set-Cookie``, ...; :data:`harness.secrets.SECRET_HEADERS`) are left out whole;
  hop-by-hop and per-connection headers too (they describe one connection, not the exchange);
  other values are masked by value;
* the path and query parameters: masked by value (a known secret, a JWT), query parameters also
  by name (``sig=``, ``api-key=``, ...);
* bodies: JSON is walked: a string under a secret-looking name (``password``, ``token``, ``key``)
  is masked, every string masked by value (JWTs, connection strings, PEM keys); text is masked by
  value; binary is kept as it is;
* ``known`` values (the upstream's credentials, the app's own secret values) are masked wherever
  they appear.

The same rules turn a live request into the form its recording has, so a request whose body
holds a masked value still matches on replay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.recording.cassette import Exchange, RecordedRequest, RecordedResponse
from harness.secrets import MASK, is_secret_header, is_secret_name, mask_text, mask_value

#: Headers that describe one connection or one transfer, not the exchange; never recorded.
CONNECTION_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "host",
        "date",
        "accept-encoding",
        "content-encoding",
    }
)
#: Headers that carry credentials or session state, beyond harness's secret headers.
CREDENTIAL_HEADERS = frozenset({"cookie", "set-cookie", "proxy-authorization", "www-authenticate"})


def _masked_string(name: str | None, value: str, known: Sequence[str]) -> str:
    if name is not None and is_secret_name(name) and value:
        return MASK
    return mask_text(value, known)


def _scrub_json(value: Any, known: Sequence[str], name: str | None = None) -> Any:
    if isinstance(value, dict):
        return {key: _scrub_json(item, known, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_json(item, known, name) for item in value]
    if isinstance(value, str):
        return _masked_string(name, value, known)
    return value


def _scrub_json_text(text: str, known: Sequence[str]) -> str | None:
    """``text`` (JSON) with its secrets masked, compact; the same text if it has none; None if it
    is not JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    scrubbed = _scrub_json(value, known)
    return text if scrubbed == value else json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))


def scrub_body(body: bytes, content_type: str, known: Sequence[str]) -> bytes:
    """``body`` with its secrets masked (unchanged if it has none)."""
    if not body:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    masked: str | None = None
    if media == "application/json" or media.endswith("+json") or (not media and text[:1] in "{["):
        masked = _scrub_json_text(text, known)
    if masked is None and media == "text/event-stream":
        masked = _scrub_events(text, known)
    if masked is None:
        masked = mask_text(text, known)
    return body if masked == text else masked.encode("utf-8")


def _scrub_events(text: str, known: Sequence[str]) -> str:
    lines = []
    for line in text.split("\n"):
        data = line[len("data:") :].strip() if line.startswith("data:") else ""
        scrubbed = _scrub_json_text(data, known) if data[:1] in "{[" else None
        if scrubbed is None:
            lines.append(mask_text(line, known))
        else:
            lines.append(line if scrubbed == data else f"data: {scrubbed}")
    return "\n".join(lines)


def scrub_headers(headers: Iterable[tuple[str, str]], known: Sequence[str]) -> dict[str, str]:
    """Headers as a recording keeps them: names in lower case, sorted; secret and per-connection
    headers left out; repeated headers joined with ", "."""
    kept: dict[str, str] = {}
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in CONNECTION_HEADERS or name in CREDENTIAL_HEADERS or is_secret_header(name):
            continue
        if is_secret_name(name):  # x-functions-key, x-ms-token, ...
            continue
        masked = mask_text(value, known)
        kept[name] = f"{kept[name]}, {masked}" if name in kept else masked
    return dict(sorted(kept.items()))


def scrub_query(query: Mapping[str, Sequence[str]], known: Sequence[str]) -> dict[str, list[str]]:
    """Query parameters with their secrets masked (by name and by value)."""
    return {
        name: [mask_text(mask_value(name, value), known) for value in values]
        for name, values in query.items()
    }


def scrub_request(request: RecordedRequest, known: Sequence[str]) -> RecordedRequest:
    headers = scrub_headers(request.headers.items(), known)
    return RecordedRequest(
        request.method,
        mask_text(request.path, known),  # some APIs take a key in the path (/bot<token>/...)
        scrub_query(request.query, known),
        headers,
        scrub_body(request.body, request.headers.get("content-type", ""), known),
    )


def scrub_exchange(exchange: Exchange, known: Sequence[str]) -> Exchange:
    """``exchange`` as it may be written to a file."""
    response = exchange.response
    return Exchange(
        scrub_request(exchange.request, known),
        RecordedResponse(
            response.status,
            scrub_headers(response.headers.items(), known),
            scrub_body(response.body, response.content_type, known),
        ),
    )
