"""harness.contract: loading OpenAPI documents (every error a ContractError) and finding operations."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.contract import Contract, ContractError, load_contract
from harness.errors import HarnessError

DATA = Path(__file__).resolve().parents[1] / "data" / "openapi"
AZURE = DATA / "azure"
AOAI = AZURE / "cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json"
SEARCH = AZURE / "search/data-plane/Azure.Search/stable/2024-07-01/searchindex.json"
SAFETY = AZURE / "cognitiveservices/data-plane/ContentSafety/stable/2023-10-01/contentsafety.json"


def load(name: str) -> Contract:
    return load_contract(DATA / name, root=DATA)


def write(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def minimal(version_key: str = "openapi", version: str = "3.0.3", **extra: object) -> dict[str, object]:
    return {version_key: version, "info": {"title": "t", "version": "1"}, "paths": {}, **extra}


def load_error(tmp_path: Path, name: str = "api.json") -> str:
    with pytest.raises(ContractError) as caught:
        load_contract(tmp_path / name, root=tmp_path)
    return str(caught.value)


# -- loading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "count"),
    [("petstore-3.0.yaml", "3.0", 10), ("notes-3.1.json", "3.1", 2), ("search-2.0.json", "2.0", 9)],
)
def test_versions_load(name: str, version: str, count: int) -> None:
    contract = load(name)
    assert contract.version == version
    assert contract.source == DATA / name
    assert len(contract.operations()) == count


def test_relative_path_is_taken_from_the_root() -> None:
    contract = load_contract(Path("notes-3.1.json"), root=DATA)
    assert contract.version == "3.1"


@pytest.mark.parametrize(("declared", "expected"), [("3.0.0", "3.0"), ("3.0.3", "3.0"), ("3.1.1", "3.1")])
def test_version_is_major_minor(tmp_path: Path, declared: str, expected: str) -> None:
    write(tmp_path, "api.json", minimal(version=declared))
    assert load_contract(tmp_path / "api.json", root=tmp_path).version == expected


def test_yaml_and_json_are_told_apart_by_content(tmp_path: Path) -> None:
    write(tmp_path, "json-in.yaml", minimal())  # JSON in a .yaml file
    write(tmp_path, "yaml-in.txt", "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    assert load_contract(tmp_path / "json-in.yaml", root=tmp_path).version == "3.0"
    assert load_contract(tmp_path / "yaml-in.txt", root=tmp_path).version == "3.1"


def test_yaml_keys_become_strings_and_dates_stay_strings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api.yaml",
        """openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /day:
    get:
      responses:
        200:
          description: A day.
          content:
            application/json:
              schema: {type: string, format: date, example: 2024-05-01}
