"""Semantic ranking (``queryType: "semantic"``): the base results reranked, with captions and answers.

As in the service, the reranker takes the first 50 results of the text, vector or hybrid query and
orders them by ``@search.rerankerScore`` (0 to 4); ``@search.score`` keeps the base score. The
reranker is a rule, not a language model: the share of the query's terms found in the semantic
configuration's title, content and keywords fields, weighted 0.3, 0.5 and 0.2 over the groups the
configuration has, times 4. Terms are lower-cased words without common English stop words, lightly
stemmed ("covers", "covered" -> "cover"). Ties keep the base order.

Captions (``captions: "extractive"``) are the sentence of the content fields holding the most query
words, with ``<em>`` around them in ``highlights`` (unless ``highlight-false``). Answers
(``answers: "extractive|count-N,threshold-T"``) are the captions of the best results whose share of
query words reaches the threshold (default 0.7), at most ``count`` (default 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.simulators.azure_search.store import WORD, Index, field_texts, invalid

#: How many base results the reranker looks at (the service's window).
WINDOW = 50
MAX_RERANKER_SCORE = 4.0
DEFAULT_ANSWER_THRESHOLD = 0.7
#: Weights of the title, content and keywords fields in the reranker score.
_WEIGHTS = {"title": 0.3, "content": 0.5, "keywords": 0.2}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class SemanticRequest:
    """The semantic part of a search request."""

    configuration: str | None = None
    #: The words the reranker, captions and answers look for (``semanticQuery``, else ``search``).
    query: str | None = None
    captions: bool = False
    highlight: bool = True
    answers: int = 0
    answer_threshold: float = DEFAULT_ANSWER_THRESHOLD


def parse(values: Mapping[str, Any], search: str | None) -> SemanticRequest | None:
    """The semantic request in a body or query string (None unless ``queryType`` is semantic).
    ``values`` holds ``queryType``, ``semanticConfiguration``, ``semanticQuery``, ``captions`` and
    ``answers``, in either spelling of the REST API."""
    query_type = values.get("queryType")
    if query_type is None or query_type in ("simple", "full"):
        return None
    if query_type != "semantic":
        raise invalid(f"'queryType' must be 'simple', 'full' or 'semantic', found {query_type!r}")
    configuration = _text(values, "semanticConfiguration")
    semantic_query = _text(values, "semanticQuery")
    captions, caption_options = _directive(values.get("captions"), "captions")
    answers, answer_options = _directive(values.get("answers"), "answers")
    highlight = caption_options.pop("highlight", "true")
    if highlight not in ("true", "false") or caption_options:
        raise invalid(
            "'captions' must be 'none', 'extractive' or 'extractive|highlight-<true|false>', "
            f"found {values['captions']!r}"
        )
    count = _number(answer_options.pop("count", "1"), "answers count", int)
    threshold = _number(
        answer_options.pop("threshold", str(DEFAULT_ANSWER_THRESHOLD)), "answers threshold", float
    )
    if answer_options:
        raise invalid(f"'answers' takes count-<n> and threshold-<x>, found {values['answers']!r}")
    return SemanticRequest(
        configuration=configuration,
        query=semantic_query if semantic_query is not None else search,
        captions=captions,
        highlight=highlight == "true",
        answers=int(count) if answers else 0,
        answer_threshold=float(threshold),
    )


def _text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"'{name}' must be a string, found {value!r}")
    return value


def _directive(value: object, name: str) -> tuple[bool, dict[str, str]]:
    """``"extractive|count-3,threshold-0.5"`` -> (True, {"count": "3", "threshold": "0.5"})."""
    if value is None or value == "none":
        return False, {}
    if not isinstance(value, str):
        raise invalid(f"'{name}' must be a string, found {value!r}")
    # The SDK writes "extractive|count-3,threshold-0.5", and "extractive,threshold-0.5" without a count.
    kind, *rest = re.split(r"[|,]", value, maxsplit=1)
    if kind != "extractive":
        raise invalid(f"'{name}' must be 'none' or 'extractive' (with options after '|'), found {value!r}")
    options: dict[str, str] = {}
    for option in filter(None, (part.strip() for part in "".join(rest).split(","))):
        key, dash, setting = option.partition("-")
        if not dash:
            raise invalid(f"'{name}': option {option!r} must be <name>-<value>")
        options[key] = setting
    return True, options


def _number(text: str, what: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise invalid(f"{what} must be a number, found {text!r}") from None
    if value < 0:
        raise invalid(f"{what} must be >= 0, found {text!r}")
    return value


# -- the configuration's fields --------------------------------------------------------------------------


def fields_of(index: Index, name: str | None) -> dict[str, list[str]]:
    """The title, content and keywords fields of the semantic configuration ``name`` (or the
    index's default). An index without semantic configurations (one the simulator built from
    documents, say) ranks on all its searchable text fields as content."""
    semantic = index.extra.get("semantic")
    configurations = semantic.get("configurations") if isinstance(semantic, Mapping) else None
    if not configurations:
        return {"title": [], "content": index.searchable_fields(), "keywords": []}
    assert isinstance(semantic, Mapping)
    chosen = name or semantic.get("defaultConfiguration")
    if chosen is None:
        raise invalid(
            "semanticConfiguration must be given: the index has semantic configurations but no "
            "defaultConfiguration"
        )
    for configuration in configurations:
        if isinstance(configuration, Mapping) and configuration.get("name") == chosen:
            fields = configuration.get("prioritizedFields")
            return _prioritized(fields if isinstance(fields, Mapping) else {})
    known = ", ".join(str(c.get("name")) for c in configurations if isinstance(c, Mapping))
    raise invalid(f"Unknown semantic configuration '{chosen}'. The index has: {known}.")


def _prioritized(fields: Mapping[str, Any]) -> dict[str, list[str]]:
    def names(entries: object) -> list[str]:
        listed = entries if isinstance(entries, list) else [entries]
        return [str(e["fieldName"]) for e in listed if isinstance(e, Mapping) and "fieldName" in e]

    return {
        "title": names(fields.get("titleField")),
        "content": names(fields.get("prioritizedContentFields", [])),
        "keywords": names(fields.get("prioritizedKeywordsFields", [])),
    }


# -- reranking, captions, answers ---------------------------------------------------------------------


#: Words too common to say what a passage is about (the reranker and captions skip them).
_STOP_WORDS_TEXT = (
    "a an and are as at be by can do does for from has have how i in is it its may of on or our so "
    "that the their there these this to was we were what when where which who why will with you your"
)
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    """A light stemmer: "covers", "covered" and "covering" all become "cover"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _term(word: str) -> str | None:
    lowered = word.lower()
    return None if lowered in _STOP_WORDS else _stem(lowered)


