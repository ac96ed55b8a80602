"""Recorded exchanges and the file they live in: one readable JSON file per test.

A recording file holds, for one test, the exchanges each service of a ``recordings`` folder had
with its real upstream::

    {
      "format": "harness-recording/1",
      "test": "tests/functional/test_chat.py::test_answer",
      "services": {
        "openai": {
          "upstream": "https://example.openai.azure.com",
          "exchanges": [
            {"request": {"method": "POST", "path": "/openai/...", "query": {"api-version": ["2024-10-21"]},
                         "headers": {"content-type": "application/json"}, "body": {"json": {...}}},
             "response": {"status": 200, "headers": {...}, "body": {"json": {...}}}}
          ]
        }
      }
    }

Bodies are decoded where they are text: ``{"json": value}`` for JSON, ``{"events": [...]}`` for a
server-sent event stream (one string per event), ``{"text": "..."}`` for other text and
``{"base64": "..."}`` for the rest. Keys are sorted and the file indented, so a re-recording's diff
shows what changed and nothing else. The ``format`` key is harness's mark: a file without it is not
harness's, and is never overwritten.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

#: The mark of a recording file (and its format's version).
FORMAT = "harness-recording/1"

#: What a body is in a file: exactly one of these keys.
BODY_KINDS = ("json", "events", "text", "base64")


@dataclass(frozen=True)
class RecordedRequest:
    """What the app sent (secrets already removed)."""

    method: str
    path: str
    #: Query parameters, each name with its values in order.
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Header names in lower case.
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class RecordedResponse:
    """What the upstream answered (secrets already removed)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def is_event_stream(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() == "text/event-stream"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer."""

    request: RecordedRequest
    response: RecordedResponse


class RecordingFileError(HarnessError):
    """A recording file that cannot be read or must not be written."""


# -- file names --------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=,+@]")


def recording_path(folder: Path, test: str) -> Path:
    """Where the recording of ``test`` (a pytest node id, or any name) lives under ``folder``:
    ``tests/functional/test_chat.py::TestChat::test_answer[x]`` ->
    ``<folder>/tests/functional/test_chat/TestChat.test_answer[x].json`` (pytest-recording's and
    vcrpy's convention: a folder per module, a file per test)."""
    module, _, rest = test.partition("::")
    if not rest:
        module, rest = "", test
    parts = [part for part in re.split(r"[\\/]+", module) if part not in ("", ".", "..")]
    if parts and parts[-1].endswith(".py"):
        parts[-1] = parts[-1][: -len(".py")]
    name = ".".join(piece for piece in rest.split("::") if piece)
    safe_parts = [_UNSAFE.sub("_", part) for part in parts]
    safe_name = _UNSAFE.sub("_", name)[:200] or "test"
    if safe_name.startswith("."):
        safe_name = "_" + safe_name[1:]
    return folder.joinpath(*safe_parts, f"{safe_name}.json")


# -- bodies --------------------------------------------------------------------------------------------


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def encode_body(body: bytes, content_type: str) -> dict[str, Any] | None:
    """A body as it is written to a file (None: no body)."""
    if not body:
        return None
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}
    if media == "text/event-stream":
        events = [event for event in re.split(r"\r?\n\r?\n", text) if event.strip()]
        # Only when the events give back the same bytes: else the text keeps it exact.
        if "\n\n".join(events) + "\n\n" == text:
            return {"events": events}
        return {"text": text}
    if _is_json_type(content_type) or (not media and text[:1] in "{["):
        try:
            value = json.loads(text)
        except ValueError:
            return {"text": text}
        if json.dumps(value, ensure_ascii=False) == text or _is_json_type(content_type):
            return {"json": value}
    return {"text": text}


def decode_body(encoded: object, where: str) -> bytes:
    """The bytes a file's body stands for."""
    if encoded is None:
        return b""
    if not isinstance(encoded, dict) or len(encoded) != 1 or next(iter(encoded)) not in BODY_KINDS:
        raise RecordingFileError(
            f"{where}: a body is one of {{{', '.join(BODY_KINDS)}: ...}}, found {encoded!r:.80}"
        )
    kind, value = next(iter(encoded.items()))
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if kind == "events":
        if not isinstance(value, list) or not all(isinstance(event, str) for event in value):
            raise RecordingFileError(f"{where}: events is a list of strings, one per event")
        return "".join(f"{event}\n\n" for event in value).encode("utf-8")
    if not isinstance(value, str):
        raise RecordingFileError(f"{where}: {kind} is a string")
    if kind == "text":
        return value.encode("utf-8")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise RecordingFileError(f"{where}: base64 is not valid base64") from None


# -- exchanges to and from JSON ----------------------------------------------------------------------


def exchange_to_json(exchange: Exchange) -> dict[str, Any]:
    request, response = exchange.request, exchange.response
    recorded_request: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.query:
        recorded_request["query"] = {name: list(values) for name, values in request.query.items()}
    if request.headers:
        recorded_request["headers"] = dict(request.headers)
    body = encode_body(request.body, request.headers.get("content-type", ""))
    if body is not None:
        recorded_request["body"] = body
    recorded_response: dict[str, Any] = {"status": response.status}
    if response.headers:
        recorded_response["headers"] = dict(response.headers)
    body = encode_body(response.body, response.content_type)
    if body is not None:
        recorded_response["body"] = body
    return {"request": recorded_request, "response": recorded_response}


def _mapping_of_strings(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and isinstance(text, str) for name, text in value.items()
    ):
        raise RecordingFileError(f"{where}: expected a table of strings")
    return {name.lower(): text for name, text in value.items()}


def exchange_from_json(value: object, where: str) -> Exchange:
    if not isinstance(value, dict) or not isinstance(value.get("request"), dict):
        raise RecordingFileError(f"{where}: an exchange is {{request: ..., response: ...}}")
    raw_request, raw_response = value["request"], value.get("response")
    if not isinstance(raw_response, dict):
        raise RecordingFileError(f"{where}: an exchange is {{request: ..., response: ...}}")
    method, path = raw_request.get("method"), raw_request.get("path")
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        raise RecordingFileError(f"{where}.request: needs method and path (starting with '/')")
    raw_query = raw_request.get("query") or {}
    if not isinstance(raw_query, dict) or not all(
        isinstance(values, list) and all(isinstance(text, str) for text in values)
        for values in raw_query.values()
    ):
        raise RecordingFileError(f"{where}.request.query: expected {{name: [values]}}")
    request_headers = _mapping_of_strings(raw_request.get("headers"), f"{where}.request.headers")
    request = RecordedRequest(
        method.upper(),
        path,
        {str(name): list(values) for name, values in raw_query.items()},
        request_headers,
        decode_body(raw_request.get("body"), f"{where}.request.body"),
    )
    status = raw_response.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise RecordingFileError(f"{where}.response.status: expected an HTTP status, found {status!r}")
    response = RecordedResponse(
        status,
        _mapping_of_strings(raw_response.get("headers"), f"{where}.response.headers"),
        decode_body(raw_response.get("body"), f"{where}.response.body"),
    )
    return Exchange(request, response)


# -- files ---------------------------------------------------------------------------------------------


def render(test: str, services: Mapping[str, tuple[str | None, Sequence[Exchange]]]) -> str:
    """The text of a recording file: ``services`` maps a name to its upstream and exchanges."""
    document = {
        "format": FORMAT,
        "test": test,
        "services": {
            name: {
                **({"upstream": upstream} if upstream else {}),
                "exchanges": [exchange_to_json(exchange) for exchange in exchanges],
            }
            for name, (upstream, exchanges) in services.items()
        },
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class RecordingFile:
    """A recording file as read: its test and each service's exchanges."""

    path: Path
    test: str
    services: Mapping[str, Sequence[Exchange]]
    upstreams: Mapping[str, str] = field(default_factory=dict)


def _load_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RecordingFileError(f"cannot read the recording {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RecordingFileError(f"the recording {path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise RecordingFileError(
            f"the recording {path} is not valid JSON ({error}); fix: record it again with --harness-record, "
            "or repair it by hand"
        ) from None


def is_recording(path: Path) -> bool:
    """Whether ``path`` is a file harness wrote as a recording (its mark is there)."""
    try:
        document = _load_json(path)
    except RecordingFileError:
        return False
    return isinstance(document, dict) and document.get("format") == FORMAT


def read_recording(path: Path) -> RecordingFile:
    """Read a recording file; :class:`RecordingFileError` says what is wrong and where."""
    document = _load_json(path)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordingFileError(
            f'{path} is not a harness recording (no "format": "{FORMAT}"); fix: move it out of the '
            "recordings folder (harness reads, and writes, only its own recordings there)"
        )
    raw_services = document.get("services")
    if not isinstance(raw_services, dict):
        raise RecordingFileError(f'{path}: "services" must be a table of services')
    services: dict[str, list[Exchange]] = {}
    upstreams: dict[str, str] = {}
    for name, body in raw_services.items():
        where = f"{path}: services.{name}"
        if not isinstance(body, dict) or not isinstance(body.get("exchanges"), list):
            raise RecordingFileError(f'{where}: expected {{"exchanges": [...]}}')
        services[name] = [
            exchange_from_json(item, f"{where}.exchanges[{index}]")
            for index, item in enumerate(body["exchanges"])
        ]
        if isinstance(body.get("upstream"), str):
            upstreams[name] = body["upstream"]
    return RecordingFile(path, str(document.get("test", "")), services, upstreams)
