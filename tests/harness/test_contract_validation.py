"""harness.contract: requests and responses checked against the operation they belong to."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from harness.contract import Operation, Violation, load_contract

DATA = Path(__file__).resolve().parents[1] / "data" / "openapi"
JSON = {"Content-Type": "application/json"}


def operation(document: str, method: str, path: str) -> Operation:
    found = load_contract(DATA / document, root=DATA).operation(method, path)
    assert found is not None, (method, path)
    return found


def request(
    op: Operation,
    path: str,
    *,
    query: Mapping[str, Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    body: object = None,
) -> list[Violation]:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    sent = dict(headers if headers is not None else (JSON if body is not None else {}))
    return op.validate_request(path=path, query=query or {}, headers=sent, body=raw)


def response(
    op: Operation, status: int, body: object = None, content_type: str | None = "application/json"
) -> list[Violation]:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    return op.validate_response(status=status, headers=headers, body=raw)


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


# -- OpenAPI 3.0: parameters ------------------------------------------------------------------------

PETS = "/api/v1/pets"


@pytest.fixture(scope="module")
def list_pets() -> Operation:
    return operation("petstore-3.0.yaml", "GET", PETS)


def test_valid_request_has_no_violations(list_pets: Operation) -> None:
    query = {"limit": ["10"], "tags": ["small", "large"], "ids": ["1,2"], "unknown": ["x"]}
    headers = {"x-trace-id": "00000000-0000-4000-8000-000000000000"}
    assert request(list_pets, PETS, query=query, headers=headers) == []


def test_missing_required_query_parameter(list_pets: Operation) -> None:
    violation = only(request(list_pets, PETS))
    assert violation.where == "query parameter 'limit'"
    assert violation.message == "required, but the request does not have it"
    assert violation.schema_path == "#/paths/~1pets/get/parameters/0/required"
    assert violation.describe() == (
        "query parameter 'limit': required, but the request does not have it "
        "(schema: #/paths/~1pets/get/parameters/0/required)"
    )


@pytest.mark.parametrize(
    ("query", "message", "schema_path", "instance_path"),
    [
        ({"limit": ["abc"]}, "'abc' is not of type 'integer'", "parameters/0/schema/type", "$"),
        ({"limit": ["0"]}, "0 is less than the minimum of 1", "parameters/0/schema/minimum", "$"),
        (
            {"limit": ["1"], "tags": ["small", "huge"]},
            "'huge' is not one of ['small', 'large']",
            "parameters/1/schema/items/enum",
            "$[1]",
        ),
        (
            {"limit": ["1"], "ids": ["1,x"]},
            "'x' is not of type 'integer'",
            "parameters/2/schema/items/type",
            "$[1]",
        ),
    ],
)
def test_wrong_query_values(
    list_pets: Operation, query: dict[str, list[str]], message: str, schema_path: str, instance_path: str
) -> None:
    violation = only(request(list_pets, PETS, query=query))
    assert violation.message == message
    assert violation.schema_path == "#/paths/~1pets/get/" + schema_path
    assert violation.instance_path == instance_path


def test_header_names_are_case_insensitive_and_credentials_not_required(list_pets: Operation) -> None:
    # X-Pet-Key is declared required, but it is the document's apiKey: security is not checked.
    violation = only(request(list_pets, PETS, query={"limit": ["1"]}, headers={"X-TRACE-ID": "nope"}))
    assert violation.where == "header 'X-Trace-Id'"
    assert violation.message == "'nope' is not a 'uuid'"


def test_path_parameters() -> None:
    get_pet = operation("petstore-3.0.yaml", "GET", "/api/v1/pets/7")
    assert request(get_pet, "/api/v1/pets/7") == []
    violation = only(request(get_pet, "/api/v1/pets/0"))
    assert violation.where == "path parameter 'petId'"
    assert violation.schema_path == "#/components/parameters/PetId/schema/minimum"
    assert only(request(get_pet, "/api/v1/pets/abc")).message == "'abc' is not of type 'integer'"


# -- OpenAPI 3.0: bodies ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def create_pet() -> Operation:
    return operation("petstore-3.0.yaml", "POST", PETS)


def test_valid_body(create_pet: Operation) -> None:
    pet = {"name": "Rex", "kind": "dog", "tag": None, "owner": None, "born": "2020-02-29"}
    assert request(create_pet, PETS, body=pet) == []
    assert (
        request(create_pet, PETS, body=pet, headers={"Content-Type": "application/json; charset=utf-8"}) == []
    )


def test_missing_required_body_field(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS, body={"kind": "dog"}))
    assert violation.where == "request body"
    assert violation.message == "'name' is a required property"
    assert violation.schema_path == "#/components/schemas/Pet/required"
    assert violation.instance_path == "$"


def test_wrong_enum_in_body(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS, body={"name": "Rex", "kind": "robot"}))
    assert violation.instance_path == "$.kind"
    assert violation.schema_path == "#/components/schemas/Pet/properties/kind/enum"
    assert violation.describe() == (
        "request body at $.kind: 'robot' is not one of ['dog', 'cat', 'fish'] "
        "(schema: #/components/schemas/Pet/properties/kind/enum)"
    )


def test_nullable_in_3_0(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS, body={"name": None, "kind": "dog"}))
    assert (violation.instance_path, violation.message) == ("$.name", "None is not of type 'string'")
    # nullable next to allOf: null is accepted, an object is still checked against the allOf
    assert request(create_pet, PETS, body={"name": "a", "kind": "dog", "owner": None}) == []
    violation = only(request(create_pet, PETS, body={"name": "a", "kind": "dog", "owner": {}}))
    assert violation.schema_path == "#/components/schemas/Person/required"


def test_read_only_is_neither_sent_nor_required_in_requests(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS, body={"id": 3, "name": "Rex", "kind": "dog"}))
    assert violation.instance_path == "$.id"
    assert violation.schema_path == "#/components/schemas/Pet/properties/id/readOnly"
    assert "readOnly" in violation.message
    owner = {"name": "Ann", "password": "secret"}  # writeOnly: fine in a request
    assert request(create_pet, PETS, body={"name": "Rex", "kind": "dog", "owner": owner}) == []


def test_read_only_and_write_only_in_responses(create_pet: Operation) -> None:
    assert response(create_pet, 201, {"id": 1, "name": "Rex", "kind": "dog"}) == []
    violation = only(response(create_pet, 201, {"name": "Rex", "kind": "dog"}))  # readOnly id required here
    assert violation.message == "'id' is a required property"
    owner = {"name": "Ann", "password": "secret"}
    violation = only(response(create_pet, 201, {"id": 1, "name": "Rex", "kind": "dog", "owner": owner}))
    assert violation.instance_path == "$.owner.password"
    assert violation.schema_path == "#/components/schemas/Person/properties/password/writeOnly"


def test_undocumented_request_content_type(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS, body=b"name=Rex", headers={"Content-Type": "text/plain"}))
    assert violation.where == "request content type"
    assert violation.message == (
        "'text/plain' is not a documented request content type for POST /api/{version}/pets "
        "(documented: application/json)"
    )
    assert violation.schema_path == "#/paths/~1pets/post/requestBody/content"


def test_json_body_without_content_type_is_validated_as_json(create_pet: Operation) -> None:
    assert request(create_pet, PETS, body=b'{"name": "Rex", "kind": "dog"}', headers={}) == []
    violation = only(request(create_pet, PETS, body=b'{"name": "Rex"}', headers={}))
    assert violation.message == "'kind' is a required property"
    violation = only(request(create_pet, PETS, body=b"name=Rex", headers={}))
    assert violation.where == "request content type"
    assert violation.message.startswith("the request has a body but no Content-Type header")


def test_missing_or_unparsable_body(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS))
    assert violation.message == "POST /api/{version}/pets requires a request body; the request has none"
    violation = only(request(create_pet, PETS, body=b"{not json", headers=JSON))
    assert violation.message.startswith("the body is not valid JSON (Expecting property name")


def test_body_where_none_is_documented(list_pets: Operation) -> None:
    violation = only(request(list_pets, PETS, query={"limit": ["1"]}, body={"x": 1}))
    assert (
        violation.message
        == "GET /api/{version}/pets documents no request body, but the request has one (8 bytes)"
    )


def test_structured_json_types_and_binary_bodies() -> None:
    patch = operation("petstore-3.0.yaml", "PATCH", "/api/v1/pets/3")
    merge = {"Content-Type": "application/merge-patch+json"}
    assert request(patch, "/api/v1/pets/3", body={"name": "Rex"}, headers=merge) == []
    assert only(request(patch, "/api/v1/pets/3", body={"name": 5}, headers=merge)).instance_path == "$.name"
    assert request(patch, "/api/v1/pets/3") == []  # not required
    photo = operation("petstore-3.0.yaml", "PUT", "/api/v1/pets/3/photo")
    assert (
        request(photo, "/api/v1/pets/3/photo", body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"})
        == []
    )


def test_discriminated_subtypes_are_validated() -> None:
    animals = operation("petstore-3.0.yaml", "POST", "/api/v1/animals")
    assert request(animals, "/api/v1/animals", body={"kind": "dog", "barks": True}) == []
    violation = only(request(animals, "/api/v1/animals", body={"kind": "dog"}))
    assert violation.message == "'barks' is a required property"
    assert violation.schema_path == "#/components/schemas/Dog/allOf/1/required"
    violation = only(request(animals, "/api/v1/animals", body={"kind": "cat", "lives": 10}))
    assert violation.schema_path == "#/components/schemas/Cat/allOf/1/properties/lives/maximum"
    assert request(animals, "/api/v1/animals", body={"kind": "bird"}) == []  # no such subtype: the base
    shapes = operation("petstore-3.0.yaml", "POST", "/api/v1/shapes")
    violation = only(request(shapes, "/api/v1/shapes", body={"shape": "square", "side": -1}))
    assert violation.schema_path == "refs/nested/shapes.json#/Square/properties/side/minimum"


def test_at_most_three_violations_with_the_most_relevant_first(create_pet: Operation) -> None:
    body = {"id": 1, "name": "", "kind": "robot", "tag": 5, "born": "yesterday"}
    violations = request(create_pet, PETS, body=body)
    assert len(violations) == 3
    assert len({v.instance_path for v in violations}) == 3


def test_messages_do_not_quote_huge_values(create_pet: Operation) -> None:
    violation = only(request(create_pet, PETS, body={"name": "x" * 10_000, "kind": "dog"}))
    assert violation.schema_path == "#/components/schemas/Pet/properties/name/maxLength"
    assert len(violation.message) < 300
    violation = only(request(create_pet, PETS, body=[{"blob": "y" * 10_000}]))
    assert len(violation.message) < 300


# -- OpenAPI 3.0: responses ------------------------------------------------------------------------


def test_undocumented_status_and_default(list_pets: Operation, create_pet: Operation) -> None:
    violation = only(response(create_pet, 418, {}))
    assert violation.where == "response status"
    assert (
        violation.message
        == "status 418 is not documented for POST /api/{version}/pets (documented: 201, 400)"
    )
    assert violation.schema_path == "#/paths/~1pets/post/responses"
    assert response(list_pets, 503, {"code": "busy", "message": "try later"}) == []  # default
    violation = only(response(list_pets, 503, {"code": "busy"}))
    assert violation.where == "response body (status 503)"
    assert violation.schema_path == "refs/common.yaml#/components/schemas/Error/required"


def test_status_ranges_and_wildcard_media_types() -> None:
    patch = operation("petstore-3.0.yaml", "PATCH", "/api/v1/pets/3")
    pet = {"id": 3, "name": "Rex", "kind": "dog"}
    assert response(patch, 200, pet) == []
    assert response(patch, 202, pet, "application/vnd.pets+json") == []  # application/* documented
    assert only(response(patch, 200, {"id": 3, "name": "Rex"})).where == "response body (status 200)"
    assert only(response(patch, 200, "x", "text/plain")).where == "response content type"
    assert (
        only(response(patch, 409, {"code": "x"})).schema_path
        == "refs/common.yaml#/components/schemas/Error/required"
    )
    assert only(response(patch, 500, {})).message.endswith("(documented: 2XX, 4XX)")


def test_response_content_types(create_pet: Operation) -> None:
    violation = only(response(create_pet, 201, {"id": 1}, "text/html"))
    assert violation.where == "response content type"
    assert violation.message == (
        "'text/html' is not a documented response content type for POST /api/{version}/pets "
        "(documented: application/json)"
    )
    assert violation.schema_path == "#/paths/~1pets/post/responses/201/content"
    assert response(create_pet, 400, {"code": "bad", "message": "no"}, "application/problem+json") == []
    violation = only(response(create_pet, 201, {"id": 1, "name": "a", "kind": "dog"}, None))
    assert violation.message.startswith("the response has a body but no Content-Type header")


def test_non_json_bodies_are_not_schema_validated() -> None:
    events = operation("petstore-3.0.yaml", "GET", "/api/v1/pets/1/events")
    assert response(events, 200, b"data: {not json}\n\n", "text/event-stream") == []
    assert response(events, 200, {"events": ["born"]}) == []
    assert only(response(events, 200, {"events": [1]})).instance_path == "$.events[0]"


def test_response_bodies_missing_or_not_json(create_pet: Operation) -> None:
    violation = only(response(create_pet, 201, b"{oops"))
    assert violation.message.startswith("the body is not valid JSON")
    violation = only(response(create_pet, 201))
    assert violation.message == "the response has no body, but the document gives status 201 a JSON schema"
    get_pet = operation("petstore-3.0.yaml", "GET", "/api/v1/pets/1")
    assert response(get_pet, 404, b"<html>gone</html>", "text/html") == []  # no content documented


def test_recursive_schemas_validate_deeply() -> None:
    trees = operation("petstore-3.0.yaml", "GET", "/api/v1/trees")
    tree = {"label": "a", "children": [{"label": "b", "children": [{"label": "c", "children": [{}]}]}]}
    violation = only(response(trees, 200, tree))
    assert violation.instance_path == "$.children[0].children[0].children[0]"
    assert violation.schema_path == "#/components/schemas/Tree/required"


# -- OpenAPI 3.1 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def create_note() -> Operation:
    return operation("notes-3.1.json", "POST", "/v2/notes")


def test_3_1_type_arrays_and_const(create_note: Operation) -> None:
    query = {"api-version": ["2024-01-01"], "priority": ["3"]}
    note = {"title": "Groceries", "body": None}
    assert request(create_note, "/v2/notes", query=query, body=note) == []
    violation = only(request(create_note, "/v2/notes", query={"api-version": ["2023"]}, body=note))
    assert (violation.where, violation.message) == (
        "query parameter 'api-version'",
        "'2024-01-01' was expected",
    )
    violation = only(request(create_note, "/v2/notes", query={**query, "priority": ["0"]}, body=note))
    assert violation.schema_path == "#/paths/~1notes/post/parameters/1/schema/exclusiveMinimum"
    violation = only(request(create_note, "/v2/notes", query=query, body={"title": "x", "body": 5}))
    assert violation.message == "5 is not of type 'string', 'null'"


def test_3_1_read_only_and_unique_items(create_note: Operation) -> None:
    query = {"api-version": ["2024-01-01"]}
    violation = only(
        request(create_note, "/v2/notes", query=query, body={"id": "n-1", "title": "x", "body": None})
    )
    assert violation.schema_path == "#/components/schemas/Note/properties/id/readOnly"
    violation = only(
        request(create_note, "/v2/notes", query=query, body={"title": "x", "body": None, "tags": ["a", "a"]})
    )
    assert violation.schema_path == "#/components/schemas/Note/properties/tags/uniqueItems"
    assert response(create_note, 201, {"id": "n-1", "title": "x", "body": None}) == []
    assert (
        only(response(create_note, 201, {"title": "x", "body": None})).message
        == "'id' is a required property"
    )
    assert only(response(create_note, 400, {"status": "400"})).instance_path == "$.status"


# -- Swagger 2.0 -----------------------------------------------------------------------------------

DOCS = "/indexes('hotels')/docs"


@pytest.fixture(scope="module")
def search() -> Operation:
    return operation("search-2.0.json", "GET", DOCS)


def test_swagger_valid_query(search: Operation) -> None:
    query = {
        "api-version": ["2024-07-01"],
        "$top": ["5"],
        "$count": ["true"],
        "$select": ["id,rating"],
        "facet": ["rating", "tags"],
        "scores": ["1.5|2"],
        "search": ["*"],
    }
    assert (
        request(
            search,
            DOCS,
            query=query,
            headers={"x-ms-client-request-id": "00000000-0000-4000-8000-000000000000"},
        )
        == []
    )


@pytest.mark.parametrize(
    ("query", "where", "schema_path", "instance_path"),
    [
        ({}, "query parameter 'api-version'", "#/parameters/ApiVersion/required", "$"),
        (
            {"api-version": ["2020-01-01"]},
            "query parameter 'api-version'",
            "#/parameters/ApiVersion/enum",
            "$",
        ),
        ({"$top": ["-1"]}, "query parameter '$top'", "#/paths/~1docs/get/parameters/3/minimum", "$"),
        ({"$count": ["maybe"]}, "query parameter '$count'", "#/paths/~1docs/get/parameters/4/type", "$"),
        (
            {"facet": ["a"]},
            "query parameter 'facet'",
            "#/paths/~1docs/get/parameters/6/items/minLength",
            "$[0]",
        ),
        (
            {"scores": ["1|x"]},
            "query parameter 'scores'",
            "#/paths/~1docs/get/parameters/7/items/type",
            "$[1]",
        ),
    ],
)
def test_swagger_query_violations(
    search: Operation, query: dict[str, list[str]], where: str, schema_path: str, instance_path: str
) -> None:
    sent = {"api-version": ["2024-07-01"], **query} if query else {}
    violation = only(request(search, DOCS, query=sent))
    assert (violation.where, violation.schema_path, violation.instance_path) == (
        where,
        schema_path,
        instance_path,
    )


def test_swagger_headers_and_host_template_parameters(search: Operation) -> None:
    query = {"api-version": ["2024-07-01"]}
    violation = only(request(search, DOCS, query=query, headers={"X-MS-Client-Request-Id": "abc"}))
    assert (violation.where, violation.schema_path) == (
        "header 'x-ms-client-request-id'",
        "#/parameters/RequestId/format",
    )
    violation = only(request(search, "/indexes('Hotels')/docs", query=query))
    assert (violation.where, violation.schema_path) == (
        "path parameter 'indexName'",
        "#/parameters/IndexName/pattern",
    )
    get = operation("search-2.0.json", "GET", "/indexes('h')/docs('123456789')")
    assert only(request(get, "/indexes('h')/docs('123456789')", query=query)).message.endswith("is too long")


def test_swagger_body_and_consumes() -> None:
    index = operation("search-2.0.json", "POST", f"{DOCS}/search.index")
    path, query = f"{DOCS}/search.index", {"api-version": ["2024-07-01"]}
    assert request(index, path, query=query, body={"value": [{"@search.action": "upload", "id": "1"}]}) == []
    violation = only(request(index, path, query=query, body={"value": [{"@search.action": "upsert"}]}))
    assert violation.schema_path == "#/definitions/IndexAction/properties/@search.action/enum"
    assert violation.instance_path == "$.value[0]['@search.action']"
    violation = only(request(index, path, query=query, body=b"x", headers={"Content-Type": "text/plain"}))
    assert violation.schema_path == "#/consumes"
    assert only(request(index, path, query=query)).message.endswith(
        "requires a request body; the request has none"
    )


def test_swagger_form_data_and_file_responses() -> None:
    upload = operation("search-2.0.json", "POST", f"{DOCS}/search.upload")
    path, query = f"{DOCS}/search.upload", {"api-version": ["2024-07-01"]}
    form = {"Content-Type": "multipart/form-data; boundary=x"}
    assert request(upload, path, query=query, body=b"--x\r\n...", headers=form) == []
    violation = only(request(upload, path, query=query, body={"a": 1}))
    assert violation.schema_path == "#/paths/~1docs~1search.upload/post/consumes"
    export = operation("search-2.0.json", "GET", f"{DOCS}/search.export")
    assert response(export, 200, b"\x00\x01", "application/octet-stream") == []
    assert only(response(export, 200, {"a": 1})).schema_path == "#/paths/~1docs~1search.export/get/produces"


def test_swagger_discriminator_validates_the_subtype() -> None:
    skills = operation("search-2.0.json", "PUT", "/indexes('h')/skills")
    path, query = "/indexes('h')/skills", {"api-version": ["2024-07-01"]}
    split = "#Microsoft.Skills.Text.SplitSkill"
    assert request(skills, path, query=query, body={"@odata.type": split, "maximumPageLength": 500}) == []
    violation = only(request(skills, path, query=query, body={"@odata.type": split, "maximumPageLength": 5}))
    assert violation.schema_path == "#/definitions/SplitSkill/properties/maximumPageLength/minimum"
    violation = only(request(skills, path, query=query, body={"@odata.type": split}))
    assert violation.schema_path == "#/definitions/SplitSkill/required"
    ocr = {"@odata.type": "#Microsoft.Skills.Vision.OcrSkill", "language": "de"}
    assert (
        only(request(skills, path, query=query, body=ocr)).schema_path
        == "#/definitions/OcrSkill/properties/language/enum"
    )
    assert request(skills, path, query=query, body={"@odata.type": "#Other", "language": "de"}) == []
    assert (
        only(request(skills, path, query=query, body={"name": "x"})).message
        == "'@odata.type' is a required property"
    )


def test_swagger_x_nullable(search: Operation) -> None:
    document = {"id": "1", "rating": None}
    assert response(search, 200, {"value": [document]}) == []
    violation = only(response(search, 200, {"value": [{"id": "1", "summary": None}]}))
    assert violation.schema_path == "#/definitions/Document/properties/summary/type"


def test_swagger_statuses_and_recursive_error_schema(search: Operation) -> None:
    nested = {"error": {"code": "x", "details": [{"code": "y", "details": [{"code": 5}]}]}}
    violation = only(response(search, 500, nested))
    assert violation.instance_path == "$.error.details[0].details[0].code"
    assert violation.schema_path == "refs/errors.json#/definitions/ErrorDetail/properties/code/type"
    get = operation("search-2.0.json", "GET", "/indexes('h')/docs('1')")
    assert response(get, 404) == []
    delete = operation("search-2.0.json", "DELETE", "/indexes('h')/docs/1")
    assert only(response(delete, 418)).message == (
        "status 418 is not documented for DELETE /indexes('{indexName}')/docs/{docId} (documented: 204)"
    )
    assert response(delete, 204) == []


def test_azure_extensible_enums_accept_values_beyond_the_known_ones(tmp_path: Path) -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/fields": {
                "get": {
                    "produces": ["application/json"],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "open": {
                                        "type": "string",
                                        "enum": ["Edm.String", "Edm.Int32"],
                                        "x-ms-enum": {"name": "FieldType", "modelAsString": True},
                                    },
                                    "closed": {
                                        "type": "string",
                                        "enum": ["a", "b"],
                                        "x-ms-enum": {"name": "Closed", "modelAsString": False},
                                    },
                                },
                            },
                        }
                    },
                }
            }
        },
    }
    (tmp_path / "doc.json").write_text(json.dumps(document))
    found = load_contract(tmp_path / "doc.json", root=tmp_path).operation("GET", "/fields")
    assert found is not None

    def answer(body: object) -> list[Violation]:
        return found.validate_response(
            status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode()
        )

    assert answer({"open": "Collection(Edm.String)", "closed": "a"}) == []
    assert answer({"open": 5}) != []  # still a string
    assert "'c' is not one of ['a', 'b']" in only(answer({"closed": "c"})).message
