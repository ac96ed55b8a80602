"""Content Safety's text blocklists: the store ``text:analyze`` matches against, and the management API
that ``azure.ai.contentsafety.BlocklistClient`` calls (api-version 2023-10-01 and later):

=======  =========================================================  ==========================
method   path (under ``/contentsafety``)                            answer
=======  =========================================================  ==========================
PATCH    ``/text/blocklists/{name}``                                201 created / 200 updated
GET      ``/text/blocklists/{name}``                                the blocklist
GET      ``/text/blocklists``                                       ``{"value": [...]}``
DELETE   ``/text/blocklists/{name}``                                204
POST     ``/text/blocklists/{name}:addOrUpdateBlocklistItems``      the items as stored
POST     ``/text/blocklists/{name}:removeBlocklistItems``           204
GET      ``/text/blocklists/{name}/blocklistItems``                 ``{"value": [...]}``, paged
GET      ``/text/blocklists/{name}/blocklistItems/{id}``            the item
=======  =========================================================  ==========================

An item's id is a UUID derived from its list and text (a list, or a test, that adds the same text
twice gets one item, its description updated), so ids are the same on every run. A list or item
that does not exist is the service's 404; a bad name, text or body its 400.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.simulators.azure_common import ServiceError
from harness.simulators.base import json_response

#: Where the management API lives.
PREFIX = "/contentsafety/text/blocklists"

#: A blocklist name as the service allows it.
_NAME = re.compile(r"[0-9A-Za-z._~-]{1,64}")
MAX_ITEM_TEXT = 128
MAX_DESCRIPTION = 1024
#: The most items one addOrUpdateBlocklistItems call takes.
MAX_ITEMS_PER_CALL = 100
#: Items per page of a listing when the client does not say (``maxpagesize``).
PAGE_SIZE = 1000


@dataclass
class Item:
    text: str
    description: str | None = None

    def body(self, item_id: str) -> dict[str, Any]:
        shown: dict[str, Any] = {"blocklistItemId": item_id, "text": self.text}
        if self.description is not None:
            shown["description"] = self.description
        return shown


@dataclass
class Blocklist:
    description: str | None = None
    #: Item id -> item, in the order they were added.
    items: dict[str, Item] = field(default_factory=dict)

    def body(self, name: str) -> dict[str, Any]:
        shown: dict[str, Any] = {"blocklistName": name}
        if self.description is not None:
            shown["description"] = self.description
        return shown


def item_id(name: str, text: str) -> str:
    """The id of the item ``text`` of list ``name``: a UUID, the same on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"blocklist:{name}:{text}"))


def not_found(what: str) -> ServiceError:
    return ServiceError(404, "NotFound", f"{what} was not found.")


