"""Hybrid retrieval: BM25 (with spelling variants) + dense Chroma similarity, fused by RRF.

`HybridRetriever` is a LangChain `BaseRetriever` (Documents carry the chunk's fields in metadata)
and also offers `search()` returning typed `Passage`s. The BM25 index is built from the store's
chunks once and rebuilt only when the store's generation counter moves.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from parley.core.schema import Chunk, Passage
from parley.core.settings import Settings
from vectorstore.lexical import LexicalIndex
from vectorstore.store import chunk_metadata
from vectorstore.where import matches_where

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


def _top_indices(scores: np.ndarray, n: int) -> list[int]:
    """Indices of the n highest positive scores, best first (partial sort: O(corpus))."""
    if len(scores) > n:
        cand = np.argpartition(-scores, n)[:n]
    else:
        cand = np.arange(len(scores))
    cand = cand[scores[cand] > 0]
    return [int(i) for i in cand[np.lexsort((cand, -scores[cand]))]]


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
    refresh_s: float = 1.0  # how often to ask the store whether another process changed it
    where: dict[str, Any] | None = None  # Chroma `where` filter, applied to both sides

    _lex: LexicalIndex | None = PrivateAttr(default=None)
    _chunks: list[Chunk] = PrivateAttr(default_factory=list)
    _pos: dict[str, int] = PrivateAttr(default_factory=dict)
    _gen: int | None = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _checked: float = PrivateAttr(default=float("-inf"))
    _local: Any = PrivateAttr(default=None)
    _mask: Any = PrivateAttr(default=None)
    _mask_key: Any = PrivateAttr(default=None)

    def _lexical(self) -> tuple[LexicalIndex, list[Chunk], dict[str, int]]:
        """The BM25 index, rebuilt when the store's contents changed since it was built.

        Writes through our own store object are seen at once; writes by other processes within
        `refresh_s` (the store's generation counter is read at most that often).
        """
        now, local = time.monotonic(), getattr(self.store, "local_writes", None)
        stale = now - self._checked >= self.refresh_s or local != self._local
        with self._lock:
            if self._lex is None or stale:
                gen = self.store.generation()
                self._checked, self._local = now, local
            else:
                gen = self._gen
            if self._lex is None or gen != self._gen:
                chunks = self.store.all_chunks()
                self._lex = LexicalIndex([f"{c.title or ''}\n{c.text}" for c in chunks])
                self._chunks, self._gen = chunks, gen
                self._pos = {c.id: i for i, c in enumerate(chunks)}
            return self._lex, self._chunks, self._pos

    def _allowed(self, chunks: list[Chunk]) -> np.ndarray:
        """Mask of chunks passing `where` (cached per filter and index generation)."""
        key = (repr(self.where), self._gen)
        if self._mask_key != key:
            self._mask = np.array([matches_where(chunk_metadata(c), self.where) for c in chunks], bool)
            self._mask_key = key
        return self._mask

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """The k best passages for the query, best first, with fused, dense and BM25 scores."""
        k = k or self.k
        fetch = max(self.fetch_k, k)
        qvec = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        lex, chunks, pos = self._lexical()
        # ids only: the chunks themselves are already in memory for BM25
        dense = self.store.query_ids(qvec, fetch, where=self.where)
        bm = lex.scores(query)
        if self.where:
            bm = np.where(self._allowed(chunks), bm, 0.0)
        top = _top_indices(bm, fetch)

        by_id: dict[str, Chunk] = {chunks[pos[cid]].id: chunks[pos[cid]] for cid, _ in dense if cid in pos}
        unseen = [cid for cid, _ in dense if cid not in pos]  # written after our BM25 snapshot
        by_id.update({c.id: c for c in self.store.get_chunks(unseen)})
        dense = [(cid, s) for cid, s in dense if cid in by_id]
        dense_score = dict(dense)
        for i in top:
            by_id.setdefault(chunks[i].id, chunks[i])
        bm_by_id = {chunks[i].id: float(bm[i]) for i in top}
        fused = rrf(
            [[cid for cid, _ in dense], [chunks[i].id for i in top]],
            self.rrf_k,
            [self.dense_weight, self.bm25_weight],
        )
        best = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]

        # chunks found only by BM25 still get a true cosine, from their stored vectors
        missing = [cid for cid in best if cid not in dense_score]
        for cid, vec in self.store.embeddings_of(missing).items():
            dense_score[cid] = float(vec @ qvec)
        return [
            Passage(
                chunk=by_id[cid], rank=r, score=fused[cid], dense_score=dense_score.get(cid),
                bm25_score=bm_by_id.get(cid, float(bm[pos[cid]]) if cid in pos else None),
            )
            for r, cid in enumerate(best, 1)
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [passage_to_document(p) for p in self.search(query, self.k)]


def open_retriever(settings: Settings, *, embedder: Any = None, store: Any = None) -> HybridRetriever:
    """The retriever the settings describe (builds the embedder and store when not given)."""
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import ChunkStore

    embedder = embedder or make_embedder(settings)
    store = store or ChunkStore.open(settings, embedder)
    return HybridRetriever(store=store, embedder=embedder, k=settings.top_k)
