"""The lexical index on disk: SQLite FTS5 with bm25(), updated per source, shared by processes.

One SQLite file per store (PARLEY_DATA_DIR/lexical/COLLECTION-HASH.sqlite3, WAL mode: the page,
the CLI and an ingest in another process share it) holds each chunk's fields, text and vector
(BM25 hits need no round-trip to Chroma, not even for their cosine), an FTS5 table over title and
text, and the vocabulary (for spelling variants). Adding or removing an article touches only its rows; nothing is rebuilt and
nothing grows in memory with the corpus. Writers through Parley update Chroma and this index;
any other change (another host on the same Chroma server, an older data directory, a crash
between the two writes) shows as a store generation this index has not seen, and `sync`
reconciles per source from Chroma (vectorstore/fts_sync.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parley.core.errors import StoreError
from parley.core.schema import Chunk, content_hash
from vectorstore.fts_query import LexicalHits, chunks_by_id, lexical_hits
from vectorstore.fts_sync import sync_index
from vectorstore.fts_terms import QueryTerms, chunk_terms, term_shape
from vectorstore.fts_vectors import fill_missing, put_vectors, vectors_by_id
from vectorstore.sqlite_read import fetch_all
from vectorstore.store import chunk_metadata

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    cstart INTEGER NOT NULL, cend INTEGER NOT NULL, cindex INTEGER NOT NULL,
    doc_hash TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', outlet TEXT, date TEXT,
    text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source);
CREATE TABLE IF NOT EXISTS sources (source TEXT PRIMARY KEY, doc_hash TEXT, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS terms (
    term TEXT PRIMARY KEY, head TEXT NOT NULL, slen INTEGER NOT NULL, df INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_shape ON terms (head, slen);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, text, content='chunks', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO fts (fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TABLE IF NOT EXISTS vecs (rowid INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS chunks_ad_vec AFTER DELETE ON chunks BEGIN
    DELETE FROM vecs WHERE rowid = old.rowid;
END;
"""
# An ingest run ends by merging the FTS5 index's segments into one b-tree when the index grew by
# this share since the last merge (the merges of an index grown to N rows rewrite ~11 N rows in
# all: a geometric series; 10 s for 1M chunks here). A merged index answers the search benches' queries in about half the time: `python -m
# bench.bench_lexical --size 100000 --merge` (bench/RESULTS-scale.md, "The lexical side alone").
MERGE_GROWTH = 0.1
_CACHE_PAGES_KIB = 16_384  # SQLite page cache per connection: bounded, whatever the corpus size
_SQL_VARS = 500  # ids per IN (...) list
_indexes: dict[Path, FtsIndex] = {}
_indexes_lock = threading.Lock()


def index_path(settings: Any, where: str) -> Path:
    """Where the lexical index of a store lives: one file per collection and store location."""
    return settings.data_dir / "lexical" / f"{settings.collection}-{content_hash(where, n=8)}.sqlite3"


