"""Validation of the service keys ``tls``, ``simulator``, ``options``, ``max_body_bytes`` and
``request_timeout``: one clear problem each, naming the key and the fix. A dummy simulator
(tests/support/simulators.py) stands in for the real ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import simulators
from harness.config import parse_table
from harness.config.load import DEFAULTS
from harness.config.model import ServiceConfig
from harness.errors import ConfigError
from harness.mocks.server import RequestLimits
from harness.orchestrator import Harness
from tests.support.simulators import register_echo

SOURCE = Path("/project/pyproject.toml")
WHERE = "tool.harness.services.api"


@pytest.fixture(autouse=True)
def echo_simulator() -> Iterator[None]:
    with register_echo():
        yield


def problems(service: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_table({"command": ["app"], "services": {"api": service}}, SOURCE)
    assert str(SOURCE) in str(info.value)
    return info.value.problems


def single(service: object) -> str:
    (problem,) = problems(service)
    return problem


def test_valid_service_keys_are_kept():
    config = parse_table(
        {
            "command": ["app"],
            "services": {"api": {"tls": True, "simulator": "echo", "options": {"greeting": "hey"}}},
        },
        SOURCE,
    )
    api = config.services["api"]
    assert api.tls is True
    assert api.simulator == "echo"
    assert api.options == {"greeting": "hey"}


def test_defaults_are_plain_http_without_a_simulator():
    api = parse_table({"command": ["app"], "services": {"api": {}}}, SOURCE).services["api"]
    assert (api.tls, api.simulator, dict(api.options)) == (False, None, {})


@pytest.mark.parametrize("value", ["yes", 1, "true", ["true"]])
def test_tls_must_be_a_boolean(value):
    problem = single({"tls": value})
    assert problem.startswith(f"{WHERE}.tls: expected true or false, found {value!r}")
    assert "fix: tls = true serves HTTPS" in problem


def test_an_unknown_simulator_suggests_the_close_match():
    problem = single({"simulator": "ecoh"})
    assert problem == f"{WHERE}.simulator: unknown simulator 'ecoh' (string); did you mean \"echo\"?"


def test_an_unknown_simulator_without_a_close_match_lists_the_known_ones():
    problem = single({"simulator": "zzzz"})
    assert problem.startswith(f"{WHERE}.simulator: unknown simulator 'zzzz' (string); known simulators: ")
    for kind in simulators.kinds():
        assert f'"{kind}"' in problem


@pytest.mark.parametrize("value", [3, ["echo"], {"kind": "echo"}, True])
def test_a_simulator_that_is_not_a_string_is_a_problem_not_a_crash(value):
    problem = single({"simulator": value})
    assert problem.startswith(f"{WHERE}.simulator: unknown simulator ")
    assert "known simulators: " in problem


def test_options_without_a_simulator():
    problem = single({"options": {"greeting": "hey"}})
    assert problem.startswith(f"{WHERE}.options: options without a simulator; fix: add simulator = ")
    assert '"echo"' in problem
    assert "or remove the options" in problem


@pytest.mark.parametrize("value", ["greeting=hey", ["greeting"], 1])
def test_options_must_be_a_table(value):
    problem = single({"simulator": "echo", "options": value})
    assert problem.startswith(f"{WHERE}.options: expected a table of simulator options, found {value!r}")
    assert f"fix: write them as [{WHERE}.options]" in problem


def test_the_simulator_checks_its_own_options_under_their_full_key():
    assert problems({"simulator": "echo", "options": {"greting": "hey", "greeting": 3}}) == [
        f"{WHERE}.options.greting: unknown option (the echo simulator takes greeting)",
        f"{WHERE}.options.greeting: expected a string, found 3",
    ]


def test_a_simulator_that_cannot_be_imported_is_a_problem_naming_it():
    with simulators.register("missing", "harness_no_such_module:Missing"):
        problem = single({"simulator": "missing"})
    assert problem.startswith(f"{WHERE}.simulator: the missing simulator (harness_no_such_module:Missing)")
    assert "cannot be loaded: ModuleNotFoundError" in problem
    assert "fix: install what it needs or remove the simulator" in problem


def test_every_problem_of_a_service_is_reported_at_once():
    found = problems({"tls": "on", "simulator": "ecoh", "options": "x", "strict": "no"})
    keys = sorted(problem.split(":")[0] for problem in found)
    assert keys == [f"{WHERE}.options", f"{WHERE}.simulator", f"{WHERE}.strict", f"{WHERE}.tls"]


def test_the_builtin_kinds_are_listed():
    # The three simulators the configuration accepts by name (their modules come with them).
    assert set(simulators.kinds()) >= {"azure_openai", "azure_search", "azure_content_safety"}


def test_tls_placeholders_exist_when_a_service_has_tls():
    config = parse_table(
        {
            "command": ["app"],
            "env": {
                "JAVA_TOOL_OPTIONS": "-Djavax.net.ssl.trustStore={tls.truststore}",
                "CA": "{tls.ca_bundle}",
            },
            "services": {"api": {"tls": True}},
        },
        SOURCE,
    )
    assert config.app.env["CA"] == "{tls.ca_bundle}"  # rendered at start, once the run has its CA


def test_tls_placeholders_without_a_tls_service_are_unknown():
    with pytest.raises(ConfigError) as info:
        parse_table({"command": ["app"], "env": {"CA": "{tls.ca_bundle}"}, "services": {"api": {}}}, SOURCE)
    (problem,) = info.value.problems
    assert problem.startswith("tool.harness.env.CA: unknown placeholder {tls.ca_bundle}")


# -- request limits: max_body_bytes, request_timeout ---------------------------------------------------


def test_request_limits_default_to_64_mib_and_30_seconds_everywhere():
    # The documented defaults, the same in the loader, the model and the mock itself.
    api = parse_table({"command": ["app"], "services": {"api": {}}}, SOURCE).services["api"]
    assert (api.max_body_bytes, api.request_timeout) == (67108864, 30.0)
    assert (DEFAULTS["max_body_bytes"], DEFAULTS["request_timeout"]) == (67108864, 30.0)
    assert ServiceConfig(name="api").max_body_bytes == RequestLimits().max_body_bytes == 64 * 1024 * 1024
    assert ServiceConfig(name="api").request_timeout == RequestLimits().request_timeout == 30.0


def test_request_limits_are_kept_and_reach_the_mock_service(tmp_path):
    config = parse_table(
        {"command": ["app"], "services": {"api": {"max_body_bytes": 1000, "request_timeout": 2.5}}},
        tmp_path / "pyproject.toml",
    )
    api = config.services["api"]
    assert (api.max_body_bytes, api.request_timeout) == (1000, 2.5)
    mock = Harness(config).services["api"]  # nothing starts until asked
    assert mock.limits == RequestLimits(max_body_bytes=1000, request_timeout=2.5)
    assert (mock.max_body_bytes, mock.request_timeout) == (1000, 2.5)


def test_an_integer_request_timeout_is_a_number_of_seconds():
    api = parse_table({"command": ["app"], "services": {"api": {"request_timeout": 5}}}, SOURCE).services[
        "api"
    ]
    assert api.request_timeout == 5.0
    assert isinstance(api.request_timeout, float)


@pytest.mark.parametrize("value", [0, -1, 1.5, 1e9, "64MiB", True, [1], {"bytes": 1}])
def test_max_body_bytes_must_be_a_positive_integer(value):
    problem = single({"max_body_bytes": value})
    assert problem.startswith(
        f"{WHERE}.max_body_bytes: expected a positive integer number of bytes, found {value!r}"
    ), problem
    assert "fix: the largest request body the mock reads (a larger one is answered 413)" in problem
    assert "default 67108864 (64 MiB)" in problem


@pytest.mark.parametrize("value", [0, -1, 0.0, 86401, float("inf"), float("nan"), "30s", True, [30]])
def test_request_timeout_must_be_a_positive_number_of_seconds(value):
    problem = single({"request_timeout": value})
    assert problem.startswith(
        f"{WHERE}.request_timeout: expected a positive number of seconds (at most 86400), found {value!r}"
    ), problem
    assert (
        "fix: the seconds a client gets to send one whole request (past them the mock answers 408)" in problem
    )


def test_a_misspelt_limit_key_suggests_the_right_one():
    assert (
        single({"max_body_size": 10})
        == f"{WHERE}.max_body_size: unknown key (did you mean 'max_body_bytes'?)"
    )
    assert (
        single({"request_timout": 10})
        == f"{WHERE}.request_timout: unknown key (did you mean 'request_timeout'?)"
    )
