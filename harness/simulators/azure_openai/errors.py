"""Azure OpenAI's error answers, envelope and wording as the service sends them.

Every error is ``{"error": {"code", "message", "param", "type"}}`` with JSON content; the wording
follows the real service so apps that match on it (or show it) behave as in production. A field
without a value is left out rather than sent as ``null``: the published document (inference.json,
``error``/``errorBase``) types each as a string, and clients (the openai SDK, azure-core) read a
missing field and a ``null`` alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from werkzeug.wrappers import Response

from harness.simulators.base import json_response

#: The operation names Azure uses in throttling messages.
OPERATION_NAMES = {"chat": "ChatCompletions_Create", "embeddings": "Embeddings_Create"}


def error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    type: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    """An error response in the service's envelope (``extra`` adds fields, e.g. ``innererror``)."""
    fields = {"code": code, "message": message, "param": param, "type": type}
    body: dict[str, object] = {name: value for name, value in fields.items() if value is not None}
    body.update(extra or {})
    return json_response({"error": body}, status=status, headers=headers)


def resource_not_found() -> Response:
    """What Azure answers for a path it does not have, or a deployment call without api-version."""
    return error(404, "Resource not found", code="404")


def unauthorized() -> Response:
    """A missing or wrong ``api-key`` / bearer token."""
    return error(
        401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
        "valid key for an active subscription and use a correct regional API endpoint for your resource.",
        code="401",
    )


def deployment_not_found() -> Response:
    """A deployment the resource does not have."""
    return error(
        404,
        "The API deployment for this resource does not exist. If you created the deployment within the "
        "last 5 minutes, please wait a moment and try again.",
        code="DeploymentNotFound",
    )


def operation_not_supported(operation: str, model: str) -> Response:
    """A chat call on an embeddings deployment, or the other way round."""
    return error(
        400,
        f"The {operation} operation does not work with the specified model, {model}. Please choose "
        "different model and try again. You can learn more about which models can be used with each "
        "operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
        code="OperationNotSupported",
    )


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> Response:
    """A 400 for a malformed request body, as the model layer reports it."""
    return error(400, message, param=param, code=code, type="invalid_request_error")


def bad_json() -> Response:
    """A body that is not JSON (or not a JSON object)."""
    return invalid_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "
        "JSON.)"
    )


def too_many_requests(
    retry_after: float, operation: str, api_version: str | None, headers: Mapping[str, str]
) -> Response:
    """A 429 with ``Retry-After`` (whole seconds, rounded up), ``retry-after-ms`` and ``headers``."""
    seconds = max(0, math.ceil(retry_after))
    version = f" version {api_version}" if api_version else ""
    message = (
        f"Requests to the {OPERATION_NAMES.get(operation, operation)} Operation under Azure OpenAI API"
        f"{version} have exceeded the rate limit of your current tier. Please retry after {seconds} "
        "seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further "
        "increase the default rate limit."
    )
    all_headers = {"Retry-After": str(seconds), "retry-after-ms": str(max(0, math.ceil(retry_after * 1000)))}
    all_headers.update(headers)
    return error(429, message, code="429", headers=all_headers)


def content_filtered(categories: Mapping[str, str]) -> Response:
    """The 400 Azure answers when its content filter blocks a prompt: ``categories`` maps each
    filtered category (hate, sexual, violence, self_harm, jailbreak) to its severity."""
    results: dict[str, object] = {}
    for name in ("hate", "self_harm", "sexual", "violence"):
        severity = categories.get(name)
        results[name] = {"filtered": severity is not None, "severity": severity or "safe"}
    if "jailbreak" in categories:
        results["jailbreak"] = {"filtered": True, "detected": True}
    return error(
        400,
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
        "Please modify your prompt and retry. To learn more about our content filtering policies please "
        "read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        code="content_filter",
        param="prompt",
        extra={
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": results},
        },
    )
