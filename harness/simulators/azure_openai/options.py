"""The simulator's options (``[tool.harness.services.<name>.options]``): checks and parsed form."""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from harness.simulators.azure_common import (
    accepted_keys,
    describe,
    key_option_problems,
    unknown_option_problems,
)
from harness.simulators.azure_openai.latency import Latency
from harness.simulators.azure_openai.ratelimit import Limits

KINDS = ("chat", "embeddings")

#: The default answer: derived from the last user message, so different questions get different,
#: recognisable answers.
DEFAULT_ANSWER = "This is a simulated answer to: {prompt}"

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


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _seconds(value: object) -> bool:
    return _number(value) and float(value) >= 0  # type: ignore[arg-type]


def _fraction(value: object) -> bool:
    return _number(value) and 0 <= float(value) <= 1  # type: ignore[arg-type]


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _template(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError:  # a lone brace
        return False
    return all(name == "prompt" for name in fields)


def _kind(value: object) -> bool:
    return value in KINDS


_POSITIVE = (_positive_int, "a positive integer")
#: key -> (check, what was expected, the fix), for the top-level options.
_SPECS: dict[str, tuple[Callable[[object], bool], str, str]] = {
    "tokens_per_minute": (*_POSITIVE, "tokens_per_minute = 1000 (or omit it: unlimited)"),
    "requests_per_minute": (*_POSITIVE, "requests_per_minute = 60 (or omit it: unlimited)"),
    "time_to_first_token": (_seconds, "a number of seconds >= 0", "time_to_first_token = 0.2"),
    "per_token_delay": (_seconds, "a number of seconds >= 0", "per_token_delay = 0.01"),
    "jitter": (_fraction, "a fraction from 0 to 1", "jitter = 0.2 (waits vary by up to 20 %)"),
    "seed": (_integer, "an integer", "seed = 42"),
    "default_answer": (
        _template,
        'a string whose only placeholder is "{prompt}"',
        'default_answer = "Answer to {prompt}" (write {{ and }} for literal braces)',
    ),
}
_DEPLOYMENT_SPECS: dict[str, tuple[Callable[[object], bool], str, str]] = {
    "model": (_text, "a non-empty string", 'model = "gpt-4o"'),
    "kind": (_kind, '"chat" or "embeddings"', 'kind = "chat"'),
    "dimensions": (*_POSITIVE, "dimensions = 1536"),
    "tokens_per_minute": (*_POSITIVE, "tokens_per_minute = 1000"),
    "requests_per_minute": (*_POSITIVE, "requests_per_minute = 60"),
}


def _check_table(
    table: Mapping[str, object],
    specs: Mapping[str, tuple[Callable[[object], bool], str, str]],
    where: str,
    *,
    also: tuple[str, ...] = (),
) -> list[str]:
    # Unknown keys get a "did you mean"; ``also`` are keys the caller checks itself.
    problems = unknown_option_problems(table, [*specs, *also], where)
    for key, value in table.items():
        spec = specs.get(key)
        if spec is not None and not spec[0](value):
            problems.append(f"{where}.{key}: expected {spec[1]}, found {describe(value)}; fix: {spec[2]}")
    return problems


def check(options: Mapping[str, object], where: str) -> list[str]:
    """Every problem with ``options``, one message each (empty when they are fine)."""
    problems = _check_table(options, _SPECS, where, also=("deployments", "api_key"))
    problems += key_option_problems(options, "api_key", where)
    deployments = options.get("deployments")
    if deployments is None:
        return problems
    if not isinstance(deployments, Mapping):
        problems.append(
            f"{where}.deployments: expected a table of deployment name -> {{model, kind, dimensions}}, found "
            f'{describe(deployments)}; fix: deployments = {{ chat = {{ model = "gpt-4o" }} }}'
        )
        return problems
    for name, body in deployments.items():
        at = f"{where}.deployments.{name}"
        if not isinstance(body, Mapping):
            problems.append(
                f"{at}: expected a table with model, kind, dimensions, found {describe(body)}; "
                f'fix: {name} = {{ model = "gpt-4o", kind = "chat" }}'
            )
            continue
        problems += _check_table(body, _DEPLOYMENT_SPECS, at)
        kind = body.get("kind", infer_kind(str(body.get("model", name))))
        if "dimensions" in body and kind == "chat":
            problems.append(
                f"{at}.dimensions: only an embeddings deployment has dimensions; "
                'fix: set kind = "embeddings" or remove dimensions'
            )
    return problems


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
    """Settings from options :func:`check` found fine."""
    api_keys = accepted_keys(options.get("api_key")) or None
    table = options.get("deployments")
    deployments = None
    if isinstance(table, Mapping):
        deployments = {
            name: _deployment(name, body) for name, body in table.items() if isinstance(body, Mapping)
        }
    seed = options.get("seed")
    answer = options.get("default_answer")
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
    )
