"""Azure AI Content Safety: refuse questions whose harm severity reaches the configured threshold."""

from __future__ import annotations

from typing import Any

from . import errors
from .downstream import post_json
from .settings import Settings

SERVICE = "contentsafety"
API_VERSION = "2024-09-01"
CATEGORIES = ["Hate", "SelfHarm", "Sexual", "Violence"]


def check(settings: Settings, text: str) -> None:
    """Raise ``errors.ContentFiltered`` when any category's severity is >= the threshold."""
    assert settings.content_safety_endpoint is not None
    assert settings.content_safety_key is not None
    url = f"{settings.content_safety_endpoint}/contentsafety/text:analyze?api-version={API_VERSION}"
    result = post_json(
        SERVICE,
        url,
        {"Ocp-Apim-Subscription-Key": settings.content_safety_key},
        {"text": text, "categories": CATEGORIES, "outputType": "FourSeverityLevels"},
        settings.downstream_timeout,
    )
    worst = _worst_category(result)
    if worst is not None and worst[1] >= settings.content_safety_threshold:
        category, severity = worst
        raise errors.ContentFiltered(
            f"the message was blocked by content safety: {category} severity {severity} "
            f"(threshold {settings.content_safety_threshold})",
            category,
        )


def _worst_category(result: Any) -> tuple[str, int] | None:
    """The most severe (category, severity); a body of the wrong shape is a downstream error, not a pass."""
    analysis = result.get("categoriesAnalysis") if isinstance(result, dict) else None
    if not isinstance(analysis, list):
        raise errors.DownstreamFailure(SERVICE, 200, "content safety answer has no 'categoriesAnalysis' list")
    worst: tuple[str, int] | None = None
    for entry in analysis:
        category = entry.get("category") if isinstance(entry, dict) else None
        severity = entry.get("severity") if isinstance(entry, dict) else None
        if not isinstance(category, str) or not isinstance(severity, int) or isinstance(severity, bool):
            raise errors.DownstreamFailure(SERVICE, 200, f"malformed categoriesAnalysis entry: {entry!r}")
        if worst is None or severity > worst[1]:
            worst = (category, severity)
    return worst
