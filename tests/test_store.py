"""ChunkStore over a real on-disk Chroma, and the JSON docstore."""

from __future__ import annotations

import datetime as dt
import os
import time

import numpy as np
import pytest
from store_helpers import make_article, para_chunks

import vectorstore.docstore as docstore_mod
from parley.core.errors import SettingsError, StoreError
from parley.core.settings import get_settings
from vectorstore.chroma_open import parse_url as _parse_url
from vectorstore.docstore import DocStore
from vectorstore.embeddings import FakeEmbeddings
from vectorstore.store import MAX_BATCH, ChunkStore


@pytest.fixture
def settings():
    return get_settings()


@pytest.fixture
def fake():
    return FakeEmbeddings(dim=16)


def _chunks(doc_id: str, text: str):
    return para_chunks(make_article(doc_id, text), size=40)


TEXT_A = "Peskov said talks are possible.\nThe Kremlin declined to comment.\nKyiv was quiet."
TEXT_B = "Zajarova spoke on Thursday.\nThere is no negotiation process."


def test_round_trip_counts_sources_and_query(settings, fake):
    store = ChunkStore.open(settings, fake)
    a = _chunks("a.txt", TEXT_A)
    a[0] = a[0].model_copy(update={"title": "Talks", "date": dt.date(2022, 3, 17)})
    b = _chunks("b.txt", TEXT_B)
    store.replace_source("a.txt", a, fake.embed_array([c.text for c in a]))
    store.replace_source("b.txt", b, fake.embed_array([c.text for c in b]))
    assert store.count() == len(a) + len(b)
    assert store.sources() == {
        "a.txt": {"doc_hash": a[0].doc_hash, "chunks": len(a)},
        "b.txt": {"doc_hash": b[0].doc_hash, "chunks": len(b)},
    }
    # chunks round-trip exactly, including an optional date and absent title
    assert {c.id: c for c in store.all_chunks()} == {c.id: c for c in a + b}
    hits = store.query(fake.embed_query(b[0].text), k=3)
    assert hits[0][0] == b[0] and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert all(-1.0 <= s <= 1.0 + 1e-6 for _, s in hits)
    only_a = store.query(fake.embed_query(b[0].text), k=10, where={"source": "a.txt"})
    assert {c.source for c, _ in only_a} == {"a.txt"}


def test_replace_leaves_no_orphans_and_bumps_generation(settings, fake):
    store = ChunkStore.open(settings, fake)
    old = _chunks("a.txt", TEXT_A)
    store.replace_source("a.txt", old, fake.embed_array([c.text for c in old]))
    g1 = store.generation()
    new = _chunks("a.txt", TEXT_A.replace("Kyiv was quiet.", "Kyiv was shelled overnight."))
    store.replace_source("a.txt", new, fake.embed_array([c.text for c in new]))
    assert store.generation() > g1
    assert sorted(c.id for c in store.all_chunks()) == sorted(c.id for c in new)
    assert store.delete_source("a.txt") == len(new)
    assert store.count() == 0 and store.sources() == {}
    assert store.query(fake.embed_query("Kyiv"), k=3) == []


def test_large_replace_is_batched(settings):
    fake = FakeEmbeddings(dim=8)
    store = ChunkStore.open(settings, fake)
    text = "\n".join(f"line {i}" for i in range(MAX_BATCH + 300))
    art = make_article("big.txt", text)
    chunks = para_chunks(art, size=1)  # one chunk per line
    assert len(chunks) > MAX_BATCH
    store.replace_source("big.txt", chunks, np.ones((len(chunks), 8), dtype=np.float32))
    assert store.count() == len(chunks)
    assert store.sources()["big.txt"]["chunks"] == len(chunks)
    assert len(store.all_chunks()) == len(chunks)  # paged reads


def test_reopen_with_other_embedder_is_refused(settings, fake):
    store = ChunkStore.open(settings, fake)
    c = _chunks("a.txt", TEXT_A)
    store.replace_source("a.txt", c, fake.embed_array([x.text for x in c]))
    assert ChunkStore.open(settings, FakeEmbeddings(dim=16)).count() == len(c)  # same model: fine
    with pytest.raises(StoreError) as err:
        ChunkStore(settings, model_name="all-MiniLM-L6-v2", dim=384)
    msg = str(err.value)
    assert "built with fake-hashed-bow (dim 16)" in msg and "all-MiniLM-L6-v2 (dim 384)" in msg
    assert "PARLEY_COLLECTION" in msg and "\n" not in msg
    # a new collection name is the documented way out
    other = get_settings(collection="parley-minilm")
    assert ChunkStore(other, model_name="all-MiniLM-L6-v2", dim=384).count() == 0


def test_unopenable_chroma_dir_is_a_store_error(settings, fake):
    settings.chroma_path.parent.mkdir(parents=True, exist_ok=True)
    settings.chroma_path.write_text("not a directory")  # e.g. a stray file where the store goes
    with pytest.raises(StoreError, match="delete .*chroma"):
        ChunkStore.open(settings, fake)


