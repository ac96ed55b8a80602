"""Token log-probabilities from the Azure OpenAI simulator (``logprobs`` / ``top_logprobs``), through
the openai SDK: one entry per token of the answer, deterministic, plain and streamed alike, and the
service's 400s."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai import AzureOpenAI

from harness.simulators.azure_openai import AzureOpenAISimulator

from . import test_sim_openai as chat_tests
from .test_sim_openai import ASK

# The chat tests' fixtures: the simulator's service, its per-test bracket, and an SDK client.
server = chat_tests.server
sim = chat_tests.sim
client = chat_tests.client

ANSWER = "Paris is the capital of France."


def plain(client: AzureOpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="chat", messages=ASK, **kwargs).choices[0]


def test_every_token_of_the_answer_has_its_logprob_and_top_alternatives(
    client: AzureOpenAI, sim: AzureOpenAISimulator
):
    sim.answer_next(ANSWER)
    choice = plain(client, logprobs=True, top_logprobs=3)
    entries = choice.logprobs.content
    assert "".join(entry.token for entry in entries) == ANSWER == choice.message.content
    for entry in entries:
        assert -1.5 < entry.logprob <= 0
        assert bytes(entry.bytes).decode() == entry.token
        tops = entry.top_logprobs
        assert len(tops) == 3
        assert (tops[0].token, tops[0].logprob) == (entry.token, entry.logprob)  # the chosen token leads
        assert [top.logprob for top in tops] == sorted((top.logprob for top in tops), reverse=True)
        assert len({top.token for top in tops}) == 3


def test_the_same_answer_gets_the_same_figures_plain_and_streamed(
    client: AzureOpenAI, sim: AzureOpenAISimulator
):
    sim.answer_next(ANSWER, times=2)
    first = plain(client, logprobs=True, top_logprobs=2).logprobs.content
    stream = client.chat.completions.create(
        model="chat", messages=ASK, logprobs=True, top_logprobs=2, stream=True
    )
    streamed = [
        entry
        for chunk in stream
        for choice in chunk.choices
        if choice.logprobs is not None
        for entry in choice.logprobs.content or []
    ]
    assert [entry.model_dump() for entry in streamed] == [entry.model_dump() for entry in first]


def test_without_logprobs_there_are_none_and_without_top_logprobs_no_alternatives(client: AzureOpenAI):
    assert plain(client).logprobs is None
    entries = plain(client, logprobs=True).logprobs.content
    assert entries
    assert all(entry.top_logprobs == [] for entry in entries)


@pytest.mark.parametrize(
    ("kwargs", "message", "code"),
    [
        (
            {"top_logprobs": 2},
            "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.",
            None,
        ),
        (
            {"logprobs": True, "top_logprobs": 21},
            "Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but got 21 "
            "instead.",
            "integer_above_max_value",
        ),
        ({"logprobs": "yes"}, "Invalid type for 'logprobs': expected a boolean", "invalid_type"),
    ],
)
def test_the_service_s_400s(client: AzureOpenAI, kwargs: dict[str, Any], message: str, code: str | None):
    with pytest.raises(openai.BadRequestError) as raised:
        plain(client, **kwargs)
    assert message in str(raised.value)
    assert raised.value.code == code
