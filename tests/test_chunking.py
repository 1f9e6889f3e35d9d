"""Chunks are exact slices of the article text, inside kept spans, sentence-aligned, with stable ids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from parley.core.schema import Article, ArticleMeta
from parley.text.sentences import split_sentences
from vectorstore.chunking import chunk_article, kept_regions
from vectorstore.loader import article_from_text, read_article

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def _seeds(seeds_dir: Path) -> list[Article]:
    return [read_article(p, max_bytes=10**7) for p in sorted(seeds_dir.glob("*.txt"))]


def _check_invariants(art: Article, size: int, overlap: int) -> None:
    chunks = chunk_article(art, size=size, overlap=overlap)
    regions = kept_regions(art)
    assert chunks and [c.index for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert art.text[c.start : c.end] == c.text and c.span.matches(art.text)
        assert len(c.text) <= size
        assert c.text == c.text.strip()
        # inside one region: never across removed boilerplate
        assert any(a <= c.start and c.end <= b for a, b in regions)
        assert c.source == art.doc_id and c.doc_hash == art.content_hash
    # every kept character that is not whitespace lands in some chunk
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    for s, e in art.kept:
        assert all(i in covered for i in range(s, e) if not art.text[i].isspace())
    # consecutive chunks of one region overlap by whole sentences, at most `overlap` chars
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        if nxt.start < prev.end:
            assert prev.end - nxt.start <= max(overlap, 0)
            starts = {s for s, _ in split_sentences(art.text, nxt.start, prev.end)}
            assert nxt.start in starts


@pytest.mark.integration
@pytest.mark.parametrize("size,overlap", [(800, 150), (300, 80), (120, 0)])
def test_seed_chunks_reproduce_the_original_file(seeds_dir, size, overlap):
    for art in _seeds(seeds_dir):
        assert art.text == Path(art.path).read_text(encoding="utf-8")
        _check_invariants(art, size, overlap)


def test_ids_are_stable_across_reads(seeds_dir):
    first = [c.id for art in _seeds(seeds_dir) for c in chunk_article(art)]
    again = [c.id for art in _seeds(seeds_dir) for c in chunk_article(art)]
    assert first == again
    smaller = [c.id for art in _seeds(seeds_dir) for c in chunk_article(art, size=400)]
    assert set(first) != set(smaller)


def test_chunks_carry_article_meta(seeds_dir):
    art = _seeds(seeds_dir)[0]
    for c in chunk_article(art):
        assert c.title == art.meta.title and c.date == dt.date(2022, 3, 17) and c.outlet is None


def test_overlap_repeats_trailing_sentences():
    sentences = [f"Sentence number {i} says something short here." for i in range(12)]
    art = article_from_text("\n\n".join(["Headline of the test story"] + sentences), "o.txt")
    chunks = chunk_article(art, size=200, overlap=100)
    assert len(chunks) > 2
    shared = [p.end - n.start for p, n in zip(chunks, chunks[1:], strict=False)]
    assert all(0 < s <= 100 for s in shared)
    _check_invariants(art, 200, 100)


def test_long_sentence_is_split_at_whitespace():
    long = " ".join(f"word{i}" for i in range(120)) + "."
    art = article_from_text("A long unpunctuated report\n\n" + long + "\n", "long.txt")
    chunks = chunk_article(art, size=100, overlap=0)
    for c in chunks:
        assert len(c.text) <= 100
        assert art.text[c.end : c.end + 1] in ("", " ", "\n")  # cut at whitespace, not mid-word
    _check_invariants(art, 100, 0)


def test_text_without_whitespace_is_hard_cut():
    blob = "x" * 250 + "."
    art = Article(doc_id="b.txt", path="b.txt", kind="txt", text=blob, content_hash="h", kept=[(0, len(blob))])
    chunks = chunk_article(art, size=100, overlap=0)
    assert [len(c.text) for c in chunks] == [100, 100, 51]


def test_adjacent_paragraphs_merge_but_removed_lines_split():
    text = (
        "Ministers agree grain deal\n\n"
        "Ministers agreed on Monday to extend the grain corridor by four months.\n\n"
        "Advertisement\n\n"
        "The agreement was signed in Istanbul, officials said.\n"
    )
    art = article_from_text(text, "g.txt")
    assert len(art.kept) == 3
    chunks = chunk_article(art)
    assert [c.text for c in chunks] == [
        text[: text.index("months.") + len("months.")],
        "The agreement was signed in Istanbul, officials said.",
    ]


def test_hand_built_article_without_kept_spans_uses_whole_text():
    text = "  First sentence here. Second sentence here.  "
    art = Article(doc_id="h.txt", path="h.txt", kind="txt", text=text, content_hash="h", meta=ArticleMeta())
    chunks = chunk_article(art)
    assert [c.text for c in chunks] == ["First sentence here. Second sentence here."]


@pytest.mark.integration
@pytest.mark.parametrize("name", ["parliament_page.html", "river_report.md", "harbour_strike.txt"])
def test_fixture_files_chunk_exactly(name):
    art = read_article(FIXTURES / name, max_bytes=10**7)
    _check_invariants(art, 200, 60)


def test_bad_sizes_are_rejected():
    art = article_from_text("Some headline here\n\nA body sentence that is long enough.", "x.txt")
    with pytest.raises(ValueError):
        chunk_article(art, size=0)
