"""A mock held to its OpenAPI document (docs/openapi.md): requests and every answer validated,
unprimed operations answered with the document's example, what ``openapi_validate`` chooses, and
bad documents refused with one message."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import requests

from harness import Harness, faults
from harness.cli import main
from harness.config import load_config
from harness.errors import ConfigError, HarnessError
from tests.support.mocks import mocks_of
from tests.support.projects import run_pytest, write_project

DOCUMENT = """
openapi: 3.0.3
info: {title: Orders, version: "1"}
servers: [{url: "https://orders.example/api"}]
paths:
  /orders/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: expand, in: query, schema: {type: string, enum: [lines, none]}}
      responses:
        "200":
          description: An order.
          content:
            application/json:
              schema: {$ref: "shared/order.yaml#/Order"}
        "404":
          description: No such order.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
  /orders:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "shared/order.yaml#/NewOrder"}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "shared/order.yaml#/Order"}
  /events:
    get:
      responses:
        "200":
          description: A stream.
          content:
            application/json:
              schema: {type: object, required: [events]}
components:
  schemas:
    Error:
      type: object
      required: [message]
      properties: {message: {type: string}}
"""
SHARED = """
NewOrder:
  type: object
  required: [item, quantity]
  properties:
    item: {type: string}
    quantity: {type: integer, minimum: 1}
Order:
  type: object
  required: [id, item, quantity, status]
  properties:
    id: {type: integer}
    item: {type: string}
    quantity: {type: integer, minimum: 1}
    status: {type: string, enum: [open, shipped]}
"""
ORDER = {"id": 7, "item": "tea", "quantity": 2, "status": "open"}


def project(directory: Path, service: str = "") -> Path:
    write_project(
        directory,
        f"""
        [tool.harness]
        command = ["python", "-c", "pass"]

        [tool.harness.services.orders]
        env = {{ ORDERS_URL = "{{url}}" }}
        openapi = "contracts/orders.yaml"
        {service}
        """,
        {"contracts/orders.yaml": DOCUMENT, "contracts/shared/order.yaml": SHARED},
    )
    return directory / "pyproject.toml"


def orders(directory: Path, service: str = "") -> contextlib.AbstractContextManager[Harness]:
    """The project's mocks only (the test itself plays the app)."""
    return mocks_of(project(directory, service))


def problems_of(h: Harness, send: object) -> str:
    with h.test("test") as window:
        assert callable(send)
        send(h.services["orders"].url)
        return window.problems() or ""


