"""Nothing in an Azure OpenAI simulator answer gives the simulator away (an app or SDK that logs or
checks ``x-ms-region`` or ``system_fingerprint`` sees values of the real service's shape), and both
are options."""

from __future__ import annotations

import json
import re

import requests

from harness.mocks.server import MockService
from harness.simulators.azure_openai import AzureOpenAISimulator

from . import test_sim_openai_rest as rest_tests
from .test_sim_openai import serve
from .test_sim_openai_rest import ASK, CHAT, OPTIONS, config_problems, events, post

#: A fingerprint of the service's shape: "fp_" and ten lowercase hex digits.
FINGERPRINT = re.compile(r"fp_[0-9a-f]{10}")


# The REST tests' fixtures: the simulator's service and its per-test bracket.
server = rest_tests.server
sim = rest_tests.sim


def no_tell(response: requests.Response) -> None:
    shown = json.dumps(dict(response.headers)) + response.text
    assert "harness" not in shown.lower(), shown


def test_plain_and_streamed_answers_carry_no_tell(server: MockService, sim: AzureOpenAISimulator):
    plain = post(server, CHAT)
    assert plain.headers["x-ms-region"] == "East US"
    assert FINGERPRINT.fullmatch(plain.json()["system_fingerprint"])
    no_tell(plain)
    streamed = post(server, CHAT, {**ASK, "stream": True})
    chunks = [json.loads(block[6:]) for block in events(streamed)[1:-1]]
    assert {chunk["system_fingerprint"] for chunk in chunks} == {plain.json()["system_fingerprint"]}
    assert streamed.headers["x-ms-region"] == "East US"
    no_tell(streamed)


def test_region_and_fingerprint_are_options():
    options = {**OPTIONS, "region": "Sweden Central", "system_fingerprint": "fp_0123456789"}
    server = next(serve(options))
    try:
        server.begin_test()
        response = post(server, CHAT)
        assert response.headers["x-ms-region"] == "Sweden Central"
        assert response.json()["system_fingerprint"] == "fp_0123456789"
        server.end_test()
    finally:
        server.stop()


def test_bad_region_and_fingerprint_options_are_reported_at_load():
    problems = "\n".join(config_problems({"region": 3, "system_fingerprint": ""}))
    assert "options.region: expected a region name, found 3 (integer); fix: region = " in problems
    assert "options.system_fingerprint: expected a fingerprint" in problems
