"""Shared by the ledger tests: made-up articles and quote look-ups."""

from __future__ import annotations

from parley.actors.registry import ActorRegistry
from parley.core.schema import Article, Quote
from parley.ledger.build import extract_quotes


def article(text: str, kept: list[tuple[int, int]] | None = None) -> Article:
    """A made-up article, all of it kept unless told otherwise."""
    return Article(doc_id="made_up.txt", path="made_up.txt", kind="txt", text=text,
                   content_hash="h", kept=kept if kept is not None else [(0, len(text))])


def quotes_of(text: str, registry: ActorRegistry) -> list[Quote]:
    """The ledger entries of made-up text, each checked to be an exact span."""
    quotes = extract_quotes(article(text), registry)
    for q in quotes:
        assert text[q.start : q.end] == q.text
        assert text[q.sentence.start : q.sentence.end] == q.sentence.text
    return quotes


def one(quotes: list[Quote], text: str) -> Quote:
    """The one entry whose quote is text."""
    hits = [q for q in quotes if q.text == text]
    assert len(hits) == 1, f"{text!r} found {len(hits)} times in {[q.text for q in quotes]}"
    return hits[0]
