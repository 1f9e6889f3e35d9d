"""The chunk store: one Chroma collection (cosine), on disk or behind a `chroma run` server.

We always pass vectors ourselves (the collection has no embedding function), and the collection's
metadata records which embedding model built it, so a store is never queried with vectors from
another model. A `generation` counter in the metadata changes on every write: retrievers use it
to know when their BM25 index is stale, even when another process wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from parley.core.errors import StoreError
from parley.core.schema import Chunk
from parley.core.secrets import public_url
from parley.core.settings import Settings
from vectorstore.chroma_open import (
    disagree_message,
    http_client,
    persistent_client,
    record_count,
    refuse_blank_file,
)
from vectorstore.chunk_meta import chunk_from_record, chunk_metadata
from vectorstore.source_rows import SourceRows, Summary, bucket_of, summarise

MAX_BATCH = 5000  # Chroma refuses batches above ~5,461 rows
_PAGE = 5000
_META_MODEL, _META_DIM, _META_GEN = "embedding_model", "embedding_dim", "generation"

log = logging.getLogger(__name__)


def _of_sources(sources: Sequence[str]) -> dict[str, Any]:
    """A Chroma `where` for the chunks of these sources."""
    return {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}


class ChunkStore:
    """Chunks and their vectors in one Chroma collection built by one embedding model."""

    def __init__(self, settings: Settings, *, model_name: str, dim: int, client: Any = None,
                 check: bool = True):
        self.settings = settings
        self.model_name = model_name
        self.dim = int(dim)
        self.where = public_url(settings.chroma_url) if settings.chroma_url else str(settings.chroma_path)
        if client is None and check and not settings.chroma_url:
            refuse_blank_file(settings)  # before Chroma turns a 0-byte file into a new, empty store
        if client is None:
            client = (http_client(settings.chroma_url, settings.chroma_timeout_s) if settings.chroma_url
                      else persistent_client(settings))
        self._client = client
        self.local_writes = 0  # writes through this object: readers notice them without a round-trip
        name = settings.collection
        try:
            self._col = client.get_or_create_collection(
                name,
                embedding_function=None,  # never Chroma's default (it downloads a model)
                configuration={"hnsw": {"space": "cosine"}},
                metadata={_META_MODEL: model_name, _META_DIM: self.dim, _META_GEN: 0},
            )
        except StoreError:
            raise
        except Exception as e:
            msg = str(e).split("\n")[0]
            hint = (
                "set PARLEY_COLLECTION to 3-512 letters, digits, '.', '_' or '-'"
                if "name" in msg.lower()
                else f"delete {self.where} (PARLEY_DATA_DIR/chroma) and re-ingest"
            )
            raise StoreError(f"cannot open collection '{name}' in {self.where}: {msg}; {hint}") from e
        self._check_model()
        self.rows = SourceRows(client, name, self._call)  # per-source summary (source_rows.py)
        if not self.rows.complete() and self.count() == 0:
            self.rows.set_complete()  # an empty store's rows are all there
        if check and self.count() == 0 and (n := record_count(settings)):
            raise StoreError(disagree_message(f"the chunk store {self.where} holds no chunks", n, settings))

    @classmethod
    def open(cls, settings: Settings, embedder: Any, *, check: bool = True) -> ChunkStore:
        """Open the store for this embedder (uses its `name` and `dim`).

        With `check`, a store that holds nothing while the article store holds articles is
        refused with a line saying how to repair it (`parley doctor --repair`).
        """
        return cls(settings, model_name=embedder.name, dim=embedder.dim, check=check)

    def _check_model(self) -> None:
        meta = self._col.metadata or {}
        built, bdim = meta.get(_META_MODEL), meta.get(_META_DIM)
        if built is None:
            raise StoreError(
                f"collection '{self.settings.collection}' in {self.where} has no embedding-model "
                "record (not built by Parley); use another PARLEY_COLLECTION or delete it"
            )
        if built != self.model_name or int(bdim) != self.dim:
            raise StoreError(
                f"collection '{self.settings.collection}' was built with {built} (dim {bdim}); "
                f"you are using {self.model_name} (dim {self.dim}): re-ingest into a new "
                "PARLEY_COLLECTION or delete PARLEY_DATA_DIR/chroma"
            )

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Chroma call, turning its failures into one-line StoreErrors."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            if "Timeout" in type(e).__name__:  # httpx's, from a server that stopped answering
                raise StoreError(f"Chroma server at {self.where} did not answer the {what} within "
                                 f"{self.settings.chroma_timeout_s:g}s: is it overloaded? raise "
                                 "PARLEY_CHROMA_TIMEOUT_S") from e
            msg = str(e).split("\n")[0]
            raise StoreError(f"Chroma {what} failed at {self.where}: {type(e).__name__}: {msg}") from e

    def generation(self) -> int:
        """A counter that changes whenever the store's contents change."""
        col = self._call("read", self._client.get_collection, self.settings.collection, embedding_function=None)
        return int((col.metadata or {}).get(_META_GEN, 0))

    def _bump(self) -> None:
        gen = self.generation() + 1
        meta = {_META_MODEL: self.model_name, _META_DIM: self.dim, _META_GEN: gen}
        self._call("modify", self._col.modify, metadata=meta)
        self.local_writes += 1

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._call("count", self._col.count))

    def ids_of(self, sources: Sequence[str]) -> list[str]:
        """The ids of every chunk of these sources."""
        got = self._call("get", self._col.get, where=_of_sources(sources), include=[])
        return list(got["ids"])

    def replace_source(self, source: str, chunks: Sequence[Chunk], vectors: Any) -> None:
        """Make `chunks` the only chunks of `source`: upsert the new, then delete the rest."""
        self.replace_sources([(source, chunks, vectors)])

    def replace_sources(self, items: Sequence[tuple[str, Sequence[Chunk], Any]]) -> None:
        """replace_source for several sources at once (Chroma writes have a high per-call cost)."""
        if not items:
            return
        chunks: list[Chunk] = []
        parts = []
        for source, cs, vectors in items:
            vecs = np.asarray(vectors, dtype=np.float32).reshape(len(cs), -1) if len(cs) else None
            if vecs is not None and len(cs) != len(vecs):
                raise ValueError(f"{len(cs)} chunks but {len(vecs)} vectors")
            if vecs is not None and vecs.shape[1] != self.dim:
                raise StoreError(f"vectors have dim {vecs.shape[1]}, collection expects {self.dim}")
            if any(c.source != source for c in cs):
                raise ValueError(f"all chunks must belong to {source}")
            chunks.extend(cs)
            if vecs is not None:
                parts.append(vecs)
        vecs = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
        old = set(self.ids_of([src for src, _, _ in items]))
        self.rows.mark([src for src, _, _ in items])
        self._bump()  # before as well as after: a write cut short still shows as a change
        # upsert first so the source stays searchable; a crash here leaves extras that a re-run removes
        for b in range(0, len(chunks), MAX_BATCH):
            part = chunks[b : b + MAX_BATCH]
            self._call(
                "upsert",
                self._col.upsert,
                ids=[c.id for c in part],
                embeddings=vecs[b : b + MAX_BATCH],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )
        stale = sorted(old - {c.id for c in chunks})
        for b in range(0, len(stale), MAX_BATCH):
            self._call("delete", self._col.delete, ids=stale[b : b + MAX_BATCH])
        self.rows.put({src: (cs[0].doc_hash if cs else None, len(cs)) for src, cs, _ in items})
        self._bump()

    def delete_source(self, source: str) -> int:
        """Remove every chunk of `source`; return how many were removed."""
        ids = self.ids_of([source])
        if ids:
            self.rows.mark([source])
            self._bump()  # before as well as after: a delete cut short still shows as a change
        for b in range(0, len(ids), MAX_BATCH):
            self._call("delete", self._col.delete, ids=ids[b : b + MAX_BATCH])
        if ids:
            self.rows.put({source: (None, 0)})
            self._bump()
        return len(ids)

    def _pages(self, include: list[str]) -> Any:
        offset = 0
        while True:
            got = self._call("get", self._col.get, include=include, limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield got
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE

    def sources(self, buckets: Iterable[int] | None = None) -> Summary:
        """Per source (of these buckets; None: all): the doc_hash its chunks carry, how many chunks.

        Read from the per-source rows (one lookup per bucket); sources being written, or whose
        write was cut short, are counted from their chunks; a store without complete rows is
        counted whole once (`recount_sources`).
        """
        if not self.rows.complete():
            out = self.recount_sources()
            keep = None if buckets is None else set(buckets)
            return out if keep is None else {s: v for s, v in out.items() if bucket_of(s) in keep}
        out, dirty = self.rows.read(buckets)
        for b in range(0, len(dirty), 500):
            got = self._call("get", self._col.get, where=_of_sources(dirty[b : b + 500]), include=["metadatas"])
            summarise(got["metadatas"], out)
        return out

    def source_tokens(self) -> dict[int, str] | None:
        """The per-source rows' bucket tokens (source_rows.py); None while the rows are incomplete."""
        return self.rows.tokens() if self.rows.complete() else None

    def scan_sources(self) -> Summary:
        """`sources` from every chunk's metadata (the ground truth; reads the whole store)."""
        out: Summary = {}
        for got in self._pages(["metadatas"]):
            summarise(got["metadatas"], out)
        return out

    def recount_sources(self) -> Summary:
        """Count every source from its chunks and rewrite the per-source rows to match.

        The rows are marked complete only if no write moved the store during the count.
        """
        gen = self.generation()
        out = self.scan_sources()
        had, dirty = self.rows.read()
        self.rows.put({**{s: (None, 0) for s in [*had, *dirty] if s not in out},
                       **{s: (v["doc_hash"], v["chunks"]) for s, v in out.items()}})
        if self.generation() == gen:
            self.rows.set_complete()
        return out

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk, ordered by source and position (for BM25)."""
        chunks = [
            chunk_from_record(cid, doc, meta)
            for got in self._pages(["documents", "metadatas"])
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        chunks.sort(key=lambda c: (c.source, c.index, c.start))
        return chunks

    def _nearest(self, vector: Any, k: int, where: dict[str, Any] | None, include: list[str]) -> Any:
        return self._call("query", self._col.query, query_embeddings=[np.asarray(vector, dtype=np.float32)],
                          n_results=k, where=where, include=include)  # fewer when it has fewer

    def query(
        self, vector: Any, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The k nearest chunks with their cosine similarity, best first."""
        got = self._nearest(vector, k, where, ["documents", "metadatas", "distances"])
        return [
            (chunk_from_record(cid, doc, meta), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
            )
        ]

    def query_ids(
        self, vector: Any, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Like `query` but ids only: cheaper when the caller already holds the chunks."""
        got = self._nearest(vector, k, where, ["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The stored chunks with these ids (unknown ids are left out)."""
        if not ids:
            return []
        got = self._call("get", self._col.get, ids=list(ids), include=["documents", "metadatas"])
        return [
            chunk_from_record(cid, doc, meta)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]

    def embeddings_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (to score chunks that only BM25 found)."""
        if not ids:
            return {}
        got = self._call("get", self._col.get, ids=list(ids), include=["embeddings"])
        return {cid: np.asarray(v, dtype=np.float32) for cid, v in zip(got["ids"], got["embeddings"], strict=True)}

