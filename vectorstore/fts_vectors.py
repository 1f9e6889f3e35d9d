"""Chunk vectors beside the lexical index: float32 blobs keyed by the chunk's row.

Hybrid search scores a chunk that only BM25 found with a true cosine; reading its vector here is
one indexed SQLite read instead of a second Chroma call (which costs about as much as the dense
query itself: bench/RESULTS-scale.md). Rows leave with their chunk (trigger chunks_ad_vec).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from vectorstore.sqlite_read import read_in

Read = Callable[..., list[tuple]]


def put_vectors(db: sqlite3.Connection, ids: Sequence[str], vectors: Any) -> None:
    """Store the vectors of these (already inserted) chunks, replacing any they had."""
    vecs = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if len(ids) else []
    db.executemany("INSERT OR REPLACE INTO vecs SELECT rowid, ? FROM chunks WHERE id = ?",
                   [(v.tobytes(), cid) for cid, v in zip(ids, vecs, strict=True)])


def vectors_by_id(read: Read, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored vectors by chunk id (ids with none are left out)."""
    sql = "SELECT c.id, v.vec FROM chunks c JOIN vecs v ON v.rowid = c.rowid WHERE c.id IN ({marks})"
    return {cid: np.frombuffer(blob, dtype=np.float32) for cid, blob in read_in(read, sql, ids)}


# in row order, so both tables are read front to back (in id order the vector lookups jump about
# the file: ~400 reads/s on this machine's disk, 40 min for 1M chunks)
_MISSING = ("SELECT c.rowid, c.id FROM chunks c WHERE c.rowid > ? AND NOT EXISTS (SELECT 1 FROM vecs v "
            "WHERE v.rowid = c.rowid) ORDER BY c.rowid LIMIT ?")


def mark_missing(db: sqlite3.Connection) -> None:
    """Note that chunks were written without vectors (fill_missing looks only when noted)."""
    db.execute("INSERT OR REPLACE INTO meta VALUES ('vectors_missing', '1')")


def fill_missing(read: Read, tx: Callable[[], AbstractContextManager[sqlite3.Connection]], store: Any,
                 batch: int) -> int:
    """Copy from `store` (embeddings_of) the vectors the index lacks, `batch` ids a call; how many.

    One read when nothing was noted missing; files from before vectors were kept are looked
    through once.
    """
    if read("SELECT value FROM meta WHERE key = 'vectors_missing'") == [("0",)]:
        return 0
    done, after, lacking = 0, 0, False
    while rows := read(_MISSING, (after, batch)):
        ids = [r[1] for r in rows]
        after = rows[-1][0]
        got = store.embeddings_of(ids)
        with tx() as db:
            put_vectors(db, list(got), list(got.values()))
        done += len(got)
        lacking = lacking or len(got) < len(ids)  # the store lacks some: the next sync mends them
    with tx() as db:
        # rows written since the scan passed them (new rows take larger rowids) carry their own mark
        if not lacking and (not done or not db.execute(_MISSING, (after, 1)).fetchone()):
            db.execute("INSERT OR REPLACE INTO meta VALUES ('vectors_missing', '0')")
    return done
