"""The store's per-source rows (vectorstore/source_rows.py) over a real on-disk Chroma."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from store_helpers import make_article, para_chunks

from parley.core.settings import get_settings
from vectorstore import source_rows
from vectorstore.embeddings import FakeEmbeddings
from vectorstore.fts_sync import sync_index
from vectorstore.ftsindex import FtsIndex
from vectorstore.ingest import own_change, remove_source
from vectorstore.source_rows import BUCKETS, SUFFIX, bucket_of
from vectorstore.store import ChunkStore

TEXTS = {
    "a.txt": "Peskov said talks are possible.\nThe Kremlin declined to comment.\nKyiv was quiet.",
    "b.txt": "Zajarova spoke on Thursday.\nThere is no negotiation process.",
    "c.txt": "Blinken met Lavrov in Geneva.\nNo breakthrough was expected.\nBoth sides spoke.",
}


@pytest.fixture
def fake():
    return FakeEmbeddings(dim=16)


def _put(store, fake, doc_id, text):
    cs = para_chunks(make_article(doc_id, text), size=40)
    store.replace_source(doc_id, cs, fake.embed_array([c.text for c in cs]))
    return cs


def _then_a_write(read, writer, fake, doc_id, text):
    """`read`, then another writer's write: a race made to happen right after that read."""
    def wrapped(*args, **kwargs):
        got = read(*args, **kwargs)
        _put(writer, fake, doc_id, text)
        return got
    return wrapped


def _filled(fake):
    store = ChunkStore.open(get_settings(), fake)
    for doc_id, text in TEXTS.items():
        _put(store, fake, doc_id, text)
    return store


def test_rows_follow_writes_and_agree_with_the_chunks(fake, monkeypatch):
    store = _filled(fake)
    assert store.rows.complete()  # a new store's first read counted it (empty) and marked it
    want = store.scan_sources()
    assert len(want) == 3 and store.sources() == want
    _put(store, fake, "a.txt", "A new version of the article.\nWith other words in it.")
    store.delete_source("b.txt")
    want = store.scan_sources()
    assert set(want) == {"a.txt", "c.txt"} and store.sources() == want
    rows, dirty = store.rows.read()
    assert rows == want and dirty == []
    # the read never pages the chunk collection; past _ONE_CALL rows it is one lookup per bucket
    monkeypatch.setattr(store, "_pages", lambda include: pytest.fail("read the chunks"))
    assert store.sources() == want
    monkeypatch.setattr(source_rows, "_ONE_CALL", 0)
    calls = []
    real_get = store.rows._col.get
    monkeypatch.setattr(store.rows._col, "get", lambda **kw: calls.append(kw) or real_get(**kw))
    assert store.sources() == want
    assert len(calls) == BUCKETS and all("offset" not in kw for kw in calls)


def test_a_write_cut_short_is_counted_from_its_chunks(fake):
    store = _filled(fake)
    cs = [c for c in store.all_chunks() if c.source == "c.txt"]
    store.rows.mark(["c.txt"])  # what replace/delete do first; then the process dies mid-delete
    store._bump()
    store._col.delete(ids=[cs[0].id])
    got = store.sources()
    assert got["c.txt"] == {"doc_hash": cs[0].doc_hash, "chunks": len(cs) - 1}
    assert got == store.scan_sources()
    _put(store, fake, "c.txt", TEXTS["c.txt"])  # the re-run's write clears the mark
    assert store.rows.read()[1] == [] and store.sources()["c.txt"]["chunks"] == len(cs)


def test_a_store_from_before_the_rows_is_counted_once(fake):
    store = _filled(fake)
    want = store.scan_sources()
    store._client.delete_collection(store.rows.name)  # as an older Parley left it
    reopened = ChunkStore.open(get_settings(), fake)
    assert not reopened.rows.complete()
    assert reopened.sources() == want  # counted from the chunks, rows written
    assert reopened.rows.complete() and reopened.rows.read() == (want, [])


def test_a_write_during_the_count_leaves_the_rows_unmarked(fake, monkeypatch):
    store = _filled(fake)
    store._client.delete_collection(store.rows.name)
    other = ChunkStore.open(get_settings(), fake)
    writer = ChunkStore.open(get_settings(), fake)  # another process, same store
    monkeypatch.setattr(other, "scan_sources", _then_a_write(
        other.scan_sources, writer, fake, "d.txt", "Someone else's article.\nIt arrived during the count."))
    other.recount_sources()
    assert not other.rows.complete()  # the next read counts again
    monkeypatch.undo()
    assert other.sources() == writer.scan_sources() and "d.txt" in other.sources()
    assert other.rows.complete()


def test_recount_mends_rows_that_drifted(fake):
    store = _filled(fake)
    store.rows.put({"ghost.txt": ("h", 3), "a.txt": ("wrong", 99)})  # damage from outside Parley
    assert store.sources() != store.scan_sources()
    assert store.recount_sources() == store.scan_sources() == store.sources()


def test_bucket_is_stable_and_spread():
    # a stable hash, not Python's per-process one: another process (other hash seed) agrees
    names = [f"synthetic_{i:07d}.txt" for i in range(20)]
    code = f"from vectorstore.source_rows import bucket_of; print([bucket_of(n) for n in {names!r}])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert out.strip() == str([bucket_of(n) for n in names])
    spread = {bucket_of(f"doc{i}.txt") for i in range(2000)}
    assert len(spread) == BUCKETS
    assert SUFFIX.startswith(".")