class TestRequests:
    def test_a_valid_request_and_answer_pass(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h, h.test("test") as window:
            h.services["orders"].expect_request("/api/orders/7").respond_with_json(ORDER)
            answer = requests.get(h.services["orders"].url + "/api/orders/7?expand=lines", timeout=10)
            assert answer.json() == ORDER
            assert window.problems() is None

    def test_a_request_that_breaks_the_contract_fails_with_the_schema_path(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h:
            h.services["orders"].expect_request("/api/orders", method="POST").respond_with_json(
                ORDER, status=201
            )
            found = problems_of(
                h,
                lambda url: requests.post(
                    url + "/api/orders", json={"item": "tea", "quantity": 0}, timeout=10
                ),
            )
        assert "service 'orders' saw 1 request (or answers) that break its OpenAPI contract" in found
        assert "the request breaks the OpenAPI contract of POST /api/orders" in found
        assert "request body at $.quantity: 0 is less than the minimum of 1" in found
        assert "shared/order.yaml#/NewOrder/properties/quantity/minimum" in found
        assert "fix: make the app send what the document allows" in found

    def test_query_and_path_parameters_are_checked(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h:
            h.services["orders"].expect_request("/api/orders/x").respond_with_json(ORDER)
            found = problems_of(h, lambda url: requests.get(url + "/api/orders/x?expand=all", timeout=10))
        assert "path parameter 'id'" in found
        assert "query parameter 'expand'" in found
        assert "'all' is not one of ['lines', 'none']" in found

    def test_an_operation_the_document_does_not_have(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h:
            h.services["orders"].expect_request("/api/refunds", method="POST").respond_with_json({})
            found = problems_of(h, lambda url: requests.post(url + "/api/refunds", json={}, timeout=10))
        assert "has no operation POST /api/refunds" in found
        assert "POST /api/orders" in found  # what it does have


class TestAnswers:
    def test_a_primed_answer_the_real_service_could_not_send_fails(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h:
            h.services["orders"].expect_request("/api/orders/7").respond_with_json(
                {**ORDER, "status": "lost"}
            )
            found = problems_of(h, lambda url: requests.get(url + "/api/orders/7", timeout=10))
        assert "the real service cannot answer this: response body (status 200) at $.status" in found
        assert "'lost' is not one of ['open', 'shipped']" in found

    def test_an_undocumented_status_fails(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h:
            h.services["orders"].expect_request("/api/orders/7").respond_with_json(
                {"message": "x"}, status=418
            )
            found = problems_of(h, lambda url: requests.get(url + "/api/orders/7", timeout=10))
        assert "status 418 is not documented for GET /api/orders/{id} (documented: 200, 404)" in found

    def test_faults_are_meant_to_break_the_contract_and_are_not_validated(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h, h.test("test") as window:
            # A 429 the document does not list, and a body cut short: both on purpose.
            h.services["orders"].expect_oneshot_request("/api/orders/7").respond_with_fault(faults.throttle())
            h.services["orders"].expect_request("/api/orders/7").respond_with_fault(
                faults.truncate(ORDER, at=5)
            )
            assert requests.get(h.services["orders"].url + "/api/orders/7", timeout=10).status_code == 429
            with pytest.raises(requests.exceptions.RequestException):
                requests.get(h.services["orders"].url + "/api/orders/7", timeout=10).json()
            assert window.problems() is None

    def test_a_streamed_answer_is_not_validated(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h, h.test("test") as window:
            h.services["orders"].expect_request("/api/events").respond_with_sse([{"n": 1}, "[DONE]"])
            assert (
                b"data: [DONE]" in requests.get(h.services["orders"].url + "/api/events", timeout=10).content
            )
            assert window.problems() is None


class TestExamples:
    def test_an_unprimed_operation_answers_a_schema_valid_example_the_same_every_run(
        self, tmp_path: Path
    ) -> None:
        answers = []
        for run in ("one", "two"):
            with orders(tmp_path / run) as h, h.test("test") as window:
                answer = requests.get(h.services["orders"].url + "/api/orders/7", timeout=10)
                answers.append((answer.status_code, answer.headers["content-type"], answer.content))
                assert window.problems() is None  # matched (by the document) and valid
                assert "generated from the schema" in (h.services["orders"].requests[0].expectation or "")
        assert answers[0] == answers[1]
        status, content_type, body = answers[0]
        assert (status, content_type) == (200, "application/json")
        order = json.loads(body)
        assert set(order) >= {"id", "item", "quantity", "status"}
        assert order["status"] == "open"
        assert order["quantity"] >= 1

    def test_a_simulator_or_an_expectation_answers_before_the_example(self, tmp_path: Path) -> None:
        with orders(tmp_path) as h, h.test("test"):
            h.services["orders"].expect_request("/api/orders/7").respond_with_json(ORDER)
            assert requests.get(h.services["orders"].url + "/api/orders/7", timeout=10).json() == ORDER


class TestModes:
    @pytest.mark.parametrize(
        ("mode", "request_checked", "answer_checked"),
        [("both", True, True), ("requests", True, False), ("responses", False, True), ("off", False, False)],
    )
    def test_openapi_validate_chooses_what_is_checked(
        self, tmp_path: Path, mode: str, request_checked: bool, answer_checked: bool
    ) -> None:
        with orders(tmp_path, f'openapi_validate = "{mode}"') as h:
            h.services["orders"].expect_request("/api/orders", method="POST").respond_with_json(
                {"id": "x"}, status=201
            )
            found = problems_of(
                h, lambda url: requests.post(url + "/api/orders", json={"item": 1}, timeout=10)
            )
        assert ("the request breaks the OpenAPI contract" in found) is request_checked
        assert ("the real service cannot answer this" in found) is answer_checked

    def test_off_still_answers_examples(self, tmp_path: Path) -> None:
        with orders(tmp_path, 'openapi_validate = "off"') as h, h.test("test"):
            assert requests.get(h.services["orders"].url + "/api/orders/7", timeout=10).status_code == 200


class TestBadDocuments:
    @pytest.mark.parametrize(
        ("service", "message"),
        [
            ('openapi = "../outside.yaml"', "lies outside the project"),
            ('openapi = "contracts/missing.yaml"', "is not a file; fix: the path (relative to the project)"),
            (
                'openapi = "contracts/orders.yaml"\nopenapi_validate = "all"',
                "expected one of 'both', 'requests'",
            ),
        ],
    )
    def test_bad_keys_are_one_message(self, tmp_path: Path, service: str, message: str) -> None:
        write_project(
            tmp_path,
            f'[tool.harness]\ncommand = ["app"]\n[tool.harness.services.s]\n{service}\n',
            {"contracts/orders.yaml": DOCUMENT},
        )
        with pytest.raises(ConfigError) as raised:
            load_config(tmp_path / "pyproject.toml")
        assert message in str(raised.value)

    def test_a_broken_document_stops_the_run_at_start_and_harness_check_says_so(self, tmp_path: Path) -> None:
        pyproject = project(tmp_path)
        (tmp_path / "contracts" / "shared" / "order.yaml").unlink()  # a $ref now leads nowhere
        with pytest.raises(HarnessError) as raised:
            Harness(load_config(pyproject))
        assert "shared/order.yaml" in str(raised.value)
        out = io.StringIO()
        assert main(["check", "--config", str(pyproject)], out) == 1
        assert "services: orders (openapi " in out.getvalue()  # what check saw configured
        assert "service 'orders'" in out.getvalue()
        assert "shared/order.yaml" in out.getvalue()


def test_the_answer_to_an_unmatched_request_is_not_held_to_the_contract(tmp_path: Path) -> None:
    with orders(tmp_path) as h:
        found = problems_of(h, lambda url: requests.delete(url + "/api/orders/7", timeout=10))
    assert "matched NO expectation" in found
    assert "cannot answer this" not in found  # the 500 is harness's, not the service's
    assert "has no operation DELETE /api/orders/7" in found


def test_under_pytest_a_broken_document_is_a_usage_error_before_any_test(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "contracts" / "shared" / "order.yaml").write_text("NewOrder: [unclosed\n")
    (tmp_path / "test_orders.py").write_text("def test_orders(harness_services):\n    pass\n")

    result = run_pytest(tmp_path, "-q")

    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    output = result.stdout + result.stderr
    assert "service 'orders'" in output
    assert "order.yaml" in output
    assert "Traceback" not in output


def test_a_document_is_read_again_when_a_file_it_refers_to_changes(tmp_path: Path) -> None:
    with orders(tmp_path) as h:
        h.services["orders"].expect_request("/api/orders/7").respond_with_json({**ORDER, "status": "lost"})
        assert "'lost' is not one of" in problems_of(
            h, lambda url: requests.get(url + "/api/orders/7", timeout=10)
        )
    shared = tmp_path / "contracts" / "shared" / "order.yaml"
    shared.write_text(shared.read_text().replace("enum: [open, shipped]", "enum: [open, shipped, lost]"))
    with mocks_of(tmp_path / "pyproject.toml") as h:
        h.services["orders"].expect_request("/api/orders/7").respond_with_json({**ORDER, "status": "lost"})
        assert problems_of(h, lambda url: requests.get(url + "/api/orders/7", timeout=10)) == ""
