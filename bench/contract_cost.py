"""What the OpenAPI contract and replay cost a mock per request, side by side in one run.

One Azure OpenAI chat completion (the openai SDK's request body and a typical answer) is sent
over one kept connection to four mocks, in interleaved rounds:

* ``plain``: a primed answer, nothing else;
* ``contract``: the same, with ``openapi`` = the published inference.json and
  ``openapi_validate = "both"`` (the request and the answer validated);
* ``replay``: the answer replayed from a recording of 20 exchanges (the match is the last);
* ``example``: nothing primed, the document's example answers (and is validated).

Printed: the one-off costs (importing harness.contract, loading the document); what validating
the request and the answer cost alone, without HTTP; then each mock's median time per request
(client and server in this process, so the figure includes the client's own cost, the same for
all four) and the difference to ``plain``, the extra cost per request.

Usage: python bench/contract_cost.py [--runs N] [--requests N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import _common
import requests

from harness.config.model import ContractSettings
from harness.mocks import MockService
from harness.mocks.contracts import MockContract
from harness.recording.cassette import Exchange, RecordedRequest, RecordedResponse, recording_path, render
from harness.recording.service import ServiceRecordings

if TYPE_CHECKING:  # imported (and timed) in main
    from harness.contract import Contract

AZURE = _common.ROOT / "tests" / "data" / "openapi" / "azure"
INFERENCE = AZURE / "cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json"
PATH = "/openai/deployments/gpt-4o/chat/completions"
QUERY = "api-version=2024-10-21"
REQUEST = {
    "messages": [
        {"role": "system", "content": "You answer questions about the travel policy."},
        {"role": "user", "content": "How much may I spend on meals per day?"},
    ],
    "model": "gpt-4o",
    "temperature": 0.2,
    "max_tokens": 400,
}
ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1733350000,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Up to 40 EUR per day.", "refusal": None},
        }
    ],
    "usage": {"prompt_tokens": 31, "completion_tokens": 9, "total_tokens": 40},
}


def _recording(count: int) -> list[Exchange]:
    """``count`` exchanges; only the last one is the benchmark's request."""
    exchanges = []
    for index in range(count):
        question = REQUEST if index == count - 1 else {**REQUEST, "temperature": index / 100}
        exchanges.append(
            Exchange(
                RecordedRequest(
                    "POST", PATH, {"api-version": ["2024-10-21"]}, {}, json.dumps(question).encode()
                ),
                RecordedResponse(200, {"content-type": "application/json"}, json.dumps(ANSWER).encode()),
            )
        )
    return exchanges


@contextlib.contextmanager
def mocks(folder: Path) -> Iterator[dict[str, MockService]]:
    contract = MockContract.load(ContractSettings(INFERENCE, "both"), root=AZURE)
    made = {
        "plain": MockService("plain"),
        "contract": MockService("contract", contract=contract),
        "replay": MockService("replay", recordings=ServiceRecordings("replay", folder)),
        "example": MockService("example", contract=contract),
    }
    for name in ("plain", "contract"):
        made[name].expect_request(PATH, method="POST").respond_with_json(ANSWER)
    for service in made.values():
        service.start()
        service.begin_test()
    recording = recording_path(folder, "bench")
    recording.write_text(render("bench", {"replay": (None, _recording(20))}))
    recordings = made["replay"].recordings
    assert recordings is not None
    recordings.begin_test("bench")  # what a test window does: the test's recording is read
    try:
        yield made
    finally:
        for service in made.values():
            service.end_test()
            service.stop()


def timed(session: requests.Session, url: str, count: int) -> float:
    """Seconds per request, over ``count`` requests."""
    body = json.dumps(REQUEST)
    headers = {"Content-Type": "application/json", "api-key": "k"}
    started = time.perf_counter()
    for _ in range(count):
        answer = session.post(url, data=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
    return (time.perf_counter() - started) / count


def one_off(what: Callable[[], object]) -> float:
    started = time.perf_counter()
    what()
    return time.perf_counter() - started


def validation_costs(contract: Contract, count: int) -> tuple[float, float]:
    """Seconds one ``validate_request`` and one ``validate_response`` of the chat completion take,
    without any HTTP (medians of 7 rounds of ``count`` calls)."""
    operation = contract.operation("POST", PATH, query={"api-version": ["2024-10-21"]})
    assert operation is not None
    body, answer = json.dumps(REQUEST).encode(), json.dumps(ANSWER).encode()
    headers = {"Content-Type": "application/json"}
    query = {"api-version": ["2024-10-21"]}

    def request() -> object:
        return operation.validate_request(path=PATH, query=query, headers=headers, body=body)

    def response() -> object:
        return operation.validate_response(status=200, headers=headers, body=answer)

    request(), response()  # validators built
    return (
        _common.median([timeit.timeit(request, number=count) / count for _ in range(7)]),
        _common.median([timeit.timeit(response, number=count) / count for _ in range(7)]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    imported = one_off(lambda: __import__("harness.contract"))
    from harness.contract import load_contract  # noqa: PLC0415 - imported (and timed) above

    loaded = one_off(lambda: load_contract(INFERENCE, root=AZURE))
    print(
        f"one-off: import harness.contract {imported * 1000:.0f} ms, "
        f"load inference.json {loaded * 1000:.1f} ms"
    )
    request_cost, answer_cost = validation_costs(load_contract(INFERENCE, root=AZURE), args.requests)
    print(
        f"validation alone (median of 7 x {args.requests}): request {request_cost * 1e6:.0f} µs, "
        f"answer {answer_cost * 1e6:.0f} µs"
    )

    with tempfile.TemporaryDirectory() as folder, mocks(Path(folder)) as made:
        sessions = {name: requests.Session() for name in made}
        urls = {name: f"{service.url}{PATH}?{QUERY}" for name, service in made.items()}
        for name in made:  # warm: validators built, connections open
            timed(sessions[name], urls[name], 20)
        results: dict[str, list[float]] = {name: [] for name in made}
        for turn in range(args.runs):
            for name in _common.rotated(list(made), turn):
                results[name].append(timed(sessions[name], urls[name], args.requests))
        for name, service in made.items():
            assert not service.unmatched_requests(), name
            broken = [entry for entry in service.requests if entry.violations]
            assert not broken, (name, broken[0].violations)
    base = _common.median(results["plain"])
    print(f"{args.runs} interleaved runs of {args.requests} requests each, medians per request:")
    for name, values in results.items():
        value = _common.median(values)
        extra = _common.paired(values, results["plain"])
        print(f"  {name:9s} {value * 1e6:7.0f} µs   ({extra * 1e6:+5.0f} µs, {value / base:.2f}x plain)")


if __name__ == "__main__":
    main()
