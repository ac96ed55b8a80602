"""The one error the contract core raises on purpose."""

from __future__ import annotations

from harness.errors import HarnessError


class ContractError(HarnessError):
    """An OpenAPI document cannot be used: missing, unparsable, not OpenAPI, a broken ``$ref``, a ref
    leaving the project, or a schema the validator cannot evaluate.

    The message names the file, says what is wrong and how to fix it.
    """
