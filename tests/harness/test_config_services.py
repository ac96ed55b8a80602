"""Validation of the service keys ``tls``, ``simulator`` and ``options``: one clear problem each,
naming the key and the fix. A dummy simulator (simulator_support) stands in for the real ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import simulators
from harness.config import parse_table
from harness.errors import ConfigError

from . import simulator_support

SOURCE = Path("/project/pyproject.toml")
WHERE = "tool.harness.services.api"


@pytest.fixture(autouse=True)
def echo_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    simulator_support.register(monkeypatch)


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
    for kind in simulators.KINDS:
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


def test_a_simulator_that_cannot_be_imported_is_a_problem_naming_it(monkeypatch):
    monkeypatch.setitem(simulators.KINDS, "missing", "harness_no_such_module:Missing")
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
    assert set(simulators.KINDS) >= {"azure_openai", "azure_search", "azure_content_safety"}


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
