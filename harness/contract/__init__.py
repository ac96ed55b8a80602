"""OpenAPI contracts for mock services: validate what the app sends and what the mock answers.

A mock service given an OpenAPI document (``openapi = "<path>"``) validates every request against
the document's operation, every answer against the operation's response for its status, and
answers an operation nothing primed with a schema-valid example::

    contract = load_contract(Path("specs/inference.json"), root=project_root)
    operation = contract.operation("POST", "/openai/deployments/gpt-4o/chat/completions")
    problems = operation.validate_request(path=..., query=..., headers=..., body=...)

This package imports jsonschema, openapi-schema-validator, referencing and PyYAML: harness
imports it only when a service has an ``openapi`` document.
"""

from __future__ import annotations

from harness.contract.contract import Contract, Operation, load_contract
from harness.contract.errors import ContractError
from harness.contract.examples import ExampleResponse
from harness.contract.validation import Violation

__all__ = ["Contract", "ContractError", "ExampleResponse", "Operation", "Violation", "load_contract"]
