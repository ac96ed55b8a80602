"""The Azure AI Content Safety simulator driven by the official SDK (azure-ai-contentsafety) over
TLS, plus its REST-level errors and its options at config load."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.ai.contentsafety import ContentSafetyClient
from azure.ai.contentsafety.models import AnalyzeImageOptions, AnalyzeTextOptions, ImageData, TextCategory
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from harness import faults
from harness.config import parse_table
from harness.errors import ConfigError
from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.base import SimulatorError
from harness.simulators.content_safety import ContentSafetySimulator
from tests.support.simulators import bracketed, serving

KEY = "safety-key"
OPTIONS = {
    "subscription_key": KEY,
    "severities": {"Sexual": 1},
    "blocklists": {"banned": ["Forbidden Word"]},
    "rules": [{"contains": "attack", "severities": {"Violence": 5}}],
    "attack_phrases": ["Ignore all previous instructions"],
}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("tls") / "ca.pem")


@pytest.fixture(scope="module")
def server(ca: CertificateAuthority) -> Iterator[MockService]:
    yield from serving("contentsafety", ContentSafetySimulator(OPTIONS), ssl_context=ca.server_context())


@pytest.fixture
def safety(server: MockService) -> Iterator[ContentSafetySimulator]:
    yield from bracketed(server, ContentSafetySimulator)


def make_client(server: MockService, ca: CertificateAuthority, key: str = KEY) -> ContentSafetyClient:
    bundle = str(ca.write_bundle())
    return ContentSafetyClient(server.url, AzureKeyCredential(key), connection_verify=bundle, retry_total=0)


@pytest.fixture
def client(
    server: MockService, ca: CertificateAuthority, safety: ContentSafetySimulator
) -> ContentSafetyClient:
    return make_client(server, ca)


def severities(result: Any) -> dict[str, int]:
    return {item.category: item.severity for item in result.categories_analysis}


def test_defaults_rules_and_four_levels(client: ContentSafetyClient) -> None:
    result = client.analyze_text(AnalyzeTextOptions(text="a calm sentence"))
    assert severities(result) == {"Hate": 0, "SelfHarm": 0, "Sexual": 0, "Violence": 0}  # 1 reports as 0
    ruled = client.analyze_text(AnalyzeTextOptions(text="They planned an ATTACK."))
    assert severities(ruled)["Violence"] == 4  # 5 on the 0-7 scale, bucketed to 4


def test_only_requested_categories_in_eight_levels(client: ContentSafetyClient) -> None:
    options = AnalyzeTextOptions(
        text="attack",
        categories=[TextCategory.VIOLENCE, TextCategory.SEXUAL],
        output_type="EightSeverityLevels",
    )
    assert severities(client.analyze_text(options)) == {"Violence": 5, "Sexual": 1}


def test_primed_severities_for_the_next_calls_then_set_for_all(
    client: ContentSafetyClient, safety: ContentSafetySimulator
) -> None:
    safety.answer_next(Hate=6, times=2)
    safety.set_severities({"SelfHarm": 2})
    seen = [severities(client.analyze_text(AnalyzeTextOptions(text="hi"))) for _ in range(3)]
    assert [s["Hate"] for s in seen] == [6, 6, 0]
    assert [s["SelfHarm"] for s in seen] == [2, 2, 2]


def test_blocklists_from_options_and_test_with_halt(
    client: ContentSafetyClient, safety: ContentSafetySimulator
) -> None:
    safety.add_blocklist("competitors", ["acme"])
    options = AnalyzeTextOptions(
        text="ACME sells a forbidden word", blocklist_names=["banned", "competitors"]
    )
    result = client.analyze_text(options)
    assert sorted((m.blocklist_name, m.blocklist_item_text) for m in result.blocklists_match) == [
        ("banned", "Forbidden Word"),
        ("competitors", "acme"),
    ]
    assert len(result.categories_analysis) == 4
    options.halt_on_blocklist_hit = True
    assert client.analyze_text(options).categories_analysis == []


def test_test_state_is_dropped_at_end_test(
    client: ContentSafetyClient, safety: ContentSafetySimulator, server: MockService
) -> None:
    safety.set_severities(Hate=4)
    safety.add_rule("hello", Sexual=6)
    safety.add_blocklist("temp", ["hello"])
    safety.fail_next(500, times=3)
    server.end_test()
    server.begin_test()
    assert severities(client.analyze_text(AnalyzeTextOptions(text="hello")))["Hate"] == 0
    with pytest.raises(HttpResponseError) as info:
        client.analyze_text(AnalyzeTextOptions(text="hello", blocklist_names=["temp"]))
    assert info.value.status_code == 404


def test_wrong_key_is_401(
    server: MockService, ca: CertificateAuthority, safety: ContentSafetySimulator
) -> None:
    with pytest.raises(ClientAuthenticationError) as info:
        make_client(server, ca, key="wrong").analyze_text(AnalyzeTextOptions(text="hi"))
    assert info.value.status_code == 401


def test_too_long_text_is_400(client: ContentSafetyClient) -> None:
    with pytest.raises(HttpResponseError) as info:
        client.analyze_text(AnalyzeTextOptions(text="x" * 10_001))
    assert info.value.status_code == 400
    assert info.value.error is not None
    assert info.value.error.code == "InvalidRequestBody"


def test_primed_failure_and_fault(client: ContentSafetyClient, safety: ContentSafetySimulator) -> None:
    safety.fail_next(429, "TooManyRequests", "slow down")
    with pytest.raises(HttpResponseError) as info:
        client.analyze_text(AnalyzeTextOptions(text="hi"))
    assert info.value.status_code == 429
    safety.fault_next(faults.throttle(retry_after=0), operation="text")
    with pytest.raises(HttpResponseError):
        client.analyze_text(AnalyzeTextOptions(text="hi"))
    assert client.analyze_text(AnalyzeTextOptions(text="hi")).categories_analysis


def test_image_analyze(client: ContentSafetyClient, safety: ContentSafetySimulator) -> None:
    safety.set_severities(Violence=7)
    result = client.analyze_image(AnalyzeImageOptions(image=ImageData(content=b"\x89PNG")))
    assert {item.category: item.severity for item in result.categories_analysis}["Violence"] == 6


def test_expectation_wins_over_simulator(client: ContentSafetyClient, server: MockService) -> None:
    server.expect_request("/contentsafety/text:analyze").respond_with_json(
        {"blocklistsMatch": [], "categoriesAnalysis": [{"category": "Hate", "severity": 2}]}
    )
    assert severities(client.analyze_text(AnalyzeTextOptions(text="hi"))) == {"Hate": 2}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{nope", "not valid JSON"),
        (b'{"text": ""}', "text"),
        (b'{"text": "a", "categories": ["Rude"]}', "categories"),
        (b'{"text": "a", "outputType": "TenLevels"}', "outputType"),
        (b'{"text": "a", "blocklistNames": "banned"}', "blocklistNames"),
    ],
)
def test_malformed_requests_are_400_envelopes(
    server: MockService, ca: CertificateAuthority, safety: ContentSafetySimulator, body: bytes, fragment: str
) -> None:
    response = requests.post(
        server.url + "/contentsafety/text:analyze",
        params={"api-version": "2024-09-01"},
        data=body,
        headers={"Ocp-Apim-Subscription-Key": KEY, "Content-Type": "application/json"},
        verify=str(ca.write_bundle()),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestBody"
    assert fragment in response.json()["error"]["message"]


def test_test_api_rejects_impossible_severities() -> None:
    simulator = ContentSafetySimulator()
    with pytest.raises(SimulatorError, match="0-7"):
        simulator.set_severities(Hate=8)
    with pytest.raises(SimulatorError, match="did you mean"):
        simulator.answer_next(Violent=2)


def test_options_are_checked_at_load(tmp_path: Path) -> None:
    options = {
        "subscription_keys": "x",
        "severities": {"Hate": 9, "Violense": 1},
        "blocklists": {"b": "not a list"},
        "rules": [{"severities": {"Hate": 2}}],
    }
    table = {
        "command": ["app"],
        "services": {"cs": {"simulator": "azure_content_safety", "options": options}},
    }
    with pytest.raises(ConfigError) as info:
        parse_table(table, tmp_path / "pyproject.toml")
    where = "tool.harness.services.cs.options"
    expected = [
        (f"{where}.subscription_keys", 'did you mean "subscription_key"'),
        (f"{where}.severities.Hate", "0-7"),
        (f"{where}.severities.Violense", 'did you mean "Violence"'),
        (f"{where}.blocklists", "array of non-empty strings"),
        (f"{where}.rules[0]", "contains"),
    ]
    found = info.value.problems
    assert len(found) == len(expected), found
    for key, fragment in expected:
        assert any(problem.startswith(key + ":") and fragment in problem for problem in found), (key, found)
