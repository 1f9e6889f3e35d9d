"""The store's per-source rows (vectorstore/source_rows.py) over a real on-disk Chroma."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from store_helpers import make_article, para_chunks

from parley.core.settings import get_settings
from vectorstore import source_rows
from vectorstore.embeddings import FakeEmbeddings
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
    real_scan = other.scan_sources

    def scan_then_someone_writes():
        out = real_scan()
        _put(writer, fake, "d.txt", "Someone else's article.\nIt arrived during the count.")
        return out

    monkeypatch.setattr(other, "scan_sources", scan_then_someone_writes)
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
