"""The paths the simulator answers, in both URL styles Azure OpenAI has.

* Deployment style (``AzureOpenAI(azure_endpoint=...)``):
  ``/openai/deployments/{deployment}/chat/completions`` and ``.../embeddings``, with a required
  ``?api-version=``.
* v1 style (``OpenAI(base_url=".../openai/v1")``): ``/openai/v1/chat/completions`` and
  ``/openai/v1/embeddings`` (also without the ``/openai`` prefix), the deployment in the body's
  ``model``, no api-version needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.wrappers import Request

_OPERATIONS = {"chat/completions": "chat", "embeddings": "embeddings"}
_DEPLOYMENT_PATH = re.compile(
    r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<operation>chat/completions|embeddings)/?$"
)
_V1_PATH = re.compile(r"^(?:/openai)?/v1/(?P<operation>chat/completions|embeddings)/?$")


@dataclass(frozen=True)
class Route:
    """A request's operation ("chat" or "embeddings") and, in the deployment style, its deployment."""

    operation: str
    deployment: str | None

    @property
    def needs_api_version(self) -> bool:
        return self.deployment is not None


def match(request: Request) -> Route | None:
    """The route of ``request``, or None for a path (or method) the service does not have."""
    if request.method != "POST":
        return None
    found = _DEPLOYMENT_PATH.match(request.path)
    if found:
        return Route(_OPERATIONS[found["operation"]], found["deployment"])
    found = _V1_PATH.match(request.path)
    if found:
        return Route(_OPERATIONS[found["operation"]], None)
    return None
