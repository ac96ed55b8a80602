"""One priming vocabulary for every simulator (docs/simulators.md): the naming rule, the deprecated
aliases of the old names, the one queue engine (NextCalls), the per-test reset rule of the base
class, and the declarative checks the options and the test API share."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from harness import faults
from harness.simulators import NextCalls, Simulator, SimulatorError
from harness.simulators.azure_openai import AzureOpenAISimulator
from harness.simulators.azure_search import AzureSearchSimulator
from harness.simulators.checks import Check, Schema, TableOf, arguments, deprecated_alias, integer
from harness.simulators.content_safety import ContentSafetySimulator

SIMULATORS: list[type[Simulator]] = [AzureOpenAISimulator, AzureSearchSimulator, ContentSafetySimulator]

#: (simulator, deprecated name, the name to use): CHANGELOG.md and docs/simulators.md list the same.
ALIASES = [
    (AzureOpenAISimulator, "answer_with", "set_answerer"),
    (AzureSearchSimulator, "prime_results", "answer_next"),
    (AzureSearchSimulator, "prime_failure", "fail_next"),
    (AzureSearchSimulator, "prime_fault", "fault_next"),
    (ContentSafetySimulator, "prime_severities", "answer_next"),
    (ContentSafetySimulator, "prime_attack", "detect_attack_next"),
    (ContentSafetySimulator, "prime_failure", "fail_next"),
    (ContentSafetySimulator, "prime_fault", "fault_next"),
]

#: Public methods that prime nothing: the service's own data (Search indexes, created as the app
#: would) and what a test reads.
NOT_PRIMING = {"create_index", "load_documents", "delete_index", "index_names", "documents", "document"}


def test_every_priming_method_follows_the_naming_rule() -> None:
    deprecated = {(cls, old) for cls, old, _ in ALIASES}
    for cls in SIMULATORS:
        own = {name: member for klass in cls.__mro__[:-2] for name, member in vars(klass).items()}
        assert cls.__mro__[-2:] == (Simulator, object)
        for name, member in own.items():
            if (
                name.startswith("_")
                or not callable(member)
                or (cls, name) in deprecated
                or name in NOT_PRIMING
            ):
                continue
            if name in vars(Simulator):  # the base class's hooks (handle, describe, save_state, ...)
                continue
            assert name.endswith("_next") or name.startswith(("set_", "add_")), f"{cls.__name__}.{name}"
            parameters = inspect.signature(member).parameters
            if name.endswith("_next"):
                assert "times" in parameters, f"{cls.__name__}.{name} has no times="


@pytest.mark.parametrize(("cls", "old", "new"), ALIASES, ids=[f"{c.kind}.{o}" for c, o, _ in ALIASES])
def test_an_old_name_warns_and_does_what_the_new_one_does(cls: type[Simulator], old: str, new: str) -> None:
    assert inspect.signature(getattr(cls, old)) == inspect.signature(getattr(cls, new))
    arguments: dict[str, tuple[Any, ...]] = {
        "answer_with": (lambda request: "hi",),
        "prime_results": ([{"id": "1"}],),
        "prime_failure": (503,),
        "prime_fault": (faults.reset(),),
        "prime_severities": ({"Hate": 6},),
        "prime_attack": (),
    }
    with_old, with_new = cls(), cls()
    with pytest.warns(DeprecationWarning, match=rf"^{old}\(\) is deprecated .* use {new}\(\)"):
        getattr(with_old, old)(*arguments[old])
    getattr(with_new, new)(*arguments[old])
    assert with_old.pending == with_new.pending
    assert getattr(cls, old).__doc__.startswith(f"Deprecated alias of :meth:`{new}`")


def test_argument_errors_name_the_method_as_the_test_called_it() -> None:
    search = AzureSearchSimulator()
    with pytest.raises(
        SimulatorError, match=r"^fail_next\(status\): expected an HTTP error status 400-599, got 200$"
    ):
        search.fail_next(200)
    with (
        pytest.warns(DeprecationWarning, match="use fail_next"),
        pytest.raises(SimulatorError, match=r"^prime_failure\(times\): expected a whole number >= 1, got 0$"),
    ):
        search.prime_failure(times=0)
    with pytest.raises(SimulatorError, match=r"^fault_next\(fault\): faults\.reset is a function: call it"):
        search.fault_next(faults.reset)  # type: ignore[arg-type]
    with pytest.raises(SimulatorError, match=r"^fail_next\(operation\): expected one of 'search', "):
        search.fail_next(operation="serach")


# -- the queue engine ----------------------------------------------------------------------------------


def test_next_calls_are_used_first_primed_first_by_the_calls_they_fit() -> None:
    queue: NextCalls[str] = NextCalls()
    queue.add("A", times=2, description="answer A", operation="chat")
    queue.add("B", description="answer B")
    assert queue.pending() == ["answer A (x2)", "answer B"]
    assert queue.take(operation="embeddings") == "B"  # A does not fit
    assert queue.take(operation=frozenset({"responses", "chat"})) == "A"  # a call may count as several
    saved = queue.save()
    assert queue.take(operation="chat") == "A"
    assert queue.take(operation="chat") is None
    queue.restore(saved)
    assert queue.pending() == ["answer A"]
    assert queue.take(accept=lambda value: value != "A", operation="chat") is None  # left for later
    assert len(queue) == 1
    with pytest.raises(SimulatorError, match=r"^times: expected a whole number >= 1, got 0$"):
        queue.add("C", times=0)


# -- the reset rule --------------------------------------------------------------------------------------


def post(simulator: Simulator, path: str, body: object, headers: dict[str, str]) -> Any:
    environ = EnvironBuilder(
        path=path, method="POST", query_string={"api-version": "2024-09-01"}, json=body, headers=headers
    ).get_environ()
    response = simulator.handle(Request(environ))
    assert response is not None
    return response.status_code, json.loads(response.get_data())


def hate(safety: ContentSafetySimulator) -> int:
    _, body = post(
        safety,
        "/contentsafety/text:analyze",
        {"text": "hi", "outputType": "EightSeverityLevels"},
        {"Ocp-Apim-Subscription-Key": "k"},
    )
    return {item["category"]: item["severity"] for item in body["categoriesAnalysis"]}["Hate"]


def test_content_safety_keeps_what_was_set_before_the_test_as_its_baseline() -> None:
    safety = ContentSafetySimulator({"severities": {"Hate": 1}})
    safety.set_severities(Hate=3)  # a session fixture, before the first test
    safety.add_blocklist("early", ["x"])
    safety.answer_next(Hate=5)
    for _ in range(2):  # every test starts from the same baseline
        safety.begin_test()
        assert hate(safety) == 5  # the primed answer from before the test, once per test
        assert hate(safety) == 3
        safety.set_severities(Hate=7)
        safety.add_blocklist("early", ["y"])
        safety.answer_next(Hate=6, times=3)
        assert hate(safety) == 6
        safety.end_test()
    assert hate(safety) == 5
    assert safety.pending == []
    safety.begin_test()
    _, body = post(
        safety,
        "/contentsafety/text:analyze",
        {"text": "x y", "blocklistNames": ["early"]},
        {"Ocp-Apim-Subscription-Key": "k"},
    )
    assert [match["blocklistItemText"] for match in body["blocklistsMatch"]] == ["x"]


def test_an_option_blocklist_gets_more_items_from_the_test() -> None:
    safety = ContentSafetySimulator({"blocklists": {"banned": ["one"]}})
    safety.add_blocklist("banned", ["two"])
    _, body = post(
        safety,
        "/contentsafety/text:analyze",
        {"text": "one two", "blocklistNames": ["banned"]},
        {"Ocp-Apim-Subscription-Key": "k"},
    )
    assert [match["blocklistItemText"] for match in body["blocklistsMatch"]] == ["one", "two"]


@pytest.mark.parametrize(
    ("build", "prime", "used"),
    [
        (AzureSearchSimulator, lambda s: s.fail_next(503), "fail 503"),
        (ContentSafetySimulator, lambda s: s.fail_next(500, operation="text"), "fail 500 for text"),
        (AzureOpenAISimulator, lambda s: s.answer_next("A", deployment="d"), "answer 'A' on d for chat"),
    ],
)
def test_every_simulator_obeys_the_same_rule(
    build: Callable[[], Simulator], prime: Callable[[Any], None], used: str
) -> None:
    simulator = build()
    prime(simulator)  # before the first test: the baseline
    simulator.begin_test()
    prime(simulator)  # the test's own
    assert simulator.pending == [used, used]
    simulator.end_test()
    assert simulator.pending == [used]
    prime(simulator)
    simulator.end_test()  # without a begin_test there is no baseline to go back to: the state stays
    assert simulator.pending == [used, used]


def test_search_data_and_openai_settings_return_to_the_baseline() -> None:
    search = AzureSearchSimulator()
    search.load_documents("docs", [{"id": "1"}])
    search.begin_test()
    search.load_documents("docs", [{"id": "2"}])
    search.create_index("other")
    search.end_test()
    assert (search.index_names(), search.documents("docs")) == (["docs"], [{"id": "1"}])
    openai = AzureOpenAISimulator()
    openai.set_latency(jitter=0.5)
    openai.begin_test()
    openai.set_latency(jitter=0.1)
    openai.end_test()
    assert openai.save_state().latency == {"jitter": 0.5}


# -- declarative checks ----------------------------------------------------------------------------------


def test_a_schema_names_the_key_what_was_expected_what_was_found_and_the_fix() -> None:
    port = integer(1, 65535, fix="port = 8080")
    schema = Schema(
        {
            "port": port,
            "hosts": TableOf(Schema({"port": port}), expected="a table of hosts", fix="hosts = {}"),
        }
    )
    assert schema.problems({"prot": 1, "port": True, "hosts": {"a.b": {"port": 0}}}, "x") == [
        'x.prot: unknown option; did you mean "port"?',
        "x.port: expected a whole number from 1 to 65535, found True (boolean); fix: port = 8080",
        "x.hosts.a.b.port: expected a whole number from 1 to 65535, found 0 (integer); fix: port = 8080",
    ]
    assert schema.problems({"hosts": []}, "x") == [
        "x.hosts: expected a table of hosts, found [] (array); fix: hosts = {}"
    ]


def test_arguments_are_checked_unless_left_at_their_default() -> None:
    keep = object()

    class Thing:
        @arguments(count=integer(1).or_none(), label=Check(lambda value: isinstance(value, str), "a label"))
        def prime_next(self, count: Any = keep, *, label: str = "x") -> None:
            pass

        renamed = deprecated_alias(prime_next, "renamed")

    Thing().prime_next()  # the marker default is not checked
    Thing().prime_next(None)
    with pytest.raises(
        SimulatorError, match=r"^prime_next\(count\): expected a whole number >= 1 or None, got 0$"
    ):
        Thing().prime_next(0)
    with (
        pytest.warns(DeprecationWarning, match="use prime_next"),
        pytest.raises(SimulatorError, match=r"^renamed\(label\): expected a label"),
    ):
        Thing().renamed(label=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="missing_parameter"):
        arguments(missing_parameter=integer())(lambda self: None)
