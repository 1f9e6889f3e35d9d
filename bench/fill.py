"""Fill a store (Chroma + the lexical index) with N synthetic chunks through Parley's own write path.

Texts are realistic generated prose (bench/corpus.py): a pool of generated sentences, each chunk
five to seven of them, so every chunk differs and the vocabulary is that of a large corpus.
Vectors are random unit vectors (what the embedding model would add costs the same per chunk
whatever the store size; the ingest bench measures it). Sources hold four chunks, like a
2.3 kB article, and are written a few thousand chunks at a time, as ingest's flushes do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

from bench.corpus import ArticleGenerator
from parley.core.schema import Chunk, content_hash
from vectorstore.chunk_meta import chunk_metadata
from vectorstore.ftsindex import FtsIndex
from vectorstore.store import MAX_BATCH, ChunkStore

CHUNKS_PER_SOURCE = 4
WRITE_CHUNKS = 4000  # chunks per store write (Chroma refuses batches above ~5,461 rows)
_POOL = ThreadPoolExecutor(max_workers=1)


class SentencePool:
    """Generated sentences, drawn five to seven at a time into chunk texts."""

    def __init__(self, n: int = 100_000, seed: int = 3):
        gen = ArticleGenerator(seed)
        rng = np.random.default_rng(seed)
        self.sentences = [gen.sentence(rng) for _ in range(n)]

    def texts(self, rng: np.random.Generator, n: int) -> list[str]:
        sizes = rng.integers(5, 8, n)
        picks = rng.integers(0, len(self.sentences), int(sizes.sum()))
        out, at = [], 0
        for k in sizes:
            out.append(" ".join(self.sentences[i] for i in picks[at : at + k]))
            at += k
        return out


def make_chunks(pool: SentencePool, first_source: int, n_sources: int, seed: int) -> list[tuple[str, list[Chunk]]]:
    """Sources first_source.. with CHUNKS_PER_SOURCE chunks each (spans as if consecutive)."""
    rng = np.random.default_rng([seed, first_source])
    texts = pool.texts(rng, n_sources * CHUNKS_PER_SOURCE)
    out = []
    for s in range(n_sources):
        source = f"synthetic_{first_source + s:07d}.txt"
        chunks, pos = [], 0
        for i in range(CHUNKS_PER_SOURCE):
            text = texts[s * CHUNKS_PER_SOURCE + i]
            chunks.append(Chunk(id=content_hash(source, str(i)), source=source, start=pos,
                                end=pos + len(text), text=text, index=i, doc_hash=content_hash(source)))
            pos += len(text) + 2
        out.append((source, chunks))
    return out


def fill(store: ChunkStore, lexical: FtsIndex, pool: SentencePool, upto: int, *, seed: int = 5,
         log: Callable[[str], None] = print) -> dict[str, float]:
    """Add sources until the store holds `upto` chunks; seconds spent in Chroma and in the index."""
    have = store.count()
    # the index may take the store's generation at the end only if it matched it at the start
    in_step = lexical.synced_generation() == store.generation() or (have == 0 and lexical.count() == 0)
    nrng = np.random.default_rng([seed, have])
    spent = {"chroma_s": 0.0, "lexical_s": 0.0, "texts_s": 0.0, "chunks": 0}
    per_write = WRITE_CHUNKS // CHUNKS_PER_SOURCE
    t_log = time.monotonic()
    while have < upto:
        n_src = min(per_write, (upto - have + CHUNKS_PER_SOURCE - 1) // CHUNKS_PER_SOURCE)
        t = time.perf_counter()
        items = make_chunks(pool, have // CHUNKS_PER_SOURCE, n_src, seed)
        n = sum(len(cs) for _, cs in items)
        v = nrng.standard_normal((n, store.dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        spent["texts_s"] += time.perf_counter() - t
        writes = _with_vectors(items, v)
        # the two writes overlap (Chroma's work is in Rust or the server, SQLite's in C); the
        # index takes the store's generation once at the end (the bench is the only writer)
        chroma = _POOL.submit(_timed, store.replace_sources, writes)
        spent["lexical_s"] += _timed(lexical.replace_sources, writes)
        spent["chroma_s"] += chroma.result()
        have += n
        spent["chunks"] += n
        if time.monotonic() - t_log > 30:
            t_log = time.monotonic()
            log(f"  fill: {have:,} chunks (chroma {spent['chroma_s']:.0f} s, index {spent['lexical_s']:.0f} s)")
    if in_step:
        lexical.set_generation(store.generation())
    return spent


def _with_vectors(items: list, v: np.ndarray) -> list:
    """(source, chunks) items as (source, chunks, their rows of v), in order."""
    out, at = [], 0
    for source, cs in items:
        out.append((source, cs, v[at : at + len(cs)]))
        at += len(cs)
    return out


def bulk_fill(store: ChunkStore, lexical: FtsIndex, pool: SentencePool, upto: int, *, seed: int = 5,
              log: Callable[[str], None] = print) -> dict[str, float]:
    """Like `fill`, but NOT through Parley's write path: for sizes the write path cannot reach here.

    The same chunks and vectors as `fill` would write (same texts, same seeds per batch of
    sources), added straight to the Chroma collection in MAX_BATCH-row `add` calls (no per-source
    replace: no lookup of a source's old ids, no generation bump per write; the bench is the only
    writer and adds only new sources), while the lexical index takes the same sources through
    its own write path, and the store's per-source rows take theirs after each `add`. The
    generation moves once at the end, and the index takes it.
    """
    have = store.count()
    rows_whole = have == 0 or store.rows.complete()
    in_step = lexical.synced_generation() == store.generation() or (have == 0 and lexical.count() == 0)
    nrng = np.random.default_rng([seed, have])
    spent = {"chroma_s": 0.0, "lexical_s": 0.0, "texts_s": 0.0, "chunks": 0}
    per_write = MAX_BATCH // CHUNKS_PER_SOURCE
    t_log, pending = time.monotonic(), None
    col = store._col  # the bench's own bulk path: Chroma's collection directly (see the docstring)
    while have < upto:
        n_src = min(per_write, (upto - have + CHUNKS_PER_SOURCE - 1) // CHUNKS_PER_SOURCE)
        t = time.perf_counter()
        items = make_chunks(pool, have // CHUNKS_PER_SOURCE, n_src, seed)
        chunks = [c for _, cs in items for c in cs]
        v = nrng.standard_normal((len(chunks), store.dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        spent["texts_s"] += time.perf_counter() - t
        if pending is not None:
            spent["chroma_s"] += pending.result()
        pending = _POOL.submit(_timed, partial(_add, col, store, items, chunks, v))
        spent["lexical_s"] += _timed(lexical.replace_sources, _with_vectors(items, v))
        have += len(chunks)
        spent["chunks"] += len(chunks)
        if time.monotonic() - t_log > 30:
            t_log = time.monotonic()
            log(f"  bulk fill: {have:,} chunks (chroma {spent['chroma_s']:.0f} s, index {spent['lexical_s']:.0f} s)")
    if pending is not None:
        spent["chroma_s"] += pending.result()
    if rows_whole:
        store.rows.set_complete()
    store._bump()  # once: readers see the change
    if in_step:
        lexical.set_generation(store.generation())
    return spent


def _add(col: Any, store: ChunkStore, items: list[tuple[str, list[Chunk]]], chunks: list[Chunk],
         v: np.ndarray) -> None:
    col.add(ids=[c.id for c in chunks], embeddings=v, metadatas=[chunk_metadata(c) for c in chunks],
            documents=[c.text for c in chunks])
    store.rows.put({s: (cs[0].doc_hash, len(cs)) for s, cs in items})


def _timed(fn: Callable[..., object], *args: object) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t
