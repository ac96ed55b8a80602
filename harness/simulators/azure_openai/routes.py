"""The paths the simulator answers, in both URL styles Azure OpenAI has.

* Deployment style (``AzureOpenAI(azure_endpoint=...)``):
  ``/openai/deployments/{deployment}/chat/completions`` and ``.../embeddings``, with a required
  ``?api-version=``.
* v1 style (``OpenAI(base_url=".../openai/v1")``): ``/openai/v1/chat/completions``,
  ``/openai/v1/embeddings`` and ``/openai/v1/responses`` (also without the ``/openai`` prefix), the
  deployment in the body's ``model``, no api-version needed.
* The Responses API through ``AzureOpenAI(azure_endpoint=...)``: ``/openai/responses`` with a
  required ``?api-version=`` and the deployment in the body's ``model``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.wrappers import Request

_OPERATIONS = {"chat/completions": "chat", "embeddings": "embeddings", "responses": "responses"}
_DEPLOYMENT_PATH = re.compile(
    r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<operation>chat/completions|embeddings)/?$"
)
_V1_PATH = re.compile(r"^(?:/openai)?/v1/(?P<operation>chat/completions|embeddings|responses)/?$")
_RESPONSES_PATH = re.compile(r"^/openai/responses/?$")


@dataclass(frozen=True)
class Route:
    """A request's operation ("chat", "embeddings" or "responses") and, in the deployment style,
    its deployment."""

    operation: str
    deployment: str | None
    #: The paths outside v1 need ``?api-version=``.
    needs_api_version: bool


def match(request: Request) -> Route | None:
    """The route of ``request``, or None for a path (or method) the service does not have."""
    if request.method != "POST":
        return None
    found = _DEPLOYMENT_PATH.match(request.path)
    if found:
        return Route(_OPERATIONS[found["operation"]], found["deployment"], needs_api_version=True)
    found = _V1_PATH.match(request.path)
    if found:
        return Route(_OPERATIONS[found["operation"]], None, needs_api_version=False)
    if _RESPONSES_PATH.match(request.path):
        return Route("responses", None, needs_api_version=True)
    return None
