"""Hybrid retrieval: BM25 (with spelling variants) + dense Chroma similarity, fused by RRF.

`HybridRetriever` is a LangChain `BaseRetriever` (Documents carry the chunk's fields and scores in
metadata) and also offers `search()` returning typed `Passage`s. The BM25 side is the on-disk
index beside the store (vectorstore/ftsindex.py: rows in SQLite, BM25 by tantivy): nothing is
built in memory, and writes by other processes are seen as soon as they commit (or, for writers
that bypass it, once the store's generation counter moves and the index has synced).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from parley.core.schema import Chunk, Passage
from parley.core.settings import Settings
from vectorstore.embeddings import make_embedder
from vectorstore.ftsindex import FtsIndex
from vectorstore.store import ChunkStore

# The embedding model and Chroma (Rust, or HTTP to a server) release the GIL: the query is
# embedded and the dense side queried on a thread while the lexical side is read
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="parley-search")
# BM25 scores are reported for chunks among the LEXICAL_SCORED x fetch_k best lexical matches (the
# same scan; only the fetch_k best are read back whole); a dense-only hit below them gets
# bm25_score None, without a second scan
LEXICAL_SCORED = 5
RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of rank 1 vs rank 2


def rrf(
    rankings: list[list[str]], k: int = RRF_K, weights: list[float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion: sum over lists of weight / (k + rank), ranks from 1."""
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for r, key in enumerate(ranking, 1):
            fused[key] = fused.get(key, 0.0) + w / (k + r)
    return fused


def passage_to_document(p: Passage) -> Document:
    """A Passage as a LangChain Document (chunk fields + scores in metadata)."""
    c = p.chunk
    meta = c.model_dump(mode="json", exclude={"text"})
    meta.update(rank=p.rank, score=p.score, dense_score=p.dense_score, bm25_score=p.bm25_score)
    return Document(page_content=c.text, metadata=meta, id=c.id)


def passages_from_documents(docs: list[Document]) -> list[Passage]:
    """Typed Passages back from Documents made by this retriever."""
    out = []
    for i, d in enumerate(docs, 1):
        m = d.metadata
        chunk = Chunk(
            id=m["id"], source=m["source"], start=m["start"], end=m["end"], text=d.page_content,
            index=m["index"], doc_hash=m["doc_hash"], title=m.get("title"),
            outlet=m.get("outlet"), date=m.get("date"),
        )
        out.append(
            Passage(
                chunk=chunk, rank=int(m.get("rank", i)), score=float(m.get("score", 0.0)),
                dense_score=m.get("dense_score"), bm25_score=m.get("bm25_score"),
            )
        )
    return out


class HybridRetriever(BaseRetriever):
    """BM25 + dense retrieval over a ChunkStore, fused by reciprocal rank fusion."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    embedder: Any
    k: int = 5
    fetch_k: int = 20  # candidates taken from each side before fusion
    rrf_k: int = RRF_K
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    refresh_s: float = 1.0  # how often to ask the store whether a writer bypassed the index
    where: dict[str, Any] | None = None  # Chroma `where` filter, applied to both sides
    lexical: Any = None  # the FtsIndex; default: the one beside the store
    parallel: bool = True  # Chroma calls on threads while the lexical side is read (see _POOL)

    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _checked: float = PrivateAttr(default=float("-inf"))
    _local: Any = PrivateAttr(default=None)

    def index(self) -> FtsIndex:
        """The lexical index, synced with the store when its generation moved.

        Writers that go through the index (ingest, removal) keep it in step themselves; the
        generation is read at most every `refresh_s`, or at once after a write through our own
        store object, to catch the others.
        """
        if self.lexical is None:
            self.lexical = FtsIndex.for_store(self.store)
        now, local = time.monotonic(), getattr(self.store, "local_writes", None)
        if now - self._checked >= self.refresh_s or local != self._local:
            with self._lock:
                self.lexical.sync(self.store)
                self._checked, self._local = now, local
        return self.lexical

    def search(self, query: str, k: int | None = None, *, vector: Any = None) -> list[Passage]:
        """The k best passages for the query, best first, with fused, dense and BM25 scores.

        `vector` is the query's embedding when the caller already has it.
        """
        k = k or self.k
        fetch = max(self.fetch_k, k)
        idx = self.index()
        dense_f = self._submit(self._dense, query, vector, fetch)  # embeds the query if need be
        weights = idx.query_terms().expand(query)
        hits = idx.hits(weights, fetch, where=self.where, ranked=LEXICAL_SCORED * fetch)
        lex = hits.top
        qvec, dense = dense_f.result()

        by_id: dict[str, Chunk] = {c.id: c for c, _ in lex}
        need = [cid for cid, _ in dense if cid not in by_id]
        by_id.update(idx.chunks(need))
        unseen = [cid for cid in need if cid not in by_id]  # written but not yet in the index
        by_id.update({c.id: c for c in self.store.get_chunks(unseen)})
        dense = [(cid, s) for cid, s in dense if cid in by_id]
        dense_score = dict(dense)
        bm_score = dict(hits.ranked)
        fused = rrf(
            [[cid for cid, _ in dense], [c.id for c, _ in lex[:fetch]]],
            self.rrf_k,
            [self.dense_weight, self.bm25_weight],
        )
        best = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]

        # chunks found only by BM25 still get a true cosine, from the vectors kept beside the
        # index (Chroma is asked only for those an older index lacks)
        late = [cid for cid in best if cid not in dense_score]
        vecs = {cid: v for cid, v in idx.vectors(late).items() if v.shape == qvec.shape}
        vecs.update(self.store.embeddings_of([cid for cid in late if cid not in vecs]))
        for cid in late:
            if cid in vecs:
                dense_score[cid] = float(vecs[cid] @ qvec)
        return [
            Passage(chunk=by_id[cid], rank=r, score=fused[cid], dense_score=dense_score.get(cid),
                    bm25_score=bm_score.get(cid))
            for r, cid in enumerate(best, 1)
        ]

    def _dense(self, query: str, vector: Any, fetch: int) -> tuple[np.ndarray, list[tuple[str, float]]]:
        qvec = np.asarray(self.embedder.embed_query(query) if vector is None else vector, dtype=np.float32)
        return qvec, self.store.query_ids(qvec, fetch, where=self.where)

    def _submit(self, fn: Any, *args: Any, **kwargs: Any) -> Future:
        if self.parallel:
            return _POOL.submit(fn, *args, **kwargs)
        done: Future = Future()
        done.set_result(fn(*args, **kwargs))
        return done

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [passage_to_document(p) for p in self.search(query, self.k)]


def open_retriever(settings: Settings, *, embedder: Any = None, store: Any = None) -> HybridRetriever:
    """The retriever the settings describe (builds the embedder and store when not given)."""
    embedder = embedder or make_embedder(settings)
    store = store or ChunkStore.open(settings, embedder)
    return HybridRetriever(store=store, embedder=embedder, k=settings.top_k,
                           parallel=settings.parallel_search)