class FtsIndex:
    """Chunks, their FTS5 index and the vocabulary in one SQLite file (one connection, locked)."""

    def __init__(self, path: Path, *, label: str = ""):
        self.path = Path(path)
        self._lock = threading.RLock()
        self.local_writes = 0
        self._variant_cache: dict[str, list[tuple[str, int]]] = {}
        self._cache_version: tuple[int, int] | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses at most the last commit
            db.execute(f"PRAGMA cache_size=-{_CACHE_PAGES_KIB}")
            db.executescript(_SCHEMA)  # IF NOT EXISTS throughout: safe when processes race
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, 'fts', 'row')")
            if label:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('store', ?)", (label,))
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the lexical index {self.path} ({e}); delete it: it is "
                             "rebuilt from the Chroma store on the next search") from e
        self._db = db

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
        """One write transaction (BEGIN IMMEDIATE: writers in other processes wait their turn)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            self.local_writes += 1

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return fetch_all(self._db, self._lock, sql, params, f"lexical index {self.path}")

    def synced_generation(self) -> int | None:
        """The store generation this index is known to match (None: never synced)."""
        row = self._read("SELECT value FROM meta WHERE key = 'generation'")
        return int(row[0][0]) if row else None

    def set_generation(self, gen: int, gone: Sequence[str] = ()) -> None:
        """Record the store generation this index matches (dropping sources the store lost)."""
        with self._tx() as db:
            df: Counter[str] = Counter()
            for s in gone:
                self._drop(db, s, df)
            self._apply_terms(db, df)
            self._set_generation(db, gen)

    def _set_generation(self, db: sqlite3.Connection, gen: int) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(gen),))

    # --- writes -----------------------------------------------------------------------------
    def replace_sources(self, items: Sequence[tuple[str, Sequence[Chunk]] | tuple[str, Sequence[Chunk], Any]],
                        *, generations: tuple[int, int] | None = None) -> None:
        """Make these the only chunks of each source (empty: remove the source).

        An item may carry the chunks' vectors as a third element (the same as the store's); they
        are kept beside the chunks, so a chunk only BM25 found gets its cosine without Chroma.

        `generations`: the store's generation read right before and right after the same change
        was written there. If this index matched the first, it now matches the second (writers
        that bypass the index between those two reads are caught by the next change or sync).
        """
        with self._tx() as db:
            df: Counter[str] = Counter()  # vocabulary changes, applied once for the whole batch
            for source, chunks, *vectors in items:
                self._drop(db, source, df)
                self._insert(db, source, chunks, df)
                if vectors and vectors[0] is not None and len(chunks):
                    put_vectors(db, [c.id for c in chunks], vectors[0])
            self._apply_terms(db, df)
            if generations is not None:
                row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                if row is not None and int(row[0]) == generations[0]:
                    self._set_generation(db, generations[1])

    def delete_source(self, source: str, *, generations: tuple[int, int] | None = None) -> None:
        """Remove every chunk of `source`."""
        self.replace_sources([(source, [])], generations=generations)

    def _apply_terms(self, db: sqlite3.Connection, df: Counter[str]) -> None:
        """Apply vocabulary count changes (words whose count reaches 0 leave the vocabulary)."""
        gone = [(n, t) for t, n in df.items() if n < 0]
        db.executemany(
            "INSERT INTO terms VALUES (?, ?, ?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
            [(t, *term_shape(t), n) for t, n in df.items() if n > 0])
        db.executemany("UPDATE terms SET df = df + ? WHERE term = ?", gone)
        db.executemany("DELETE FROM terms WHERE term = ? AND df <= 0", [(t,) for _, t in gone])

    def _drop(self, db: sqlite3.Connection, source: str, df: Counter[str]) -> None:
        old = db.execute("SELECT title, text FROM chunks WHERE source = ?", (source,)).fetchall()
        if not old:
            return
        df.subtract(t for title, text in old for t in chunk_terms(title, text))
        db.execute("DELETE FROM chunks WHERE source = ?", (source,))
        db.execute("DELETE FROM sources WHERE source = ?", (source,))

    def _insert(self, db: sqlite3.Connection, source: str, chunks: Sequence[Chunk],
                df: Counter[str]) -> None:
        if not chunks:
            return
        rows = []
        for c in chunks:
            if c.source != source:
                raise ValueError(f"all chunks must belong to {source}")
            m = chunk_metadata(c)
            rows.append((c.id, source, c.start, c.end, c.index, c.doc_hash, c.title or "",
                         c.outlet, m.get("date"), c.text))
            df.update(chunk_terms(c.title or "", c.text))
        try:
            db.executemany(
                "INSERT INTO chunks (id, source, cstart, cend, cindex, doc_hash, title, outlet, date, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError as e:
            raise StoreError(f"lexical index: duplicate chunk id in {source} ({e})") from e
        hashes = {c.doc_hash for c in chunks}
        db.execute("INSERT INTO sources VALUES (?, ?, ?)",
                   (source, hashes.pop() if len(hashes) == 1 else None, len(chunks)))

    # --- reconcile with the store ----------------------------------------------------------
    def sync(self, store: Any) -> int:
        """Bring the index in line with `store` if its generation moved; returns sources redone."""
        return sync_index(self, store)

    # --- reads ------------------------------------------------------------------------------
    def count(self) -> int:
        """Chunks indexed."""
        return int(self._read("SELECT count(*) FROM chunks")[0][0])

    def sources(self) -> dict[str, dict[str, Any]]:
        """Per source: doc hash and chunk count (the same shape as ChunkStore.sources)."""
        rows = self._read("SELECT source, doc_hash, chunks FROM sources")
        return {s: {"doc_hash": h, "chunks": n} for s, h, n in rows}

    def source(self, source: str) -> dict[str, Any] | None:
        """One source's doc hash and chunk count, or None when it is not indexed."""
        rows = self._read("SELECT doc_hash, chunks FROM sources WHERE source = ?", (source,))
        return {"doc_hash": rows[0][0], "chunks": rows[0][1]} if rows else None

    def has_chunks(self, ids: Sequence[str]) -> bool:
        """True when every one of these chunk ids is indexed."""
        found = 0
        for b in range(0, len(ids), _SQL_VARS):
            part = list(ids[b : b + _SQL_VARS])
            marks = ",".join("?" * len(part))
            found += self._read(f"SELECT count(*) FROM chunks WHERE id IN ({marks})", part)[0][0]
        return found == len(set(ids))

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

    def tidy(self, growth: float = MERGE_GROWTH) -> float | None:
        """Merge the FTS5 index into one b-tree if it grew by `growth` since the last merge.

        Returns the seconds taken, or None when no merge was due.
        """
        n = self.count()
        row = self._read("SELECT value FROM meta WHERE key = 'merged_at'")
        if n == 0 or abs(n - (int(row[0][0]) if row else 0)) < growth * n:
            return None
        t = time.perf_counter()
        with self._tx() as db:
            db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('merged_at', ?)", (str(n),))
        return time.perf_counter() - t

    def query_terms(self) -> QueryTerms:
        """Query expansion over this index's vocabulary (variant lookups cached until a write)."""
        with self._lock:
            version = (self._db.execute("PRAGMA data_version").fetchone()[0], self.local_writes)
            if version != self._cache_version:
                self._variant_cache.clear()
                self._cache_version = version
        return QueryTerms(self._read, self._variant_cache)

    def search(self, weights: dict[str, float], n: int,
               where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        """The n best chunks by BM25 for weighted terms (FTS5 bm25(), higher is better)."""
        return self.hits(weights, n, where).top

    def scores(self, weights: dict[str, float], ids: Sequence[str]) -> dict[str, float]:
        """BM25 scores of particular chunks for weighted terms (0.0 where no term occurs)."""
        return {**dict.fromkeys(ids, 0.0), **self.hits(weights, 0, None, ids).scores}

    def hits(self, weights: dict[str, float], n: int, where: dict[str, Any] | None = None,
             also: Sequence[str] = (), ranked: int = 0) -> LexicalHits:
        """The n best chunks, the scores and chunks of `also`, and ids and scores of the `ranked`
        best, in one scan."""
        return lexical_hits(self._read, weights, n, where, also, ranked=ranked)

    def close(self) -> None:
        """Close the connection (tests; a process otherwise keeps it open)."""
        with self._lock:
            self._db.close()
        with _indexes_lock:
            if _indexes.get(self.path) is self:
                del _indexes[self.path]
