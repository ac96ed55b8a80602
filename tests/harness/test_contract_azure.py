"""harness.contract on the vendored Azure documents: what the Azure SDKs send and what the services
answer, including the places where the documents and the real services disagree (asserted, so that
a new document version that fixes them shows up here)."""

from __future__ import annotations

import hashlib
import json
import re
import timeit
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import pytest

from harness.contract import Contract, Operation, Violation, load_contract

AZURE = Path(__file__).resolve().parents[1] / "data" / "openapi" / "azure"
AOAI = "cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json"
SEARCH = "search/data-plane/Azure.Search/stable/2024-07-01/searchindex.json"
SAFETY = "cognitiveservices/data-plane/ContentSafety/stable/2023-10-01/contentsafety.json"
JSON = {"Content-Type": "application/json"}
CHAT = "/openai/deployments/gpt-4o/chat/completions"
EMBEDDINGS = "/openai/deployments/text-embedding-3-small/embeddings"
SEARCH_POST = "/indexes('docs')/docs/search.post.search"


@cache
def contract(document: str) -> Contract:
    return load_contract(AZURE / document, root=AZURE)


def operation(document: str, method: str, path: str) -> Operation:
    found = contract(document).operation(method, path)
    assert found is not None, contract(document).describe_operations(method, path)
    return found


def send(
    document: str,
    method: str,
    path: str,
    *,
    query: Mapping[str, Sequence[str]],
    body: object = None,
    headers: Mapping[str, str] = JSON,
) -> list[str]:
    raw = b"" if body is None else json.dumps(body).encode()
    found = operation(document, method, path).validate_request(
        path=path, query=query, headers=headers, body=raw
    )
    return [violation.describe() for violation in found]


def answer(
    document: str,
    method: str,
    path: str,
    status: int,
    body: object,
    *,
    content_type: str = "application/json",
) -> list[Violation]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return operation(document, method, path).validate_response(
        status=status, headers={"Content-Type": content_type}, body=raw
    )


# -- the vendored files ---------------------------------------------------------------------------


def test_every_vendored_file_is_listed_with_its_checksum() -> None:
    listed = dict(
        re.findall(
            r"^## (\S+)\n\n(?:- .*\n)*?- sha256: ([0-9a-f]{64})$", (AZURE / "SOURCES.md").read_text(), re.M
        )
    )
    files = {path.relative_to(AZURE).as_posix(): path for path in AZURE.rglob("*") if path.is_file()}
    files.pop("SOURCES.md")
    assert set(listed) == set(files)
    for name, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[name], name
    assert (AZURE / "SOURCES.md").read_text().count("- repository: Azure/azure-rest-api-specs") == len(files)


# -- what the SDKs call ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "method", "path", "operation_id"),
    [
        (AOAI, "POST", CHAT, "ChatCompletions_Create"),
        (AOAI, "POST", EMBEDDINGS, "embeddings_create"),
        (AOAI, "POST", "/openai/deployments/dall-e-3/images/generations", "ImageGenerations_Create"),
        (SEARCH, "POST", SEARCH_POST, "Documents_SearchPost"),
        (SEARCH, "GET", "/indexes('docs')/docs", "Documents_SearchGet"),
        (SEARCH, "GET", "/indexes('docs')/docs('1')", "Documents_Get"),
        (SEARCH, "GET", "/indexes('docs')/docs/$count", "Documents_Count"),
        (SEARCH, "POST", "/indexes('docs')/docs/search.index", "Documents_Index"),
        (SAFETY, "POST", "/contentsafety/text:analyze", "TextOperations_AnalyzeText"),
        (SAFETY, "POST", "/contentsafety/image:analyze", "ImageOperations_AnalyzeImage"),
        (
            SAFETY,
            "PATCH",
            "/contentsafety/text/blocklists/mine",
            "TextBlocklists_CreateOrUpdateTextBlocklist",
        ),
        (
            SAFETY,
            "POST",
            "/contentsafety/text/blocklists/mine:addOrUpdateBlocklistItems",
            "TextBlocklists_AddOrUpdateBlocklistItems",
        ),
    ],
)
def test_sdk_paths_find_their_operation(document: str, method: str, path: str, operation_id: str) -> None:
    assert operation(document, method, path).operation_id == operation_id


def test_paths_the_documents_do_not_have() -> None:
    # The v1 API and the unquoted index spelling (both served by the simulators) are not in these documents.
    assert contract(AOAI).operation("POST", "/openai/v1/chat/completions") is None
    assert contract(SEARCH).operation("POST", "/indexes/docs/docs/search.post.search") is None


AOAI_QUERY = {"api-version": ["2024-10-21"]}
IMAGE = {"url": "data:,"}
CALL = {"name": "f", "arguments": "{}"}
REPLY = {"role": "assistant", "content": "Hi", "refusal": None}


