"""The same pipeline through a real `chroma run` server started by the fixture."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from proc_helpers import free_port, served
from store_helpers import HAND_READERS

from parley.core.errors import StoreError
from parley.core.settings import get_settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import FakeEmbeddings, OnnxMiniLM
from vectorstore.ftsindex import FtsIndex
from vectorstore.ingest import ingest_paths, remove_source
from vectorstore.retrieval import HybridRetriever
from vectorstore.store import ChunkStore

pytestmark = pytest.mark.integration
CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """Start `chroma run` on a free port; its (chatty) log goes to a temp file; kill it after."""
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} not installed")
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(CHROMA), "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with served(cmd, f"{url}/api/v2/heartbeat", root / "server.log", name="chroma server"):
        yield url


def test_ingest_and_search_through_server(chroma_url, seeds_dir, monkeypatch):
    monkeypatch.setenv("PARLEY_CHROMA_URL", chroma_url)
    s = get_settings(collection="server-seeds")
    assert s.chroma_url == chroma_url
    e = OnnxMiniLM()
    store, ds = ChunkStore.open(s, e), DocStore(s.articles_dir)
    r1 = ingest_paths([seeds_dir], s, e, store, ds, progress=False)
    assert r1.added == 5 and not r1.skipped and store.count() == r1.chunks
    assert not s.chroma_path.exists()  # nothing went to the embedded on-disk store

    r2 = ingest_paths([seeds_dir], s, e, store, ds, progress=False)
    assert r2.unchanged == 5 and r2.chunks == 0 and store.count() == r1.chunks

    ret = HybridRetriever(store=ChunkStore.open(s, e), embedder=e)  # a fresh client
    assert ret.search("Zakharova", 5)[0].source == "000_997b5712c965d847.txt"
    assert {"001_a8fea508baf53730.txt", "003_b571c39c7b842e1b.txt"} <= {
        p.source for p in ret.search("Peskov", 5)
    }


def test_other_embedder_refused_through_server(chroma_url):
    s = get_settings(chroma_url=chroma_url, collection="server-fake")
    ChunkStore.open(s, FakeEmbeddings(dim=16))
    with pytest.raises(StoreError, match="built with fake-hashed-bow"):
        ChunkStore.open(s, FakeEmbeddings(dim=32, name="other-model"))


def test_each_app_host_keeps_its_lexical_index_in_step(chroma_url, seeds_dir, tmp_path):
    """Host A ingests and removes through the server; host B's own index follows per source."""
    e = FakeEmbeddings()
    a = get_settings(chroma_url=chroma_url, collection="server-hosts", data_dir=tmp_path / "host-a")
    b = get_settings(chroma_url=chroma_url, collection="server-hosts", data_dir=tmp_path / "host-b")
    store_a, store_b = ChunkStore.open(a, e), ChunkStore.open(b, e)
    ingest_paths([seeds_dir], a, e, store_a, DocStore(a.articles_dir), progress=False, **HAND_READERS)
    ret_b = HybridRetriever(store=store_b, embedder=e, refresh_s=0.0)
    assert ret_b.search("Zakharova", 5)[0].source == "000_997b5712c965d847.txt"
    idx_a, idx_b = FtsIndex.for_store(store_a), ret_b.index()
    assert idx_a.path != idx_b.path and idx_b.sources() == store_b.sources()

    late = tmp_path / "late"
    late.mkdir()
    (late / "late.txt").write_text("Quuxifying envoys met in Geneva.")
    ingest_paths([late], a, e, store_a, DocStore(a.articles_dir), progress=False, **HAND_READERS)
    assert idx_b.sync(store_b) == 1  # only the new article was read, nothing rebuilt
    assert ret_b.search("quuxifying", 3)[0].source == "late.txt"
    remove_source(store_a, "late.txt")
    assert idx_b.sync(store_b) == 1 and idx_b.source("late.txt") is None
    assert [p.source for p in ret_b.search("quuxifying", 3)] != ["late.txt"]
    assert idx_a.synced_generation() == store_a.generation()  # the writer stayed in step itself