def _words(text: str) -> set[str]:
    """The terms of ``text``: lower-cased words, stop words dropped, lightly stemmed."""
    return {term for word in WORD.findall(text) if (term := _term(word)) is not None}


@dataclass(frozen=True)
class Caption:
    text: str
    highlights: str | None
    #: The share of the query's words the passage holds (0 to 1).
    share: float


class Reranker:
    """Reranks results and finds their captions for one semantic request against one index."""

    def __init__(self, index: Index, request: SemanticRequest) -> None:
        self.request = request
        self.fields = fields_of(index, request.configuration)
        self.terms = _words(request.query or "")
        # The field groups the configuration has, and their weights' sum (the score's scale).
        self._groups = {group: names for group, names in self.fields.items() if names}
        self._weight = sum(_WEIGHTS[group] for group in self._groups)
        # Captions by document: a hit's caption and an answer from it are the same passage.
        self._captions: dict[int, Caption | None] = {}

    def score(self, document: Mapping[str, Any]) -> float:
        if not self.terms or not self._groups:
            return 0.0
        total = 0.0
        for group, names in self._groups.items():
            present = _words(" ".join(field_texts(document, names)))
            total += _WEIGHTS[group] * len(self.terms & present) / len(self.terms)
        return round(MAX_RERANKER_SCORE * total / self._weight, 5)

    def rerank(self, ranked: list[tuple[dict[str, Any], float]]) -> list[tuple[dict[str, Any], float, float]]:
        """The first :data:`WINDOW` results as (document, base score, reranker score), best first."""
        scored = [(document, score, self.score(document)) for document, score in ranked[:WINDOW]]
        scored.sort(key=lambda item: -item[2])  # stable: ties keep the base order
        return scored

    def caption(self, document: Mapping[str, Any]) -> Caption | None:
        """The sentence of the content fields holding the most query words (None: no text)."""
        if id(document) not in self._captions:
            self._captions[id(document)] = self._best_passage(document)
        return self._captions[id(document)]

    def _best_passage(self, document: Mapping[str, Any]) -> Caption | None:
        sentences = [
            sentence.strip()
            for text in field_texts(document, self.fields["content"] or self.fields["title"])
            for sentence in _SENTENCE_END.split(text)
            if sentence.strip()
        ]
        if not sentences:
            return None
        hits = [len(self.terms & _words(sentence)) for sentence in sentences]
        best = max(range(len(sentences)), key=lambda i: (hits[i], -i))
        text = sentences[best]
        share = hits[best] / len(self.terms) if self.terms else 0.0
        return Caption(text, self._highlight(text) if self.request.highlight else None, share)

    def _highlight(self, text: str) -> str:
        return WORD.sub(lambda m: f"<em>{m[0]}</em>" if _term(m[0]) in self.terms else m[0], text)

    def answers(self, reranked: list[tuple[dict[str, Any], float, float]], key: str) -> list[dict[str, Any]]:
        """``@search.answers``: captions of the best results that reach the threshold."""
        found: list[dict[str, Any]] = []
        for document, _score, _reranker in reranked:
            if len(found) >= self.request.answers:
                break
            caption = self.caption(document)
            if caption is None or caption.share == 0 or caption.share < self.request.answer_threshold:
                continue
            found.append(
                {
                    "key": document.get(key),
                    "text": caption.text,
                    "highlights": caption.highlights,
                    "score": round(caption.share, 5),
                }
            )
        return found
