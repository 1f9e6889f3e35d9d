"""The LangChain VectorStore view (langchain_chroma.Chroma) over the real on-disk chunk store."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from parley.core.errors import StoreError
from parley.core.settings import get_settings
from parley.service import Parley
from vectorstore.docstore import DocStore
from vectorstore.embeddings import FakeEmbeddings, OnnxMiniLM
from vectorstore.ingest import ingest_paths
from vectorstore.langchain_view import ChunkStoreView, langchain_view
from vectorstore.store import ChunkStore

ZAK = "000_997b5712c965d847.txt"


def _ingested(seeds_dir, embedder):
    s = get_settings()
    store, docs = ChunkStore.open(s, embedder), DocStore(s.articles_dir)
    ingest_paths([seeds_dir], s, embedder, store, docs, progress=False)
    return store, docs


def test_view_reads_the_same_chunks_and_refuses_writes(seeds_dir):
    e = FakeEmbeddings()
    store, docs = _ingested(seeds_dir, e)
    view = langchain_view(store, e)
    assert isinstance(view, ChunkStoreView)
    some = store.all_chunks()[3]
    hits = view.similarity_search(some.text, k=1)  # the fake embedder maps a text to one vector
    assert len(hits) == 1 and isinstance(hits[0], Document)
    md = hits[0].metadata
    assert (md["source"], md["start"], md["end"]) == (some.source, some.start, some.end)
    assert docs.get(md["source"]).text[md["start"] : md["end"]] == hits[0].page_content
    before = store.count()
    for write in (lambda: view.add_texts(["x"]), lambda: view.add_documents([Document("x")]),
                  lambda: view.delete([some.id]), view.delete_collection):
        with pytest.raises(StoreError, match="read-only"):
            write()
    assert store.count() == before


@pytest.mark.integration
def test_langchain_retriever_on_the_real_model_finds_the_article(seeds_dir):
    e = OnnxMiniLM()
    store, _ = _ingested(seeds_dir, e)
    found = langchain_view(store, e).as_retriever(search_kwargs={"k": 3}).invoke(
        "Russian foreign ministry spokeswoman on negotiations with the United States")
    assert found and found[0].metadata["source"] == ZAK


def test_the_service_offers_the_view(seeds_dir):
    p = Parley(get_settings(), embedder=FakeEmbeddings())
    p.ingest([seeds_dir])
    assert {d.metadata["source"] for d in p.langchain_vectorstore().similarity_search("x", k=50)} \
        == {a.doc_id for a in p.articles()}
