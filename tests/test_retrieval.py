"""Hybrid retrieval over the store and its on-disk lexical index: fusion, syncing, LangChain API.

The lexical index itself (BM25, variants, add/replace/remove, restart, processes): test_ftsindex.py.
"""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from store_helpers import HAND_READERS, make_article, para_chunks

from parley.core.schema import Passage
from parley.core.settings import get_settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import FakeEmbeddings, OnnxMiniLM
from vectorstore.ftsindex import FtsIndex
from vectorstore.ingest import ingest_paths
from vectorstore.retrieval import HybridRetriever, open_retriever, passages_from_documents, rrf
from vectorstore.store import ChunkStore
from vectorstore.where import matches_where

ZAK, PESKOV_DOCS = "000_997b5712c965d847.txt", {"001_a8fea508baf53730.txt", "003_b571c39c7b842e1b.txt"}


# tokens, folding and edit distance: tests/test_text.py (parley.text is the one toolkit)


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([["a", "b", "c"], ["b", "d"]], k=60)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert max(fused, key=fused.get) == "b"


@pytest.fixture
def fake_store(seed_texts):
    s = get_settings()
    e = FakeEmbeddings()
    store = ChunkStore.open(s, e)
    for name, text in seed_texts.items():
        chunks = para_chunks(make_article(name, text))
        store.replace_source(name, chunks, e.embed_array([c.text for c in chunks]))
    return s, e, store


def test_search_finds_spelling_variants_with_fake_embeddings(fake_store):
    _, e, store = fake_store
    r = HybridRetriever(store=store, embedder=e, k=5)
    top = r.search("What did Zakharova say about negotiations?", 5)
    # hashed fake vectors make the dense side noise, so check the lexical side's verdict
    best_bm25 = max(top, key=lambda p: p.bm25_score)
    assert best_bm25.source == ZAK and "Zajarova" in best_bm25.chunk.text
    assert ZAK in {p.source for p in top[:3]}
    assert [p.rank for p in top] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(top, top[1:], strict=False))
    assert all(p.dense_score is not None and p.bm25_score is not None for p in top)
    kiev = r.search("aid to Kyiv", 5)
    assert {"003_b571c39c7b842e1b.txt", "001_a8fea508baf53730.txt"} <= {p.source for p in kiev}


def test_store_writes_that_bypass_the_index_are_synced_per_source(fake_store):
    _, e, store = fake_store
    r = HybridRetriever(store=store, embedder=e)
    r.search("Peskov", 3)
    idx = r.index()
    assert idx is FtsIndex.for_store(store) and idx.sources() == store.sources()
    kept = idx._read("SELECT rowid, id FROM chunks ORDER BY rowid")
    art = make_article("new.txt", "Blorptastic summit in Vienna ends with Peskov smiling.")
    chunks = para_chunks(art)
    store.replace_source("new.txt", chunks, e.embed_array([c.text for c in chunks]))
    top = r.search("blorptastic", 3)
    assert top[0].source == "new.txt" and r.index() is idx
    # nothing was rebuilt: the old rows are the same rows, the new article's were added
    assert idx._read("SELECT rowid, id FROM chunks ORDER BY rowid")[: len(kept)] == kept
    assert idx.sources() == store.sources() and idx.synced_generation() == store.generation()
    store.delete_source(ZAK)  # and a removal that bypassed the index
    assert idx.sync(store) == 1 and idx.source(ZAK) is None and ZAK not in idx.sources()
    assert not idx.query_terms().has("zajarova")  # its words left the vocabulary
    assert ZAK not in {p.source for p in r.search("Zajarova", 5)}


def test_lexical_only_hits_get_their_cosine_from_the_index_not_chroma(fake_store, monkeypatch):
    _, e, store = fake_store
    r = HybridRetriever(store=store, embedder=e, k=5, fetch_k=5)  # 5 a side: some BM25-only winners
    q = "Ryabkov unilateral concessions Zajarova Peskow"
    r.search(q, 5)  # syncs the index (it copies the vectors of writes that bypassed it)
    asked: list[list[str]] = []
    real = store.embeddings_of
    monkeypatch.setattr(store, "embeddings_of", lambda ids: asked.append(list(ids)) or real(ids))
    qvec = e.embed_query(q)
    dense = {cid for cid, _ in store.query_ids(qvec, 5)}
    top = r.search(q, 5)
    late = [p for p in top if p.chunk.id not in dense]
    assert late and not any(asked)  # BM25-only winners, and no Chroma call for their vectors
    truth = store.embeddings_of([p.chunk.id for p in late])
    assert all(p.dense_score == pytest.approx(float(truth[p.chunk.id] @ qvec), abs=1e-5) for p in late)
    idx = r.index()  # an index from before vectors were kept: Chroma is asked, the scores are the same
    with idx._tx() as db:
        db.execute("DELETE FROM vecs")
    asked.clear()
    assert r.search(q, 5) == top and sorted(sum(asked, [])) == sorted(p.chunk.id for p in late)