def test_corrupt_sqlite_is_a_store_error(settings, fake):
    settings.chroma_path.mkdir(parents=True)
    (settings.chroma_path / "chroma.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="re-ingest"):
        ChunkStore.open(settings, fake)


def test_bad_collection_name_names_the_setting(fake):
    with pytest.raises(SettingsError, match="PARLEY_COLLECTION"):  # refused when read
        ChunkStore.open(get_settings(collection="x"), fake)


def test_server_down_fails_fast_naming_the_url(fake):
    s = get_settings(chroma_url="http://127.0.0.1:9")
    t = time.monotonic()
    with pytest.raises(StoreError, match=r"http://127\.0\.0\.1:9"):
        ChunkStore.open(s, fake)
    assert time.monotonic() - t < 30  # a hang would be minutes; this only guards against one


def test_parse_url():
    assert _parse_url("http://localhost:8123") == ("localhost", 8123, False)
    assert _parse_url("127.0.0.1:9000") == ("127.0.0.1", 9000, False)
    assert _parse_url("https://chroma.example") == ("chroma.example", 443, True)


def test_docstore_round_trip_atomic_and_delete(settings):
    ds = DocStore(settings.articles_dir)
    art = make_article("000_x.txt", TEXT_A)
    ds.put(art, chunks=3, embedding_model="m")
    assert ds.get("000_x.txt") == art
    assert ds.record("000_x.txt").chunks == 3
    assert ds.ids() == ["000_x.txt"] and ds.all() == [art]
    assert not list(settings.articles_dir.glob(".tmp-*"))  # no temp files left behind
    odd = make_article("../we ird name?.txt", TEXT_B)
    ds.put(odd, chunks=1)
    assert ds.get("../we ird name?.txt") == odd
    assert all(p.parent == settings.articles_dir for p in settings.articles_dir.iterdir())
    assert ds.delete("000_x.txt") and not ds.delete("000_x.txt")
    with pytest.raises(StoreError, match="parley ingest"):
        ds.get("000_x.txt")
    # a torn/corrupt record reads as absent (so ingest redoes it) instead of crashing
    (settings.articles_dir / "000_x.txt.json").write_text('{"article": {"doc_')
    assert ds.record("000_x.txt") is None and ds.all() == [odd]


def _age_folder(folder, seconds: float = 10.0) -> None:
    """Set a folder's mtime in the past: as if its last write were long ago."""
    t = time.time() - seconds
    os.utime(folder, (t, t))


def test_docstore_all_parses_each_record_once_and_follows_writes(settings, monkeypatch):
    ds = DocStore(settings.articles_dir)
    a, b, c = (make_article(n, t) for n, t in (("a.txt", TEXT_A), ("b.txt", TEXT_B), ("c.txt", TEXT_A)))
    ds.put(a, chunks=1)
    ds.put(b, chunks=1)
    parsed = []
    real = docstore_mod.DocRecord.model_validate
    monkeypatch.setattr(docstore_mod.DocRecord, "model_validate",
                        lambda obj: parsed.append(obj["article"]["doc_id"]) or real(obj))
    assert [x.doc_id for x in ds.all()] == ["a.txt", "b.txt"] and sorted(parsed) == ["a.txt", "b.txt"]
    # a folder just written is listed again (a clock tick may hide a write), but nothing re-parsed
    assert [x.doc_id for x in ds.all()] == ["a.txt", "b.txt"] and len(parsed) == 2
    _age_folder(settings.articles_dir)
    ds.all()
    ds.all()
    assert len(parsed) == 2  # settled: the cache answers
    ds.put(c, chunks=1)  # a new record: only it is read
    assert [x.doc_id for x in ds.all()] == ["a.txt", "b.txt", "c.txt"] and parsed[2:] == ["c.txt"]
    changed = make_article("a.txt", TEXT_B)
    ds.put(changed, chunks=2)  # replaced by rename: a new file, read again
    assert ds.all()[0].text == TEXT_B and parsed[3:] == ["a.txt"]
    _age_folder(settings.articles_dir)
    ds.all()
    ds.delete("b.txt")
    assert [x.doc_id for x in ds.all()] == ["a.txt", "c.txt"]
    assert DocStore(settings.articles_dir / "missing").all() == []


def test_replace_sources_writes_several_documents_at_once(settings, fake):
    store = ChunkStore.open(settings, fake)
    a, b = _chunks("a.txt", TEXT_A), _chunks("b.txt", TEXT_B)
    store.replace_sources([(x[0].source, x, fake.embed_array([c.text for c in x])) for x in (a, b)])
    assert store.sources() == {
        "a.txt": {"doc_hash": a[0].doc_hash, "chunks": len(a)},
        "b.txt": {"doc_hash": b[0].doc_hash, "chunks": len(b)},
    }
    a2 = _chunks("a.txt", "A single new line.")
    store.replace_sources([("a.txt", a2, fake.embed_array([c.text for c in a2])), ("c.txt", [], [])])
    assert {c.id for c in store.all_chunks()} == {c.id for c in a2 + b}
    with pytest.raises(ValueError, match="belong"):
        store.replace_sources([("b.txt", a2, fake.embed_array([c.text for c in a2]))])
