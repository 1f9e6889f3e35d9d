"""`parley doctor`: each kind of disagreement between the stores is found, and repaired."""

from __future__ import annotations

from bad_helpers import seed_data

from parley.core.settings import Settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import FakeEmbeddings
from vectorstore.health import diagnose, repair
from vectorstore.store import ChunkStore

SEED = "000_997b5712c965d847.txt"


def _open(data):
    s = Settings(data_dir=data, embedding_backend="fake")
    e = FakeEmbeddings()
    return s, e, ChunkStore.open(s, e, check=False), DocStore(s.articles_dir)


def test_each_disagreement_is_found_and_repaired(tmp_path):
    data = seed_data(tmp_path)
    s, e, store, docs = _open(data)
    assert diagnose(store, docs) == []
    full = store.count()
    store.delete_source(SEED)  # a record without chunks
    other = "001_a8fea508baf53730.txt"
    rec = docs.record(other)
    docs.put(rec.article, chunks=rec.chunks + 1)  # a record that disagrees with its chunks
    gone = "002_8da615250590acec.txt"
    docs.delete(gone)  # chunks without a record
    (data / "articles" / "broken.json").write_text("{not json")
    found = {(p.kind, p.doc_id) for p in diagnose(store, docs)}
    assert found == {("missing-chunks", SEED), ("stale-chunks", other), ("orphan-chunks", gone),
                     ("unreadable-record", "broken.json")}
    assert repair(diagnose(store, docs), s, store, docs, e) == 4
    assert diagnose(store, docs) == []
    assert (data / "articles" / ".broken" / "broken.json").is_file()  # set aside, not deleted
    assert gone not in store.sources() and SEED in store.sources()
    assert store.count() < full  # the orphan's chunks went; the rest were rebuilt from records
    assert docs.record(other).chunks == store.sources()[other]["chunks"]


def test_describe_never_shows_url_credentials():
    s = Settings(chroma_url="http://admin:hunter2pass@127.0.0.1:8000", llm_backend="openai",
                 openai_base_url="https://bob:s3cret-pw@llm.example/v1",
                 embedding_backend="openai", embedding_base_url="http://x:y-secret@127.0.0.1:9/v1")
    shown = " ".join(s.describe().values())
    for secret in ("hunter2pass", "s3cret-pw", "y-secret", "admin", "bob"):
        assert secret not in shown
    assert "127.0.0.1:8000" in shown and "llm.example/v1" in shown