def _in_step(idx, store):
    return idx.sources() == store.scan_sources() and idx.synced_generation() == store.generation()


def test_a_host_reads_only_the_buckets_another_writer_touched(fake, tmp_path, monkeypatch):
    store = _filled(fake)
    idx = FtsIndex(tmp_path / "host.sqlite3")
    assert sync_index(idx, store) == 3 and _in_step(idx, store)  # first sync: every bucket
    assert idx.bucket_tokens() == store.source_tokens()
    other = ChunkStore.open(get_settings(), fake)  # another host writes; this index is not told
    _put(other, fake, "b.txt", "Zajarova spoke again.\nThere is still no negotiation process.")
    other.delete_source("c.txt")
    read, mine = [], []
    real, real_mine = store.rows.read, idx.sources
    monkeypatch.setattr(store.rows, "read", lambda buckets=None: read.append(buckets) or real(buckets))
    monkeypatch.setattr(idx, "sources", lambda buckets=None: mine.append(buckets) or real_mine(buckets))
    assert sync_index(idx, store) == 2
    monkeypatch.undo()
    assert _in_step(idx, store)
    assert read == [{bucket_of("b.txt"), bucket_of("c.txt")}]
    assert mine == [{bucket_of("b.txt"), bucket_of("c.txt")}]  # the index's side too: no full list
    # this host's own writes go through its index; a later foreign write is still caught
    ingest_items = para_chunks(make_article("d.txt", "Own host article.\nWritten through the index."), size=40)
    before = store.generation()
    store.replace_sources([("d.txt", ingest_items, fake.embed_array([c.text for c in ingest_items]))])
    idx.replace_sources([("d.txt", ingest_items, fake.embed_array([c.text for c in ingest_items]))],
                        generations=(before, store.generation()))
    _put(other, fake, "a.txt", "A foreign rewrite of a.\nNew words here.")
    assert sync_index(idx, store) >= 1 and _in_step(idx, store)


def test_a_write_between_the_token_read_and_the_rows_read_is_caught_next_time(fake, tmp_path, monkeypatch):
    store = _filled(fake)
    idx = FtsIndex(tmp_path / "host.sqlite3")
    sync_index(idx, store)
    other = ChunkStore.open(get_settings(), fake)
    _put(other, fake, "a.txt", "First foreign change.\nIt moves the generation.")
    monkeypatch.setattr(store, "source_tokens", _then_a_write(
        store.source_tokens, other, fake, "e.txt", "Written after the tokens were read.\nBefore the rows were."))
    sync_index(idx, store)
    monkeypatch.undo()
    sync_index(idx, store)  # the generation moved again; e.txt's bucket token is one it has not seen
    assert _in_step(idx, store) and "e.txt" in idx.sources()


def test_a_foreign_write_during_an_own_write_is_not_claimed_as_seen(fake, tmp_path):
    store = _filled(fake)
    idx = FtsIndex(tmp_path / "host.sqlite3")
    sync_index(idx, store)
    other = ChunkStore.open(get_settings(), fake)
    own = para_chunks(make_article("d.txt", "Own host article.\nWritten through the index."), size=40)
    item = ("d.txt", own, fake.embed_array([c.text for c in own]))
    before, mine = store.generation(), store.local_writes
    store.replace_sources([item])
    _put(other, fake, "e.txt", "Another host wrote this.\nBetween our write and our index's.")
    assert own_change(store, before, mine) is None  # the generation moved by more than our bumps
    idx.replace_sources([item], generations=own_change(store, before, mine))
    assert idx.synced_generation() != store.generation()  # so the next search syncs
    assert sync_index(idx, store) == 1 and _in_step(idx, store) and "e.txt" in idx.sources()
    # alone, an own write keeps the index in step without a sync
    before, mine = store.generation(), store.local_writes
    assert remove_source(store, "d.txt", idx) > 0
    assert _in_step(idx, store) and sync_index(idx, store) == 0


def test_index_sources_by_bucket_and_an_index_from_before_the_buckets(tmp_path):
    docs = {f"doc{i:02d}.txt": f"Talks number {i} were held in Geneva.\nBoth sides spoke." for i in range(40)}
    idx = FtsIndex(tmp_path / "lex.sqlite3")
    idx.replace_sources([(n, para_chunks(make_article(n, t), size=40)) for n, t in docs.items()])
    every = idx.sources()
    some = {bucket_of(s) for s in list(docs)[:5]}
    assert idx.sources(some) == {s: v for s, v in every.items() if bucket_of(s) in some}
    assert idx.sources([]) == {} and idx.sources(range(BUCKETS)) == every
    # a file written before the bucket column: it gets the column, filled, when opened
    db = sqlite3.connect(tmp_path / "lex.sqlite3")
    db.execute("DROP INDEX sources_bucket")
    db.execute("ALTER TABLE sources DROP COLUMN bucket")
    db.commit()
    db.close()
    again = FtsIndex(tmp_path / "lex.sqlite3")
    assert again.sources(some) == {s: v for s, v in every.items() if bucket_of(s) in some}
    assert again.sources() == every
