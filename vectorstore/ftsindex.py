"""The lexical index on disk: chunk rows in SQLite, BM25 by tantivy beside them, shared by processes.

One SQLite file per store (PARLEY_DATA_DIR/lexical/COLLECTION-HASH.sqlite3, WAL mode: the page,
the CLI and an ingest in another process share it) holds each chunk's fields, text and vector
(BM25 hits need no round-trip to Chroma, not even for their cosine) and the vocabulary (for
spelling variants); a tantivy index in the folder beside it (COLLECTION-HASH.bm25/) ranks them
(vectorstore/bm25_index.py). Adding or removing an article touches only its rows; nothing is
rebuilt and nothing grows in memory with the corpus. Writers through Parley update Chroma and
this index; any other change (another host on the same Chroma server, an older data directory, a
crash between the two writes) shows as a store generation this index has not seen, and `sync`
reconciles per source from Chroma (vectorstore/fts_sync.py).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parley.core.schema import Chunk, content_hash
from vectorstore.bm25_index import Bm25Index
from vectorstore.fts_query import LexicalHits, chunks_by_id, lexical_hits
from vectorstore.fts_rows import Row, apply_terms, bm25_rows, drop_source, insert_source, open_db
from vectorstore.fts_sync import sync_index
from vectorstore.fts_terms import QueryTerms
from vectorstore.fts_vectors import fill_missing, mark_missing, put_vectors, vectors_by_id
from vectorstore.sqlite_read import fetch_all, read_in

_indexes: dict[Path, FtsIndex] = {}
_indexes_lock = threading.Lock()


def index_path(settings: Any, where: str) -> Path:
    """Where the lexical index of a store lives: one file per collection and store location."""
    return settings.data_dir / "lexical" / f"{settings.collection}-{content_hash(where, n=8)}.sqlite3"


class FtsIndex:
    """Chunk rows and vocabulary in one SQLite file, BM25 in a tantivy index beside it (locked)."""

    def __init__(self, path: Path, *, label: str = ""):
        self.path = Path(path)
        self._lock = threading.RLock()
        self.local_writes = 0
        self._variant_cache: dict[str, list[tuple[str, int]]] = {}
        self._version: tuple[int, int] | None = None
        self._db = open_db(self.path, label)
        self._bm25 = Bm25Index(self.path.with_suffix(".bm25"))
        self._drops: list[str] = []  # the BM25 side of the open write transaction
        self._adds: list[Row] = []
        self.mend()

    @classmethod
    def for_store(cls, store: Any) -> FtsIndex:
        """The index beside `store` (one object per file in this process)."""
        path = index_path(store.settings, store.where)
        with _indexes_lock:
            idx = _indexes.get(path)
            if idx is None or not path.exists():
                idx = _indexes[path] = cls(path, label=f"{store.where} {store.settings.collection}")
            return idx

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers in other processes wait their turn).

        The BM25 index commits its side just before SQLite does, with a new stamp that SQLite
        records in the same transaction; if it is not at the stamp SQLite last recorded (a
        writer died between the two commits), it is rebuilt from the rows instead.
        """
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            self._drops, self._adds = [], []
            try:
                yield db
                if self._drops or self._adds:
                    self._write_bm25(db, rebuild=not self._bm25_current(db))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            finally:
                self._drops, self._adds = [], []
            db.execute("COMMIT")
            self.local_writes += 1

    def _bm25_current(self, db: sqlite3.Connection) -> bool:
        """True when the BM25 index (as last committed, by any process) is at this file's stamp."""
        self._bm25.reload()
        row = db.execute("SELECT value FROM meta WHERE key = 'bm25_stamp'").fetchone()
        # never stamped: 0 (the BM25 index's "never written") while there are no rows to rank
        mine = int(row[0]) if row else -1 if db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() else 0
        return (self._bm25.stamp() or 0) == mine

    def _write_bm25(self, db: sqlite3.Connection, rebuild: bool) -> None:
        stamp = secrets.randbits(62) + 1  # never 0 or -1, and no stale stamp can match it by chance
        if rebuild:
            self._bm25.write([], bm25_rows(db), stamp, everything=True)
        else:
            self._bm25.write(self._drops, self._adds, stamp)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('bm25_stamp', ?)", (str(stamp),))

    def mend(self) -> bool:
        """Rebuild the BM25 index from the rows if it is not at this file's stamp; True if it was."""
        with self._lock:
            if self._bm25_current(self._db):
                return False
            with self._tx() as db:  # under the write lock, look again: a writer may just have finished
                if self._bm25_current(db):
                    return False
                self._write_bm25(db, rebuild=True)
            return True

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return fetch_all(self._db, self._lock, sql, params, f"lexical index {self.path}")

    def synced_generation(self) -> int | None:
        """The store generation this index is known to match (None: never synced)."""
        row = self._read("SELECT value FROM meta WHERE key = 'generation'")
        return int(row[0][0]) if row else None

    def set_generation(self, gen: int, gone: Sequence[str] = (), tokens: dict[int, str] | None = None) -> None:
        """Record the store generation this index matches (dropping sources the store lost), and
        the store's bucket tokens read before the sync that brought it there (see fts_sync)."""
        with self._tx() as db:
            df: Counter[str] = Counter()
            for s in gone:
                if drop_source(db, s, df):
                    self._drops.append(s)
            apply_terms(db, df)
            self._set_generation(db, gen)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('bucket_tokens', ?)", (json.dumps(tokens),))

    def bucket_tokens(self) -> dict[int, str] | None:
        """The store's bucket tokens as of this index's last sync (None: unknown)."""
        row = self._read("SELECT value FROM meta WHERE key = 'bucket_tokens'")
        got = json.loads(row[0][0]) if row else None
        return {int(b): t for b, t in got.items()} if got else None

    def _set_generation(self, db: sqlite3.Connection, gen: int) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(gen),))

    # --- writes -----------------------------------------------------------------------------
    def replace_sources(self, items: Sequence[tuple[str, Sequence[Chunk]] | tuple[str, Sequence[Chunk], Any]],
                        *, generations: tuple[int, int] | None = None) -> None:
        """Make these the only chunks of each source (empty: remove the source).

        An item may carry the chunks' vectors as a third element (the same as the store's); they
        are kept beside the chunks, so a chunk only BM25 found gets its cosine without Chroma.

        `generations`: the store's generation read right before and right after the same change
        was written there, passed only when nothing but that change moved it
        (`vectorstore.ingest.own_change`; else None and the next search syncs). If this index
        matched the first, it now matches the second. Left: two writers whose counter bumps read
        the same value land on one generation (Chroma has no atomic increment); the bucket tokens
        still show their change at the next sync.
        """
        with self._tx() as db:
            df: Counter[str] = Counter()  # vocabulary changes, applied once for the whole batch
            for source, chunks, *vectors in items:
                if drop_source(db, source, df):
                    self._drops.append(source)
                self._adds += insert_source(db, source, chunks, df)
                if vectors and vectors[0] is not None and len(chunks):
                    put_vectors(db, [c.id for c in chunks], vectors[0])
                elif len(chunks):
                    mark_missing(db)
            apply_terms(db, df)
            if generations is not None:
                row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                if row is not None and int(row[0]) == generations[0]:
                    self._set_generation(db, generations[1])

    def delete_source(self, source: str, *, generations: tuple[int, int] | None = None) -> None:
        """Remove every chunk of `source`."""
        self.replace_sources([(source, [])], generations=generations)

    # --- reconcile with the store ----------------------------------------------------------
    def sync(self, store: Any) -> int:
        """Bring the index in line with `store` if its generation moved; returns sources redone."""
        self.mend()
        return sync_index(self, store)

    # --- reads ------------------------------------------------------------------------------
    def count(self) -> int:
        """Chunks indexed."""
        return int(self._read("SELECT count(*) FROM chunks")[0][0])

    def sources(self, buckets: Iterable[int] | None = None) -> dict[str, dict[str, Any]]:
        """Per source: doc hash and chunk count (the same shape as ChunkStore.sources); only the
        sources in `buckets` (vectorstore/source_rows.py) when given."""
        if buckets is None:
            rows = self._read("SELECT source, doc_hash, chunks FROM sources")
        else:
            bs = sorted(set(buckets))
            if not bs:
                return {}
            rows = self._read(f"SELECT source, doc_hash, chunks FROM sources WHERE bucket IN "
                              f"({','.join('?' * len(bs))})", tuple(bs))
        return {s: {"doc_hash": h, "chunks": n} for s, h, n in rows}

    def source(self, source: str) -> dict[str, Any] | None:
        """One source's doc hash and chunk count, or None when it is not indexed."""
        rows = self._read("SELECT doc_hash, chunks FROM sources WHERE source = ?", (source,))
        return {"doc_hash": rows[0][0], "chunks": rows[0][1]} if rows else None

    def has_chunks(self, ids: Sequence[str]) -> bool:
        """True when every one of these chunk ids is indexed."""
        found = read_in(self._read, "SELECT count(*) FROM chunks WHERE id IN ({marks})", ids)
        return sum(n for (n,) in found) == len(set(ids))

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Indexed chunks by id (ids not indexed are left out)."""
        return chunks_by_id(self._read, ids)

    def vectors(self, ids: Sequence[str]) -> dict[str, Any]:
        """Stored vectors by chunk id (ids without one are left out)."""
        return vectors_by_id(self._read, ids)

    def fill_vectors(self, store: Any, batch: int = 5_000) -> int:
        """Copy from `store` the vectors of indexed chunks that have none here (an index made
        before vectors were kept); returns how many. Nothing to do costs one query."""
        return fill_missing(self._read, self._tx, store, batch)

    def query_terms(self) -> QueryTerms:
        """Query expansion over this index's vocabulary (variant lookups cached until a write)."""
        self._fresh()
        return QueryTerms(self._read, self._variant_cache)

    def _fresh(self) -> None:
        """After any write (this process's or another's): drop cached variants, see the new BM25."""
        with self._lock:
            version = (self._db.execute("PRAGMA data_version").fetchone()[0], self.local_writes)
            if version != self._version:
                self._variant_cache.clear()
                self._bm25.reload()
                self._version = version

    def search(self, weights: dict[str, float], n: int,
               where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        """The n best chunks by BM25 for weighted terms (higher is better)."""
        return self.hits(weights, n, where).top

    def scores(self, weights: dict[str, float], ids: Sequence[str]) -> dict[str, float]:
        """BM25 scores of particular chunks for weighted terms (0.0 where no term occurs)."""
        return {**dict.fromkeys(ids, 0.0), **self.hits(weights, 0, None, ids).scores}

    def hits(self, weights: dict[str, float], n: int, where: dict[str, Any] | None = None,
             also: Sequence[str] = (), ranked: int = 0) -> LexicalHits:
        """The n best chunks, the scores and chunks of `also`, and ids and scores of the `ranked` best."""
        self._fresh()
        with self._lock:
            return lexical_hits(self._read, self._bm25, weights, n, where, also, ranked=ranked)

    def close(self) -> None:
        """Close the connection (tests; a process otherwise keeps it open)."""
        with self._lock:
            self._db.close()
        with _indexes_lock:
            if _indexes.get(self.path) is self:
                del _indexes[self.path]