def invalid(message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequestBody", message)


class Blocklists:
    """Blocklists by name. Not locked: the simulator calls it under its own lock."""

    def __init__(self, lists: Mapping[str, Iterable[str]] | None = None) -> None:
        self.lists: dict[str, Blocklist] = {}
        for name, texts in (lists or {}).items():
            self.add(name, texts)

    def copy(self) -> Blocklists:
        copied = Blocklists()
        copied.lists = copy.deepcopy(self.lists)
        return copied

    def add(self, name: str, texts: Iterable[str]) -> None:
        """The list ``name`` (made if new) holds ``texts`` too."""
        blocklist = self.lists.setdefault(name, Blocklist())
        for text in texts:
            blocklist.items.setdefault(item_id(name, text), Item(text))

    def matches(self, text: str, names: Iterable[str]) -> list[dict[str, str]]:
        """``text:analyze``'s ``blocklistsMatch``: every item of the named lists that ``text``
        contains (case-insensitive); an unknown name is the service's 404."""
        lowered = text.lower()
        found = []
        for name in names:
            blocklist = self.lists.get(name)
            if blocklist is None:
                raise not_found(f"Blocklist '{name}'")
            for identifier, item in blocklist.items.items():
                if item.text.lower() in lowered:
                    found.append(
                        {"blocklistName": name, "blocklistItemId": identifier, "blocklistItemText": item.text}
                    )
        return found

    # -- the management API ----------------------------------------------------------------------

    def handle(self, request: Request, body: Any) -> Response:
        """Answer one management call (``request.path`` under :data:`PREFIX`); ``body`` is the
        parsed JSON body (None for a GET or DELETE)."""
        rest = request.path[len(PREFIX) :].strip("/")
        if not rest:
            if request.method == "GET":
                return json_response({"value": [b.body(n) for n, b in sorted(self.lists.items())]})
            raise _no_route()
        name, _, action = rest.partition(":")
        name, _, sub = name.partition("/")
        if action:
            return self._item_action(request, name, action, body)
        if sub:
            return self._item_read(request, name, sub)
        return self._list_call(request, name, body)

    def _list_call(self, request: Request, name: str, body: Any) -> Response:
        if request.method == "PATCH":
            if not _NAME.fullmatch(name):
                raise invalid(
                    f"The blocklist name '{name}' is invalid: 1-64 characters of letters, digits and . _ ~ -."
                )
            description = _description(body.get("description") if isinstance(body, dict) else None)
            created = name not in self.lists
            blocklist = self.lists.setdefault(name, Blocklist())
            blocklist.description = description if description is not None else blocklist.description
            return json_response(blocklist.body(name), status=201 if created else 200)
        if request.method == "GET":
            return json_response(self._get(name).body(name))
        if request.method == "DELETE":
            self.lists.pop(name, None)
            return Response(status=204)
        raise _no_route()

    def _item_action(self, request: Request, name: str, action: str, body: Any) -> Response:
        if request.method != "POST" or action not in {"addOrUpdateBlocklistItems", "removeBlocklistItems"}:
            raise _no_route()
        blocklist = self._get(name)
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        if action == "removeBlocklistItems":
            ids = body.get("blocklistItemIds")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise invalid("blocklistItemIds must be a non-empty array of item ids.")
            for identifier in ids:
                blocklist.items.pop(identifier, None)
            return Response(status=204)
        items = body.get("blocklistItems")
        if not isinstance(items, list) or not items or len(items) > MAX_ITEMS_PER_CALL:
            raise invalid(f"blocklistItems must be an array of 1 to {MAX_ITEMS_PER_CALL} items.")
        stored = []
        for number, given in enumerate(items):
            identifier, item = self._checked_item(name, blocklist, given, number)
            blocklist.items[identifier] = item
            stored.append(item.body(identifier))
        return json_response({"blocklistItems": stored})

    def _checked_item(self, name: str, blocklist: Blocklist, given: Any, number: int) -> tuple[str, Item]:
        where = f"blocklistItems[{number}]"
        if not isinstance(given, dict):
            raise invalid(f"{where} must be an object with a text.")
        text = given.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_ITEM_TEXT:
            raise invalid(f"{where}.text must be a non-empty string of at most {MAX_ITEM_TEXT} characters.")
        description = _description(given.get("description"), where)
        identifier = given.get("blocklistItemId")
        if identifier is not None and identifier not in blocklist.items:
            raise not_found(f"BlocklistItem '{identifier}' of blocklist '{name}'")
        if not isinstance(identifier, str):
            identifier = item_id(name, text)
        return identifier, Item(text, description)

    def _item_read(self, request: Request, name: str, sub: str) -> Response:
        if request.method != "GET":
            raise _no_route()
        blocklist = self._get(name)
        collection, _, identifier = sub.partition("/")
        if collection != "blocklistItems":
            raise _no_route()
        if identifier:
            item = blocklist.items.get(identifier)
            if item is None:
                raise not_found(f"BlocklistItem '{identifier}' of blocklist '{name}'")
            return json_response(item.body(identifier))
        skip = _whole(request, "skip", 0) or 0
        top = _whole(request, "top", None)
        size = _whole(request, "maxpagesize", PAGE_SIZE) or PAGE_SIZE
        every = [item.body(identifier) for identifier, item in blocklist.items.items()]
        chosen = every[skip:] if top is None else every[skip : skip + top]
        page: dict[str, Any] = {"value": chosen[:size]}
        if len(chosen) > size:
            following = request.args.copy()
            following["skip"] = str(skip + size)
            if top is not None:
                following["top"] = str(top - size)
            query = "&".join(f"{key}={value}" for key, value in following.items(multi=True))
            page["nextLink"] = f"{request.host_url.rstrip('/')}{request.path}?{query}"
        return json_response(page)

    def _get(self, name: str) -> Blocklist:
        blocklist = self.lists.get(name)
        if blocklist is None:
            raise not_found(f"Blocklist '{name}'")
        return blocklist


def _description(value: object, where: str = "") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        field_name = f"{where}.description" if where else "description"
        raise invalid(f"{field_name} must be a string of at most {MAX_DESCRIPTION} characters.")
    return value


def _whole(request: Request, name: str, default: int | None) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise ServiceError(400, "InvalidRequestBody", f"The query parameter '{name}' must be a whole number.")
    return int(value)


def _no_route() -> ServiceError:
    """What the service answers a method or path under :data:`PREFIX` that it does not have."""
    return ServiceError(404, "404", "Resource not found")
