"""harness.contract: the answer for an unprimed request, valid by construction and deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.contract import Contract, ExampleResponse, Operation, load_contract

DATA = Path(__file__).resolve().parents[1] / "data" / "openapi"
AZURE = DATA / "azure"
AZURE_DOCUMENTS = {
    "aoai": AZURE / "cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json",
    "search": AZURE / "search/data-plane/Azure.Search/stable/2024-07-01/searchindex.json",
    "safety": AZURE / "cognitiveservices/data-plane/ContentSafety/stable/2023-10-01/contentsafety.json",
}
OWN_DOCUMENTS = ("petstore-3.0.yaml", "notes-3.1.json", "search-2.0.json")


def everything() -> list[tuple[Path, Path, str, str]]:
    """(document, root, method, path template) of every operation of every test document."""
    cases = []
    for document in AZURE_DOCUMENTS.values():
        cases += [
            (document, AZURE, op.method, op.path_template)
            for op in load_contract(document, root=AZURE).operations()
        ]
    for name in OWN_DOCUMENTS:
        cases += [
            (DATA / name, DATA, op.method, op.path_template)
            for op in load_contract(DATA / name, root=DATA).operations()
        ]
    return cases


def find(contract: Contract, method: str, template: str) -> Operation:
    return next(op for op in contract.operations() if (op.method, op.path_template) == (method, template))


def check(operation: Operation, example: ExampleResponse) -> None:
    headers = {"Content-Type": example.content_type} if example.content_type else {}
    problems = operation.validate_response(status=example.status, headers=headers, body=example.body)
    assert problems == [], [problem.describe() for problem in problems]


def example_of(operation: Operation) -> ExampleResponse:
    example = operation.example_response()
    assert example is not None
    return example


@pytest.mark.parametrize(
    ("document", "root", "method", "template"),
    everything(),
    ids=lambda value: str(getattr(value, "name", value)),
)
def test_every_example_validates_and_is_deterministic(
    document: Path, root: Path, method: str, template: str
) -> None:
    operation = find(load_contract(document, root=root), method, template)
    example = example_of(operation)
    assert 200 <= example.status < 300
    check(operation, example)
    if example.body:
        assert example.content_type is not None
        json.loads(example.body)
    again = example_of(find(load_contract(document, root=root), method, template))
    assert again == example


def test_every_azure_operation_has_an_example() -> None:
    counted = {}
    for name, document in AZURE_DOCUMENTS.items():
        operations = load_contract(document, root=AZURE).operations()
        assert all(op.example_response() is not None for op in operations)
        counted[name] = len(operations)
    assert counted == {"aoai": 6, "search": 9, "safety": 10}


def test_aoai_chat_completion_example() -> None:
    contract = load_contract(AZURE_DOCUMENTS["aoai"], root=AZURE)
    operation = contract.operation("POST", "/openai/deployments/gpt-4o/chat/completions")
    assert operation is not None
    example = example_of(operation)
    assert (example.status, example.content_type) == (200, "application/json")
    check(operation, example)
    body = json.loads(example.body)
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert set(body["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert example.source.startswith(
        "generated from the schema at #/paths/~1deployments~1{deployment-id}~1chat~1completions"
    )


def test_overlapping_one_of_options_still_get_a_valid_example() -> None:
    # AOAI's audio answer is oneOf [audioResponse, audioVerboseResponse]; the second extends the
    # first, so {"text": ...} alone is valid under both (which oneOf refuses).
    contract = load_contract(AZURE_DOCUMENTS["aoai"], root=AZURE)
    operation = contract.operation("POST", "/openai/deployments/whisper/audio/transcriptions")
    assert operation is not None
    assert operation.validate_response(
        status=200, headers={"Content-Type": "application/json"}, body=b'{"text": "hi"}'
    )
    example = example_of(operation)
    check(operation, example)
    assert json.loads(example.body)["text"] == "string"


def test_the_documents_own_examples_come_first() -> None:
    petstore = load_contract(DATA / "petstore-3.0.yaml", root=DATA)
    create = find(petstore, "POST", "/api/{version}/pets")
    example = example_of(create)
    assert (example.status, json.loads(example.body)) == (201, {"id": 7, "name": "Rex", "kind": "dog"})
    assert example.source == (
        "the document's example at #/paths/~1pets/post/responses/201/content/application~1json/example"
    )
    swagger = load_contract(DATA / "search-2.0.json", root=DATA)
    index = example_of(find(swagger, "POST", "/indexes('{indexName}')/docs/search.index"))
    assert index.source == (
        "the document's example at #/paths/~1docs~1search.index/post/responses/200/examples/application~1json"
    )


def test_an_invalid_document_example_is_not_used() -> None:
    notes = load_contract(DATA / "notes-3.1.json", root=DATA)
    example = example_of(find(notes, "GET", "/v2/notes/{noteId}"))
    assert example.source == (
        "generated from the schema at #/components/schemas/Note (the document's example at "
        "#/paths/~1notes~1{noteId}/get/responses/200/content/application~1json/examples/bad/value "
        "does not validate)"
    )


def test_x_ms_examples_files_present_in_the_project_are_used() -> None:
    aoai = load_contract(AZURE_DOCUMENTS["aoai"], root=AZURE)
    images = example_of(find(aoai, "POST", "/openai/deployments/{deployment-id}/images/generations"))
    assert images.source.startswith("the document's example at examples/image_generation.json (x-ms-examples")
    search = load_contract(AZURE_DOCUMENTS["search"], root=AZURE)  # its example files are not vendored
    count = example_of(find(search, "GET", "/indexes('{indexName}')/docs/$count"))
    assert (count.body, count.source) == (
        b"0",
        "generated from the schema at #/paths/~1docs~1$count/get/responses/200/schema",
    )


def test_generated_values_follow_the_schema() -> None:
    petstore = load_contract(DATA / "petstore-3.0.yaml", root=DATA)
    pet = json.loads(example_of(find(petstore, "GET", "/api/{version}/pets/{petId}")).body)
    assert pet == {
        "id": 0,
        "name": "string",
        "kind": "dog",
        "tag": "string",
        "born": "2024-01-01",
        "owner": {"name": "string", "email": "user@example.com"},  # no writeOnly password in a response
        "price": {"amount": 0.01, "currency": "AAA"},  # exclusiveMinimum 0, multipleOf 0.01, ^[A-Z]{3}$
    }
    assert list(pet) == ["id", "name", "kind", "tag", "born", "owner", "price"]  # schema order
    notes = load_contract(DATA / "notes-3.1.json", root=DATA)
    note = json.loads(example_of(find(notes, "POST", "/v2/notes")).body)
    assert note == {
        "id": "n-42",
        "title": "string",
        "body": "string",
        "tags": ["string", "string1"],
        "score": 0.5,
    }


def test_recursion_is_bounded() -> None:
    petstore = load_contract(DATA / "petstore-3.0.yaml", root=DATA)
    tree = example_of(find(petstore, "GET", "/api/{version}/trees"))
    assert json.loads(tree.body) == {"label": "string", "children": []}


def test_discriminated_bases_become_their_first_subtype() -> None:
    petstore = load_contract(DATA / "petstore-3.0.yaml", root=DATA)
    animal = example_of(find(petstore, "POST", "/api/{version}/animals"))
    assert json.loads(animal.body) == {"kind": "dog", "name": "string", "barks": False}
    swagger = load_contract(DATA / "search-2.0.json", root=DATA)
    skill = example_of(find(swagger, "PUT", "/indexes('{indexName}')/skills"))
    assert json.loads(skill.body) == {
        "@odata.type": "#Microsoft.Skills.Text.SplitSkill",
        "name": "string",
        "maximumPageLength": 100,
    }


def test_empty_bodies_and_no_success_status(tmp_path: Path) -> None:
    petstore = load_contract(DATA / "petstore-3.0.yaml", root=DATA)
    photo = example_of(find(petstore, "PUT", "/api/{version}/pets/{petId}/photo"))
    assert (photo.status, photo.content_type, photo.body) == (204, None, b"")
    patch = example_of(find(petstore, "PATCH", "/api/{version}/pets/{petId}"))
    assert (patch.status, patch.content_type) == (200, "application/json")  # "2XX", "application/*"
    swagger = load_contract(DATA / "search-2.0.json", root=DATA)
    export = example_of(find(swagger, "GET", "/indexes('{indexName}')/docs/search.export"))  # a Swagger file
    assert (export.status, export.content_type, export.body) == (200, None, b"")
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {"get": {"responses": {"404": {"description": "no"}, "default": {"description": "e"}}}}
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(document), encoding="utf-8")
    assert load_contract(tmp_path / "api.json", root=tmp_path).operations()[0].example_response() is None


SCHEMAS = {
    "type": "object",
    "required": [
        "const",
        "enum",
        "default",
        "when",
        "uuid",
        "count",
        "ratio",
        "short",
        "code",
        "none",
        "ids",
        "pick",
        "nullableLoop",
        "epoch",
        "map",
    ],
    "properties": {
        "const": {"const": "fixed"},
        "enum": {"type": "string", "enum": ["first", "second"]},
        "default": {"type": "integer", "default": 42},
        "when": {"type": "string", "format": "date-time"},
        "uuid": {
            "type": "array",
            "items": {"type": "string", "format": "uuid"},
            "minItems": 2,
            "uniqueItems": True,
        },
        "count": {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 7},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "short": {"type": "string", "minLength": 8, "maxLength": 9},
        "code": {"type": "string", "pattern": "^[a-f]{2}-\\d{3}(x|y)$"},
        "none": {"type": "array", "maxItems": 0, "items": {"type": "string"}},
        "ids": {"type": "array", "items": {"type": "integer", "minimum": -5, "maximum": -1}},
        "pick": {"oneOf": [{"type": "integer", "minimum": 5, "maximum": 2}, {"type": "boolean"}]},
        "nullableLoop": {"$ref": "#/components/schemas/Loop"},
        "epoch": {"type": "integer", "format": "unixtime"},
        "map": {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 1},
    },
}


def test_generation_rules(tmp_path: Path) -> None:
    loop = {
        "type": ["object", "null"],
        "required": ["next"],
        "properties": {"next": {"$ref": "#/components/schemas/Loop"}},
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": SCHEMAS}}}
                    }
                }
            }
        },
        "components": {"schemas": {"Loop": loop}},
    }
    (tmp_path / "api.json").write_text(json.dumps(document), encoding="utf-8")
    operation = load_contract(tmp_path / "api.json", root=tmp_path).operations()[0]
    example = example_of(operation)
    check(operation, example)
    assert json.loads(example.body) == {
        "const": "fixed",
        "enum": "first",
        "default": 42,
        "when": "2024-01-01T00:00:00Z",
        "uuid": ["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001"],
        "count": 14,
        "ratio": 0.5,
        "short": "stringaa",
        "code": "aa-000x",
        "none": [],
        "ids": [-5],
        "pick": False,
        "nullableLoop": {"next": None},
        "epoch": 1704067200,
        "map": {"property1": 0},
    }