def test_chat_requests_as_the_openai_sdk_sends_them() -> None:
    simple = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    assert send(AOAI, "POST", CHAT, query=AOAI_QUERY, body=simple) == []
    tools = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": IMAGE}],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c", "type": "function", "function": CALL}],
            },
            {"role": "tool", "tool_call_id": "c", "content": "42"},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
        "temperature": 0.2,
        "max_tokens": 5,
        "seed": 1,
        "logprobs": True,
        "top_logprobs": 2,
    }
    assert send(AOAI, "POST", CHAT, query=AOAI_QUERY, body=tools) == []


def test_chat_request_violations() -> None:
    body = {"messages": [{"role": "robot", "content": "x"}], "temperature": "hot"}
    assert send(AOAI, "POST", CHAT, query={}, body=body) == [
        "query parameter 'api-version': required, but the request does not have it "
        "(schema: #/paths/~1deployments~1{deployment-id}~1chat~1completions/post/parameters/1/required)",
        "request body at $.temperature: 'hot' is not of type 'number' "
        "(schema: #/components/schemas/chatCompletionsRequestCommon/properties/temperature/type)",
        "request body at $.messages[0].role: "
        "'robot' is not one of ['system', 'user', 'assistant', 'tool', 'function'] "
        "(schema: #/components/schemas/chatCompletionRequestMessage/oneOf)",
    ]
    (missing,) = send(AOAI, "POST", CHAT, query=AOAI_QUERY, body={"messages": []})
    assert missing == (
        "request body at $.messages: [] should be non-empty "
        "(schema: #/components/schemas/createChatCompletionRequest/allOf/1/properties/messages/minItems)"
    )