def test_ingest_writes_through_to_the_index(seeds_dir, seed_texts, tmp_path):
    s, e = get_settings(), FakeEmbeddings()
    store, ds = ChunkStore.open(s, e), DocStore(s.articles_dir)
    ingest_paths([seeds_dir], s, e, store, ds, progress=False, **HAND_READERS)
    idx = FtsIndex.for_store(store)
    assert idx.synced_generation() == store.generation() and idx.sources() == store.sources()
    assert idx.count() == store.count()
    ds_path = tmp_path / "one"
    ds_path.mkdir()
    (ds_path / "late.txt").write_text("Quuxifying envoys met in Geneva.")
    ingest_paths([ds_path], s, e, store, ds, progress=False, **HAND_READERS)
    assert idx.synced_generation() == store.generation()  # kept in step: no sync needed
    r = HybridRetriever(store=store, embedder=e)
    assert r.search("quuxifying", 3)[0].source == "late.txt"


def test_langchain_interface_round_trips_passages(fake_store):
    _, e, store = fake_store
    r = HybridRetriever(store=store, embedder=e, k=3)
    docs = r.invoke("Ryabkov unilateral concessions")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["source"] == "003_b571c39c7b842e1b.txt"
    back = passages_from_documents(docs)
    assert all(isinstance(p, Passage) for p in back)
    assert back == r.search("Ryabkov unilateral concessions", 3)


def test_empty_store_returns_nothing():
    e = FakeEmbeddings()
    r = HybridRetriever(store=ChunkStore.open(get_settings(), e), embedder=e)
    assert r.search("anything", 5) == []


@pytest.fixture(scope="module")
def minilm():
    return OnnxMiniLM()


@pytest.mark.integration
def test_real_model_and_chroma_find_names_across_spellings(seeds_dir, minilm):
    s = get_settings()
    store, ds = ChunkStore.open(s, minilm), DocStore(s.articles_dir)
    report = ingest_paths([seeds_dir], s, minilm, store, ds, progress=False)
    assert report.added == 5 and not report.skipped
    r = HybridRetriever(store=store, embedder=minilm, k=5)
    top = r.search("Zakharova", 5)
    assert top[0].source == ZAK
    assert top[0].chunk.text == ds.get(ZAK).text[top[0].chunk.start : top[0].chunk.end]
    assert PESKOV_DOCS <= {p.source for p in r.search("Peskov", 5)}
    assert PESKOV_DOCS <= {p.source for p in r.search("What did Peskow tell reporters?", 5)}
    kiev = r.search("weapons delivered to Kyiv", 5)
    assert "003_b571c39c7b842e1b.txt" in {p.source for p in kiev}  # it spells it "Kiev"
    assert all(-1 <= p.dense_score <= 1 for p in top)


def test_where_filter_applies_to_both_sides(fake_store):
    _, e, store = fake_store
    only = "001_a8fea508baf53730.txt"
    r = HybridRetriever(store=store, embedder=e, k=4, where={"source": only})
    top = r.search("Zakharova Ryabkov Peskov", 4)
    assert top and {p.source for p in top} == {only}
    r2 = HybridRetriever(store=store, embedder=e, k=10, where={"source": {"$in": [ZAK, only]}})
    assert {p.source for p in r2.search("negotiations", 10)} <= {ZAK, only}


def test_matches_where_operators():
    meta = {"source": "a.txt", "index": 2, "date": "2022-03-17"}
    assert matches_where(meta, None) and matches_where(meta, {"source": "a.txt"})
    assert matches_where(meta, {"$and": [{"index": {"$gte": 2}}, {"date": {"$lt": "2023-01-01"}}]})
    assert not matches_where(meta, {"$or": [{"source": "b.txt"}, {"index": {"$in": [0, 1]}}]})
    assert not matches_where(meta, {"title": {"$gt": "a"}})  # absent field never compares true


def test_writes_by_another_process_are_seen_after_refresh(fake_store):
    s, e, store = fake_store
    r = HybridRetriever(store=store, embedder=e, refresh_s=0.0)
    r.search("Peskov", 3)
    other = ChunkStore.open(s, e)  # another client: its writes only show in the generation counter
    art = make_article("late.txt", "Quuxifying envoys met in Geneva.")
    chunks = para_chunks(art)
    other.replace_source("late.txt", chunks, e.embed_array([c.text for c in chunks]))
    assert r.search("quuxifying", 3)[0].source == "late.txt"


def test_sequential_and_parallel_search_agree(fake_store):
    _, e, store = fake_store
    for q in ("What did Zakharova say about negotiations?", "aid to Kyiv", "Ryabkov"):
        assert HybridRetriever(store=store, embedder=e, parallel=False).search(q, 5) == \
            HybridRetriever(store=store, embedder=e).search(q, 5)


def test_parallel_search_is_a_setting(fake_store, monkeypatch):
    _, e, store = fake_store
    assert open_retriever(get_settings(), embedder=e, store=store).parallel is True
    monkeypatch.setenv("PARLEY_PARALLEL_SEARCH", "false")
    r = open_retriever(get_settings(), embedder=e, store=store)
    assert r.parallel is False and r.search("aid to Kyiv", 3)
