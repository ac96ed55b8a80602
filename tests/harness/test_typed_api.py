"""The typed public API: what ``expect_request`` and friends return, ``simulator_as``, and a user's
test file (typing_examples/test_typed_api.py, which the suite also runs) under ``mypy --strict``."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import harness
from harness import HarnessError, faults
from harness.mocks import ExpectationHandler, MockService
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_search import AzureSearchSimulator
from tests.support.mocks import running

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path(__file__).parent / "typing_examples" / "test_typed_api.py"
#: Mistakes mypy must find in a user's code; each line that must be reported ends ``# error: <code>``.
MISTYPED = EXAMPLE.with_name("mistyped.py")

_REPORTED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$", re.MULTILINE)


@pytest.fixture
def service() -> Iterator[MockService]:
    yield from running(MockService("openai", simulator=AzureOpenAISimulator()))


def test_every_expect_call_returns_an_expectation_handler(service: MockService) -> None:
    assert harness.ExpectationHandler is ExpectationHandler
    handlers = [
        service.expect_request("/permanent"),
        service.expect_oneshot_request("/oneshot", method="POST"),
        service.expect_ordered_request("/ordered", query_string="a=1"),
    ]
    assert all(type(handler) is ExpectationHandler for handler in handlers)
    assert handlers[0] in service.handlers
    assert handlers[1] in service.oneshot_handlers
    assert handlers[2] in service.ordered_handlers

    service.clear_all_handlers()  # the ordered one would have to be called first
    service.expect_request("/permanent").respond_with_fault(faults.reset())
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{service.url}/permanent", timeout=10)
    assert service.requests[0].expectation == "any method /permanent"
    assert service.requests[0].fault == "connection reset"


def test_simulator_as_returns_the_simulator_typed(service: MockService) -> None:
    assert service.simulator_as(AzureOpenAISimulator) is service.simulator


def test_simulator_as_names_the_service_and_both_simulators(service: MockService) -> None:
    with pytest.raises(HarnessError) as raised:
        service.simulator_as(AzureSearchSimulator)
    message = str(raised.value)
    assert message.startswith("mock service 'openai' has the AzureOpenAISimulator")
    assert 'simulator = "azure_openai"' in message
    assert 'not the AzureSearchSimulator asked for (simulator = "azure_search")' in message
    assert "[tool.harness.services.openai]" in message


def test_simulator_as_on_a_plain_mock_or_with_no_class() -> None:
    plain = MockService("payments")
    with pytest.raises(HarnessError, match="mock service 'payments' has no simulator, not the Azure"):
        plain.simulator_as(AzureOpenAISimulator)
    with pytest.raises(HarnessError, match="simulator_as takes a simulator class"):
        plain.simulator_as("azure_openai")  # type: ignore[arg-type]


def test_a_users_test_file_passes_mypy_strict_and_mistakes_are_caught(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it comes with the lint dependency group)")
    # The repository's [tool.mypy] (strict, Python 3.10); only the two files' own errors count
    # (follow_imports=silent: harness itself is checked by the lint run), the cache in tmp_path.
    command = [
        *(sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--strict"),
        *("--follow-imports=silent", "--cache-dir", str(tmp_path / "mypy-cache"), "--no-pretty"),
        *(str(EXAMPLE), str(MISTYPED)),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)

    output = result.stdout + result.stderr
    reported = {
        (Path(match["file"]).name, int(match["line"]), match["code"])
        for match in _REPORTED.finditer(result.stdout)
    }
    expected = {
        (MISTYPED.name, number, line.rsplit("# error: ", 1)[1])
        for number, line in enumerate(MISTYPED.read_text(encoding="utf-8").splitlines(), start=1)
        if "# error: " in line
    }
    assert reported == expected, output
    assert f"Found {len(expected)} errors in 1 file (checked 2 source files)" in output