def test_documented_departures_of_the_aoai_document() -> None:
    # 2024-10-21 predates the `developer` role, and its json_schema format requires a `type` inside
    # `json_schema` that the openai SDK (rightly) does not send.
    structured = {
        "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
    }
    assert send(AOAI, "POST", CHAT, query=AOAI_QUERY, body=structured) == [
        "request body at $.response_format.json_schema: 'type' is a required property "
        "(schema: #/components/schemas/ResponseFormatJsonSchema/properties/json_schema/required)"
    ]
    # Streaming answers are not documented (200 is application/json only).
    (stream,) = answer(AOAI, "POST", CHAT, 200, b"data: [DONE]\n\n", content_type="text/event-stream")
    assert stream.where == "response content type"
    # The openai SDK asks for base64 embeddings; the document knows only arrays of numbers.
    embedded = {
        "object": "list",
        "model": "m",
        "data": [{"index": 0, "object": "embedding", "embedding": "AAAA"}],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
    assert (
        send(AOAI, "POST", EMBEDDINGS, query=AOAI_QUERY, body={"input": ["a"], "encoding_format": "base64"})
        == []
    )
    assert only(answer(AOAI, "POST", EMBEDDINGS, 200, embedded)).instance_path == "$.data[0].embedding"
    # Embeddings (and audio) document no error responses at all.
    assert only(
        answer(AOAI, "POST", EMBEDDINGS, 429, {"error": {"code": "429", "message": "slow down"}})
    ).message == (
        "status 429 is not documented for POST /openai/deployments/{deployment-id}/embeddings "
        "(documented: 200)"
    )


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


def test_aoai_answers() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": REPLY}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip
    assert answer(AOAI, "POST", CHAT, 200, completion) == []
    # oneOf [completion, stream chunk]: the option whose `object` enum matched tells what is wrong.
    del completion["choices"][0]["logprobs"]  # type: ignore[index]
    violation = only(answer(AOAI, "POST", CHAT, 200, completion))
    assert (violation.instance_path, violation.message) == (
        "$.choices[0]",
        "'logprobs' is a required property",
    )
    assert (
        violation.schema_path
        == "#/components/schemas/createChatCompletionResponse/properties/choices/items/required"
    )


def test_error_envelopes() -> None:
    # AOAI errorResponse: error.{code, message, param, type} all optional strings, NOT nullable;
    # `inner_error` in the document (the service sends `innererror`: an extra property, accepted).
    assert (
        answer(AOAI, "POST", CHAT, 400, {"error": {"code": "x", "message": "y", "innererror": {"code": "z"}}})
        == []
    )
    violations = answer(
        AOAI, "POST", CHAT, 400, {"error": {"code": "x", "message": "y", "param": None, "type": None}}
    )
    assert sorted(v.instance_path for v in violations) == ["$.error.param", "$.error.type"]
    assert {v.schema_path for v in violations} == {
        "#/components/schemas/error/properties/param/type",
        "#/components/schemas/error/properties/type/type",
    }
    # Search: common-types ErrorResponse (error.{code, message, target, details, additionalInfo}),
    # none of them nullable.
    assert answer(SEARCH, "POST", SEARCH_POST, 400, {"error": {"code": "", "message": "bad"}}) == []
    violation = only(
        answer(SEARCH, "POST", SEARCH_POST, 400, {"error": {"code": "", "message": "bad", "target": None}})
    )
    assert (
        violation.schema_path == "../../../../../common-types/data-plane/v1/types.json"
        "#/definitions/ErrorDetail/properties/target/type"
    )
    # Content Safety: Azure.Core.Foundations.ErrorResponse: error.code and error.message required.
    safety = "/contentsafety/text:analyze"
    assert (
        answer(SAFETY, "POST", safety, 401, {"error": {"code": "401", "message": "denied", "details": []}})
        == []
    )
    violation = only(answer(SAFETY, "POST", safety, 400, {"error": {"code": "InvalidRequestBody"}}))
    assert (violation.message, violation.schema_path) == (
        "'message' is a required property",
        "#/definitions/Azure.Core.Foundations.Error/required",
    )


SEARCH_QUERY = {"api-version": ["2024-07-01"]}


def test_search_requests_and_answers() -> None:
    body = {
        "search": "*",
        "count": True,
        "top": 5,
        "select": "id,title",
        "queryType": "semantic",
        "vectorQueries": [{"kind": "vector", "vector": [0.1, 0.2], "fields": "embedding", "k": 3}],
    }
    assert send(SEARCH, "POST", SEARCH_POST, query=SEARCH_QUERY, body=body) == []
    text_query = {
        "vectorQueries": [{"kind": "text", "fields": "embedding"}]
    }  # VectorizableTextQuery needs `text`
    assert send(SEARCH, "POST", SEARCH_POST, query=SEARCH_QUERY, body=text_query) == [
        "request body at $.vectorQueries[0]: 'text' is a required property "
        "(schema: #/definitions/VectorizableTextQuery/required)"
    ]
    query = {**SEARCH_QUERY, "search": ["*"], "$top": ["3"], "$count": ["true"], "searchMode": ["all"]}
    assert send(SEARCH, "GET", "/indexes('docs')/docs", query=query, headers={}) == []
    results = {"@odata.context": "x", "@odata.count": 1, "value": [{"@search.score": 1.0, "id": "1"}]}
    assert answer(SEARCH, "POST", SEARCH_POST, 200, results) == []
    # The service answers `errorMessage: null` for a success, and $count as text/plain: the document
    # says neither (not x-nullable; produces application/json).
    indexed = {"value": [{"key": "1", "status": True, "errorMessage": None, "statusCode": 201}]}
    index_path = "/indexes('docs')/docs/search.index"
    assert only(answer(SEARCH, "POST", index_path, 200, indexed)).instance_path == "$.value[0].errorMessage"
    count = "/indexes('docs')/docs/$count"
    assert (
        only(answer(SEARCH, "GET", count, 200, b"3", content_type="text/plain; charset=utf-8")).where
        == "response content type"
    )
    assert answer(SEARCH, "GET", count, 200, b"3") == []


def test_content_safety_requests() -> None:
    query = {"api-version": ["2023-10-01"]}
    analyze = {"text": "hello", "categories": ["Hate", "Violence"], "outputType": "FourSeverityLevels"}
    assert send(SAFETY, "POST", "/contentsafety/text:analyze", query=query, body=analyze) == []
    assert (
        send(SAFETY, "POST", "/contentsafety/image:analyze", query=query, body={"image": {"content": "aGk="}})
        == []
    )
    (bad,) = send(
        SAFETY,
        "POST",
        "/contentsafety/image:analyze",
        query=query,
        body={"image": {"content": "not base64!"}},
    )
    assert bad.startswith("request body at $.image.content: 'not base64!' is not a 'byte'")
    merge = {"Content-Type": "application/merge-patch+json"}
    blocklist = "/contentsafety/text/blocklists/my-list"
    assert send(SAFETY, "PATCH", blocklist, query=query, body={"description": "d"}, headers=merge) == []
    (wrong,) = send(SAFETY, "PATCH", blocklist, query=query, body={"description": "d"})
    assert wrong.startswith(
        "request content type: 'application/json' is not a documented request content type"
    )
    (name,) = send(
        SAFETY, "PATCH", "/contentsafety/text/blocklists/bad name", query=query, body={}, headers=merge
    )
    assert name.startswith("path parameter 'blocklistName': 'bad name' does not match '^[0-9A-Za-z._~-]+$'")
    items = {
        "blocklistItems": [{"text": "bad", "description": "d"}]
    }  # blocklistItemId: readOnly, so not required
    assert send(SAFETY, "POST", f"{blocklist}:addOrUpdateBlocklistItems", query=query, body=items) == []


def test_validation_cost_per_call() -> None:
    chat = operation(AOAI, "POST", CHAT)
    body = json.dumps(
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    ).encode()
    headers = {"Content-Type": "application/json", "api-key": "k"}
    reply = json.dumps(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": "Hi", "refusal": None},
                }
            ],
        }
    ).encode()
    assert chat.validate_request(path=CHAT, query=AOAI_QUERY, headers=headers, body=body) == []
    assert chat.validate_response(status=200, headers=JSON, body=reply) == []
    request_cost = (
        timeit.timeit(
            lambda: chat.validate_request(path=CHAT, query=AOAI_QUERY, headers=headers, body=body), number=50
        )
        / 50
    )
    response_cost = (
        timeit.timeit(lambda: chat.validate_response(status=200, headers=JSON, body=reply), number=50) / 50
    )
    # Generous bounds (about 0.3 ms and 0.15 ms on a developer machine): they catch a validator
    # rebuilt per call.
    assert request_cost < 0.01
    assert response_cost < 0.01