""",
    )
    operation = load_contract(tmp_path / "api.yaml", root=tmp_path).operations()[0]
    example = operation.example_response()
    assert example is not None
    assert (example.status, example.body) == (200, b'"2024-05-01"')
    assert operation.validate_response(status=200, headers={"Content-Type": "application/json"}, body=b'"x"')


def test_external_refs_relative_and_nested() -> None:
    operation = load("petstore-3.0.yaml").operation("POST", "/api/v1/pets")
    assert operation is not None
    # Pet.price -> refs/common.yaml#/.../Price -> refs/nested/money.json#/Money -> #/Currency
    body = {"name": "Rex", "kind": "dog", "price": {"amount": 1.5, "currency": "eur"}}
    (violation,) = operation.validate_request(
        path="/api/v1/pets",
        query={},
        headers={"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )
    assert violation.instance_path == "$.price.currency"
    assert violation.schema_path == "refs/nested/money.json#/Currency/pattern"
    assert "'eur' does not match" in violation.message


def test_load_is_quick_for_the_azure_documents() -> None:
    for document in (AOAI, SEARCH, SAFETY):
        started = time.perf_counter()
        load_contract(document, root=AZURE)
        assert time.perf_counter() - started < 1.0, document


def test_contract_error_is_a_harness_error() -> None:
    assert issubclass(ContractError, HarnessError)


# -- every load error has one clear message ---------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = load_error(tmp_path, "nope.yaml")
    assert "nope.yaml" in message
    assert "does not exist" in message
    assert "Fix:" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    assert "is a directory" in load_error(tmp_path, "specs")


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "api.json", '{\n  "openapi": "3.0.0",\n  "paths": {,}\n}')
    message = load_error(tmp_path)
    assert message.startswith("api.json is not valid JSON: line 3, column")
    assert "Fix:" in message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", "openapi: 3.0.0\ninfo:\n  title: t\n   version: 1\npaths: {}\n")
    message = load_error(tmp_path, "api.yaml")
    assert message.startswith("api.yaml is not valid YAML (nor JSON): line 4, column")


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_bytes(b'{"openapi": "3.0.0", "x": "\xff"}')
    assert "is not UTF-8 text (invalid byte at offset 27)" in load_error(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"info": {"title": "t"}, "paths": {}}, "has neither an `openapi` nor a `swagger` key"),
        ([1, 2], "its content is a list, not an object"),
        ("", "its content is empty"),
        (minimal("swagger", "1.2"), "declares `swagger: 1.2`, a version harness does not support"),
        (minimal(version="4.0.0"), "declares `openapi: 4.0.0`, a version harness does not support"),
        (minimal(version="2.0"), "declares `openapi: 2.0`, a version harness does not support"),
    ],
)
def test_not_an_openapi_document(tmp_path: Path, content: object, expected: str) -> None:
    write(tmp_path, "api.json", content)
    message = load_error(tmp_path)
    assert expected in message
    assert message.startswith("api.json ")
    assert "Fix:" in message


def test_unresolvable_internal_ref(tmp_path: Path) -> None:
    schema = {"$ref": "#/components/schemas/Missing"}
    write(tmp_path, "api.json", minimal(components={"schemas": {"Pet": {"properties": {"owner": schema}}}}))
    message = load_error(tmp_path)
    assert "the $ref '#/components/schemas/Missing' in api.json" in message
    assert "(at #/components/schemas/Pet/properties/owner)" in message
    assert "there is no 'Missing' under '/components/schemas'" in message
    assert "Fix: correct the reference or add the missing definition." in message


def test_unresolvable_ref_in_an_external_file(tmp_path: Path) -> None:
    write(tmp_path, "api.json", minimal(components={"schemas": {"A": {"$ref": "lib/types.json#/B"}}}))
    write(tmp_path, "lib/types.json", {"B": {"$ref": "#/C"}})
    message = load_error(tmp_path)
    assert "the $ref '#/C' in lib/types.json (at #/B) cannot be resolved" in message


def test_ref_to_a_missing_file(tmp_path: Path) -> None:
    write(tmp_path, "api.json", minimal(components={"schemas": {"A": {"$ref": "types.yaml#/B"}}}))
    message = load_error(tmp_path)
    assert "types.yaml" in message
    assert "the file does not exist" in message
    assert "referenced by the $ref 'types.yaml#/B' in api.json" in message


def test_ref_to_an_unparsable_file(tmp_path: Path) -> None:
    write(tmp_path, "api.json", minimal(components={"schemas": {"A": {"$ref": "types.json#/B"}}}))
    write(tmp_path, "types.json", "{broken")
    message = load_error(tmp_path)
    assert message.startswith("types.json (referenced by the $ref 'types.json#/B' in api.json")
    assert "is not valid JSON: line 1" in message


def test_ref_leaving_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(tmp_path, "outside.json", {"B": {"type": "string"}})
    write(root, "api.json", minimal(components={"schemas": {"A": {"$ref": "../outside.json#/B"}}}))
    with pytest.raises(ContractError) as caught:
        load_contract(root / "api.json", root=root)
    message = str(caught.value)
    assert "the $ref '../outside.json#/B' in api.json" in message
    assert "outside the project root" in message
    assert "Fix: copy the referenced document into the project" in message


def test_remote_ref_is_refused(tmp_path: Path) -> None:
    ref = "https://example.com/schemas.json#/A"
    write(tmp_path, "api.json", minimal(components={"schemas": {"A": {"$ref": ref}}}))
    assert "points to a remote document" in load_error(tmp_path)


def test_plain_name_fragment_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "api.json", minimal(openapi="3.1.0", components={"schemas": {"A": {"$ref": "#thing"}}}))
    assert "uses the plain-name fragment '#thing'" in load_error(tmp_path)


def test_ref_chain_loop_is_refused(tmp_path: Path) -> None:
    schemas = {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
    write(tmp_path, "api.json", minimal(components={"schemas": schemas}))
    assert "loops back on itself" in load_error(tmp_path)


def test_malformed_structure_is_a_contract_error(tmp_path: Path) -> None:
    write(tmp_path, "api.json", minimal(paths={"/x": {"get": ["not", "an", "operation"]}}))
    message = load_error(tmp_path)
    assert "the operation GET '/x' at #/paths/~1x/get in api.json is an array, not an object" in message


def test_parameter_without_name_is_a_contract_error(tmp_path: Path) -> None:
    operation = {"parameters": [{"in": "query"}], "responses": {"200": {"description": "ok"}}}
    write(tmp_path, "api.json", minimal(paths={"/x": {"get": operation}}))
    assert "the parameter at #/paths/~1x/get/parameters/0 has no `name` or no `in`" in load_error(tmp_path)


def test_absent_example_files_and_refs_inside_examples_are_not_errors(tmp_path: Path) -> None:
    operation = {
        "x-ms-examples": {"Sample": {"$ref": "./examples/absent.json"}},
        "responses": {
            "200": {"description": "ok", "schema": {"type": "object", "example": {"$ref": "#/nothing"}}}
        },
    }
    write(tmp_path, "api.json", minimal("swagger", "2.0", paths={"/x": {"get": operation}}))
    contract = load_contract(tmp_path / "api.json", root=tmp_path)
    assert contract.operations()[0].operation_id is None


def test_schema_the_validator_cannot_evaluate_is_a_contract_error(tmp_path: Path) -> None:
    response = {"description": "ok", "content": {"application/json": {"schema": {"type": "color"}}}}
    write(tmp_path, "api.json", minimal(paths={"/x": {"get": {"responses": {"200": response}}}}))
    operation = load_contract(tmp_path / "api.json", root=tmp_path).operations()[0]
    with pytest.raises(
        ContractError, match=r"the schema at #/paths/~1x/get/responses/200/content/.* cannot be"
    ):
        operation.validate_response(status=200, headers={"Content-Type": "application/json"}, body=b"1")


# -- finding operations ---------------------------------------------------------------------------


def test_operation_attributes() -> None:
    operation = load("petstore-3.0.yaml").operation("post", "/api/v1/pets")
    assert operation is not None
    assert (operation.method, operation.path_template) == ("POST", "/api/{version}/pets")
    assert operation.operation_id == "createPet"
    assert operation.pointer == "#/paths/~1pets/post"


def test_server_url_path_and_its_variables() -> None:
    contract = load("petstore-3.0.yaml")
    assert contract.operation("GET", "/api/v2/pets") is not None
    assert contract.operation("GET", "/api/v3/pets") is None  # not in the variable's enum
    assert contract.operation("GET", "/pets") is None  # the prefix is required
    assert contract.operation("GET", "/api/v1/pets?limit=1") is not None  # a query string is ignored
    assert load("notes-3.1.json").operation("POST", "/v2/notes") is not None  # relative server URL


def test_literal_paths_win_over_templates() -> None:
    contract = load("petstore-3.0.yaml")
    mine = contract.operation("GET", "/api/v1/pets/mine")
    other = contract.operation("GET", "/api/v1/pets/7")
    assert mine is not None
    assert other is not None
    assert (mine.operation_id, other.operation_id) == ("myPets", "getPet")
    swagger = load("search-2.0.json")
    index = swagger.operation("POST", "/indexes('docs')/docs/search.index")
    by_id = swagger.operation("POST", "/indexes('docs')/docs/12")
    assert index is not None
    assert by_id is not None
    assert (index.operation_id, by_id.operation_id) == ("Docs_Index", "Docs_PostById")


def test_parameters_match_one_segment() -> None:
    contract = load("petstore-3.0.yaml")
    assert contract.operation("GET", "/api/v1/pets/7/8") is None
    events = contract.operation("GET", "/api/v1/pets/7/events")
    assert events is not None
    assert events.operation_id == "petEvents"


def test_parameterized_host_prefix_and_quoted_parameters() -> None:
    contract = load("search-2.0.json")
    get = contract.operation("GET", "/indexes('hotels')/docs('42')")
    assert get is not None
    assert get.operation_id == "Docs_Get"
    assert get.path_template == "/indexes('{indexName}')/docs('{key}')"
    percent = contract.operation("GET", "/indexes(%27hotels%27)/docs(%2742%27)")
    assert percent is get
    assert contract.operation("GET", "/docs('42')") is None


def test_x_ms_paths_query_discriminator() -> None:
    contract = load("search-2.0.json")
    suggest = contract.operation("GET", "/indexes('h')/docs", query={"op": ["suggest"], "q": ["x"]})
    search = contract.operation("GET", "/indexes('h')/docs", query={"search": ["x"]})
    assert suggest is not None
    assert search is not None
    assert (suggest.operation_id, search.operation_id) == ("Docs_Suggest", "Docs_Search")
    assert suggest.path_template == "/indexes('{indexName}')/docs?op=suggest"
    plain = contract.operation("GET", "/indexes('h')/docs")  # without the query: the plain path first
    assert plain is not None
    assert plain.operation_id == "Docs_Search"
    assert [op.operation_id for op in contract.operations()][-1] == "Docs_Suggest"


def test_unknown_operations_are_none() -> None:
    contract = load("petstore-3.0.yaml")
    assert contract.operation("DELETE", "/api/v1/pets") is None
    assert contract.operation("GET", "/api/v1/cats") is None
    assert contract.operation("GET", "/api/v1/pets/") is None


def test_describe_operations_names_the_closest_first() -> None:
    contract = load_contract(AOAI, root=AZURE)
    text = contract.describe_operations("POST", "/openai/deployments/gpt-4o/chat/completion")
    assert text.startswith("documented: POST /openai/deployments/{deployment-id}/chat/completions, ")
    assert text.count("POST ") == 5
    assert text.endswith("(and 1 more)")
    petstore = load("petstore-3.0.yaml")
    text = petstore.describe_operations("GET", "/api/v1/pet/7")
    assert text.startswith("documented: GET /api/{version}/pets/{petId}")


def test_describe_operations_of_an_empty_document(tmp_path: Path) -> None:
    write(tmp_path, "api.json", minimal())
    contract = load_contract(tmp_path / "api.json", root=tmp_path)
    assert contract.operations() == []
    assert contract.describe_operations("GET", "/x") == "the document has no operations"


def test_lookup_is_cheap() -> None:
    contract = load_contract(SEARCH, root=AZURE)
    started = time.perf_counter()
    for _ in range(1000):
        assert contract.operation("POST", "/indexes('docs')/docs/search.post.search") is not None
    assert time.perf_counter() - started < 0.5
