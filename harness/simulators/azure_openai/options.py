"""The simulator's options (``[tool.harness.services.<name>.options]``): checks and parsed form."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.simulators.azure_common import KEYS, accepted_keys
from harness.simulators.azure_openai.latency import Latency
from harness.simulators.azure_openai.ratelimit import Limits
from harness.simulators.checks import Check, Schema, TableOf, integer, number, one_of, text

KINDS = ("chat", "embeddings")

#: The default answer: derived from the last user message, so different questions get different,
#: recognisable answers.
DEFAULT_ANSWER = "This is a simulated answer to: {prompt}"

#: What a real resource reports, so that nothing in an answer gives the simulator away: the region
#: (``x-ms-region``) and a model build's ``system_fingerprint`` of the service's shape.
DEFAULT_REGION = "East US"
DEFAULT_SYSTEM_FINGERPRINT = "fp_b705f0c291"

#: Native embedding sizes; any other embeddings model gets :data:`DEFAULT_DIMENSIONS`.
LARGE_DIMENSIONS = 3072
DEFAULT_DIMENSIONS = 1536


@dataclass(frozen=True)
class Deployment:
    """One model deployment: its ``model`` name, ``kind`` and (embeddings) native ``dimensions``."""

    name: str
    model: str
    kind: str
    dimensions: int
    limits: Limits = field(default_factory=Limits)

    @property
    def flexible_dimensions(self) -> bool:
        """Whether the model takes a ``dimensions`` parameter (text-embedding-3 and later do)."""
        return "ada" not in self.model.lower()


def infer_dimensions(name: str) -> int:
    """The native size of an embeddings model named (or deployed as) ``name``."""
    return LARGE_DIMENSIONS if "3-large" in name.lower() else DEFAULT_DIMENSIONS


def infer_kind(model: str) -> str:
    """ "embeddings" for a model whose name says so, else "chat"."""
    return "embeddings" if "embedding" in model.lower() or "ada" in model.lower() else "chat"


def adhoc_deployment(name: str) -> Deployment:
    """A deployment nobody configured (``deployments`` unset): it serves both operations."""
    return Deployment(name, name, "any", infer_dimensions(name))


@dataclass(frozen=True)
class Settings:
    """Parsed options."""

    api_keys: frozenset[str] | None = None
    deployments: dict[str, Deployment] | None = None
    limits: Limits = field(default_factory=Limits)
    latency: Latency = field(default_factory=Latency)
    seed: int | None = None
    default_answer: str = DEFAULT_ANSWER
    region: str = DEFAULT_REGION
    system_fingerprint: str = DEFAULT_SYSTEM_FINGERPRINT


def _template(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError:  # a lone brace
        return False
    return all(name == "prompt" for name in fields)


def _dimensions_need_embeddings(
    body: Mapping[str, object], where: str, name: str, root: Path | None
) -> list[str]:
    kind = body.get("kind", infer_kind(str(body.get("model", name))))
    if "dimensions" in body and kind == "chat":
        return [
            f"{where}.dimensions: only an embeddings deployment has dimensions; "
            'fix: set kind = "embeddings" or remove dimensions'
        ]
    return []


_POSITIVE = integer(1, expected="a positive integer")
_SECONDS = number(0, expected="a number of seconds >= 0")

#: One deployment (``deployments.<name>``).
DEPLOYMENT = Schema(
    {
        "model": text(fix='model = "gpt-4o"'),
        "kind": one_of(KINDS, expected='"chat" or "embeddings"', fix='kind = "chat"'),
        "dimensions": _POSITIVE.with_fix("dimensions = 1536"),
        "tokens_per_minute": _POSITIVE.with_fix("tokens_per_minute = 1000"),
        "requests_per_minute": _POSITIVE.with_fix("requests_per_minute = 60"),
    },
    expected="a table with model, kind, dimensions",
    fix=lambda name: f'{name} = {{ model = "gpt-4o", kind = "chat" }}',
    extra=(_dimensions_need_embeddings,),
)
#: The simulator's options (docs/simulators/azure_openai.md).
OPTIONS = Schema(
    {
        "tokens_per_minute": _POSITIVE.with_fix("tokens_per_minute = 1000 (or omit it: unlimited)"),
        "requests_per_minute": _POSITIVE.with_fix("requests_per_minute = 60 (or omit it: unlimited)"),
        "time_to_first_token": _SECONDS.with_fix("time_to_first_token = 0.2"),
        "per_token_delay": _SECONDS.with_fix("per_token_delay = 0.01"),
        "jitter": number(
            0, 1, expected="a fraction from 0 to 1", fix="jitter = 0.2 (waits vary by up to 20 %)"
        ),
        "seed": integer(expected="an integer", fix="seed = 42"),
        "default_answer": Check(
            _template,
            'a string whose only placeholder is "{prompt}"',
            fix='default_answer = "Answer to {prompt}" (write {{ and }} for literal braces)',
        ),
        "region": text(expected="a region name", fix='region = "Sweden Central"'),
        "system_fingerprint": text(expected="a fingerprint", fix='system_fingerprint = "fp_b705f0c291"'),
        "deployments": TableOf(
            DEPLOYMENT,
            expected="a table of deployment name -> {model, kind, dimensions}",
            fix='deployments = { chat = { model = "gpt-4o" } }',
        ),
        "api_key": KEYS,
    }
)


def _limits(table: Mapping[str, object]) -> Limits:
    tpm, rpm = table.get("tokens_per_minute"), table.get("requests_per_minute")
    return Limits(tpm if isinstance(tpm, int) else None, rpm if isinstance(rpm, int) else None)


def _float(options: Mapping[str, object], name: str) -> float:
    value = options.get(name, 0.0)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _deployment(name: str, body: Mapping[str, object]) -> Deployment:
    model = str(body.get("model", name))
    dimensions = body.get("dimensions")
    return Deployment(
        name,
        model,
        str(body.get("kind", infer_kind(model))),
        dimensions if isinstance(dimensions, int) else infer_dimensions(f"{model} {name}"),
        _limits(body),
    )


def parse(options: Mapping[str, object]) -> Settings:
    """Settings from options :data:`OPTIONS` found fine."""
    api_keys = accepted_keys(options.get("api_key")) or None
    table = options.get("deployments")
    deployments = None
    if isinstance(table, Mapping):
        deployments = {
            name: _deployment(name, body) for name, body in table.items() if isinstance(body, Mapping)
        }
    seed = options.get("seed")
    answer = options.get("default_answer")
    region, fingerprint = options.get("region"), options.get("system_fingerprint")
    return Settings(
        api_keys=api_keys,
        deployments=deployments,
        limits=_limits(options),
        latency=Latency(
            _float(options, "time_to_first_token"),
            _float(options, "per_token_delay"),
            _float(options, "jitter"),
        ),
        seed=seed if isinstance(seed, int) else None,
        default_answer=answer if isinstance(answer, str) else DEFAULT_ANSWER,
        region=region if isinstance(region, str) else DEFAULT_REGION,
        system_fingerprint=fingerprint if isinstance(fingerprint, str) else DEFAULT_SYSTEM_FINGERPRINT,
    )
