"""Sentence-aware chunking over kept spans: every chunk is an exact slice of the article's text."""

from __future__ import annotations

import re

from parley.core.schema import Article, Chunk, content_hash
from parley.text.sentences import split_sentences


def kept_regions(article: Article) -> list[tuple[int, int]]:
    """Kept spans, with neighbours merged when only whitespace (nothing removed) lies between them."""
    text = article.text
    spans = article.kept or [(0, len(text))]
    regions: list[tuple[int, int]] = []
    for s, e in spans:
        if regions and not text[regions[-1][1] : s].strip():
            regions[-1] = (regions[-1][0], e)
        else:
            regions.append((s, e))
    return regions


def _pieces(text: str, a: int, b: int, size: int) -> list[tuple[int, int]]:
    """Sentence spans of text[a:b]; a sentence longer than size is cut at whitespace."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text, a, b):
        while e - s > size:
            window = text[s : s + size + 1]
            gaps = [m.start() for m in re.finditer(r"\s+", window) if m.start() > 0]
            cut = s + (gaps[-1] if gaps else size)  # no whitespace at all: a hard cut
            out.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out


def _pack(pieces: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of whole pieces up to size, repeating trailing pieces up to overlap chars."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(pieces)
    while i < n:
        j = i
        while j + 1 < n and pieces[j + 1][1] - pieces[i][0] <= size:
            j += 1
        spans.append((pieces[i][0], pieces[j][1]))
        if j == n - 1:
            break
        k = j + 1  # the next chunk starts at k; step back over whole sentences while they fit
        while (
            k - 1 > i
            and pieces[j][1] - pieces[k - 1][0] <= overlap
            and pieces[j + 1][1] - pieces[k - 1][0] <= size
        ):
            k -= 1
        i = k
    return spans


def chunk_article(article: Article, *, size: int = 800, overlap: int = 150) -> list[Chunk]:
    """Cut an article's kept text into sentence-aligned chunks whose ids are content hashes."""
    if size < 1 or overlap < 0:
        raise ValueError(f"chunk size must be >= 1 and overlap >= 0 (got {size}, {overlap})")
    text, meta = article.text, article.meta
    chunks: list[Chunk] = []
    for a, b in kept_regions(article):
        for s, e in _pack(_pieces(text, a, b, size), size, overlap):
            body = text[s:e]
            chunks.append(
                Chunk(
                    id=content_hash(article.doc_id, str(s), body),
                    source=article.doc_id,
                    start=s,
                    end=e,
                    text=body,
                    index=len(chunks),
                    doc_hash=article.content_hash,
                    title=meta.title,
                    outlet=meta.outlet,
                    date=meta.date,
                )
            )
    return chunks
