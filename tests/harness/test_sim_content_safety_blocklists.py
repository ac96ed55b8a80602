"""Content Safety's blocklist management, driven by the official SDK's ``BlocklistClient`` over TLS:
every call, consistent with what ``text:analyze`` matches, and reset at each test's end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from azure.ai.contentsafety import BlocklistClient, ContentSafetyClient
from azure.ai.contentsafety.models import (
    AddOrUpdateTextBlocklistItemsOptions,
    AnalyzeTextOptions,
    RemoveTextBlocklistItemsOptions,
    TextBlocklist,
    TextBlocklistItem,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from harness.mocks.server import MockService
from harness.run.tls import CertificateAuthority
from harness.simulators.content_safety import ContentSafetySimulator

from . import test_sim_content_safety as safety_tests
from .test_sim_content_safety import KEY

# The Content Safety tests' fixtures: a CA, the TLS service, the per-test bracket, an analyze client.
ca = safety_tests.ca
server = safety_tests.server
safety = safety_tests.safety
client = safety_tests.client


@pytest.fixture
def blocklists(
    server: MockService, ca: CertificateAuthority, safety: ContentSafetySimulator
) -> Iterator[BlocklistClient]:
    bundle = str(ca.write_bundle())
    with BlocklistClient(
        server.url, AzureKeyCredential(KEY), connection_verify=bundle, retry_total=0
    ) as made:
        yield made


def add(
    blocklists: BlocklistClient, name: str, *texts: str, description: str | None = None
) -> list[TextBlocklistItem]:
    options = AddOrUpdateTextBlocklistItemsOptions(
        blocklist_items=[TextBlocklistItem(text=text, description=description) for text in texts]
    )
    return list(
        blocklists.add_or_update_blocklist_items(blocklist_name=name, options=options).blocklist_items
    )


def matched(client: ContentSafetyClient, text: str, *names: str) -> list[str]:
    result = client.analyze_text(AnalyzeTextOptions(text=text, blocklist_names=list(names)))
    return [match.blocklist_item_text for match in result.blocklists_match or []]


def test_create_get_list_and_delete_a_blocklist(blocklists: BlocklistClient):
    made = blocklists.create_or_update_text_blocklist(
        blocklist_name="profanity", options=TextBlocklist(blocklist_name="profanity", description="Bad words")
    )
    assert (made.blocklist_name, made.description) == ("profanity", "Bad words")
    updated = blocklists.create_or_update_text_blocklist(
        blocklist_name="profanity",
        options=TextBlocklist(blocklist_name="profanity", description="Worse words"),
    )
    assert updated.description == "Worse words"
    assert blocklists.get_text_blocklist(blocklist_name="profanity").description == "Worse words"
    names = {listed.blocklist_name for listed in blocklists.list_text_blocklists()}
    assert names == {"banned", "profanity"}  # "banned" comes from the options
    blocklists.delete_text_blocklist(blocklist_name="profanity")
    with pytest.raises(ResourceNotFoundError, match="Blocklist 'profanity' was not found"):
        blocklists.get_text_blocklist(blocklist_name="profanity")


def test_items_added_are_matched_listed_got_and_removed(
    blocklists: BlocklistClient, client: ContentSafetyClient
):
    blocklists.create_or_update_text_blocklist(
        blocklist_name="words", options=TextBlocklist(blocklist_name="words")
    )
    stored = add(blocklists, "words", "frobnicate", "zorp", description="made up")
    assert [item.text for item in stored] == ["frobnicate", "zorp"]
    assert all(item.description == "made up" and item.blocklist_item_id for item in stored)
    assert matched(client, "Please FROBNICATE the zorp.", "words") == ["frobnicate", "zorp"]

    listed = list(blocklists.list_text_blocklist_items(blocklist_name="words"))
    assert [(i.blocklist_item_id, i.text) for i in listed] == [(i.blocklist_item_id, i.text) for i in stored]
    got = blocklists.get_text_blocklist_item(
        blocklist_name="words", blocklist_item_id=stored[1].blocklist_item_id
    )
    assert got.text == "zorp"

    remove = RemoveTextBlocklistItemsOptions(blocklist_item_ids=[stored[0].blocklist_item_id])
    blocklists.remove_blocklist_items(blocklist_name="words", options=remove)
    assert matched(client, "Please frobnicate the zorp.", "words") == ["zorp"]
    with pytest.raises(ResourceNotFoundError):
        blocklists.get_text_blocklist_item(
            blocklist_name="words", blocklist_item_id=stored[0].blocklist_item_id
        )


def test_the_match_ids_are_the_item_ids_and_an_option_list_is_managed_too(
    blocklists: BlocklistClient, client: ContentSafetyClient
):
    (configured,) = blocklists.list_text_blocklist_items(blocklist_name="banned")
    assert configured.text == "Forbidden Word"
    result = client.analyze_text(AnalyzeTextOptions(text="a forbidden word", blocklist_names=["banned"]))
    assert result.blocklists_match[0].blocklist_item_id == configured.blocklist_item_id


def test_listing_items_pages_as_the_client_asks(blocklists: BlocklistClient):
    blocklists.create_or_update_text_blocklist(
        blocklist_name="many", options=TextBlocklist(blocklist_name="many")
    )
    texts = [f"word{number:02d}" for number in range(25)]
    add(blocklists, "many", *texts)
    pages = blocklists.list_text_blocklist_items(blocklist_name="many", maxpagesize=10).by_page()
    sizes = [len(list(page)) for page in pages]
    assert sizes == [10, 10, 5]
    window = blocklists.list_text_blocklist_items(blocklist_name="many", skip=3, top=4)
    assert [item.text for item in window] == texts[3:7]


def test_what_a_test_manages_is_gone_at_its_end(server: MockService, ca: CertificateAuthority):
    server.begin_test()
    bundle = str(ca.write_bundle())
    with BlocklistClient(
        server.url, AzureKeyCredential(KEY), connection_verify=bundle, retry_total=0
    ) as made:
        made.create_or_update_text_blocklist(
            blocklist_name="temporary", options=TextBlocklist(blocklist_name="temporary")
        )
        made.delete_text_blocklist(blocklist_name="banned")
        server.end_test()
        server.begin_test()
        assert {listed.blocklist_name for listed in made.list_text_blocklists()} == {"banned"}
    server.end_test()


def test_the_service_s_errors(blocklists: BlocklistClient, server: MockService, ca: CertificateAuthority):
    with pytest.raises(ResourceNotFoundError, match="Blocklist 'nope' was not found"):
        add(blocklists, "nope", "x")
    with pytest.raises(HttpResponseError, match=r"blocklistItems\[0\]\.text must be a non-empty string"):
        add(blocklists, "banned", "x" * 129)
    bad_name = requests.patch(
        f"{server.url}/contentsafety/text/blocklists/bad%20name?api-version=2023-10-01",
        json={"description": "x"},
        headers={"Ocp-Apim-Subscription-Key": KEY},
        verify=str(ca.write_bundle()),
        timeout=10,
    )
    assert bad_name.status_code == 400
    assert bad_name.json()["error"]["code"] == "InvalidRequestBody"
