"""The lexical index's SQLite file: its tables, and the row writes of one source.

The file is the record of what is indexed: each chunk's fields, text and vector, the per-source
counts that `sync` compares with the store, and the vocabulary with document counts (spelling
variants). The BM25 index beside it (vectorstore/bm25_index.py) is derived from these rows.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from parley.core.errors import StoreError
from parley.core.schema import Chunk
from vectorstore.chunk_meta import chunk_metadata
from vectorstore.fts_terms import chunk_terms, term_shape
from vectorstore.source_rows import bucket_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    cstart INTEGER NOT NULL, cend INTEGER NOT NULL, cindex INTEGER NOT NULL,
    doc_hash TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', outlet TEXT, date TEXT,
    text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source);
CREATE TABLE IF NOT EXISTS sources (source TEXT PRIMARY KEY, doc_hash TEXT, chunks INTEGER NOT NULL,
    bucket INTEGER);
CREATE TABLE IF NOT EXISTS terms (
    term TEXT PRIMARY KEY, head TEXT NOT NULL, slen INTEGER NOT NULL, df INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_shape ON terms (head, slen);
CREATE TABLE IF NOT EXISTS vecs (rowid INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS chunks_ad_vec AFTER DELETE ON chunks BEGIN
    DELETE FROM vecs WHERE rowid = old.rowid;
END;
"""
# files written before the BM25 index moved to tantivy kept an FTS5 table, filled by triggers
_RETIRED = """
DROP TRIGGER IF EXISTS chunks_ai;
DROP TRIGGER IF EXISTS chunks_ad;
DROP TABLE IF EXISTS fts;
"""
_CACHE_PAGES_KIB = 16_384  # SQLite page cache per connection: bounded, whatever the corpus size
Row = tuple[int, str, str]  # (rowid, source, body): what the BM25 index takes of a chunk


def open_db(path: Path, label: str = "") -> sqlite3.Connection:
    """The index's SQLite file, created or opened (WAL: processes share it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses at most the last commit
        db.execute(f"PRAGMA cache_size=-{_CACHE_PAGES_KIB}")
        db.executescript(SCHEMA)  # IF NOT EXISTS throughout: safe when processes race
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'fts'").fetchone():
            db.executescript(_RETIRED)
        _add_buckets(db)
        if label:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('store', ?)", (label,))
    except sqlite3.Error as e:
        raise StoreError(f"cannot open the lexical index {path} ({e}); delete it: it is "
                         "rebuilt from the Chroma store on the next search") from e
    return db


def _add_buckets(db: sqlite3.Connection) -> None:
    """Files from before the per-source buckets get the column, filled once, and its index.

    A catch-up with the store compares only the buckets whose token changed
    (vectorstore/fts_sync.py): the index reads those sources by bucket, not all of them.
    """
    if not any(c[1] == "bucket" for c in db.execute("PRAGMA table_info(sources)")):
        db.execute("BEGIN IMMEDIATE")  # one process migrates; a racing one finds it done
        try:
            if not any(c[1] == "bucket" for c in db.execute("PRAGMA table_info(sources)")):
                db.execute("ALTER TABLE sources ADD COLUMN bucket INTEGER")
                db.executemany("UPDATE sources SET bucket = ? WHERE source = ?",
                               [(bucket_of(s), s) for (s,) in db.execute("SELECT source FROM sources")])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    db.execute("CREATE INDEX IF NOT EXISTS sources_bucket ON sources (bucket)")


def body(title: str, text: str) -> str:
    """What the BM25 index reads of a chunk."""
    return f"{title}\n{text}" if title else text


def apply_terms(db: sqlite3.Connection, df: Counter[str]) -> None:
    """Apply vocabulary count changes (words whose count reaches 0 leave the vocabulary)."""
    gone = [(n, t) for t, n in df.items() if n < 0]
    db.executemany(
        "INSERT INTO terms VALUES (?, ?, ?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
        [(t, *term_shape(t), n) for t, n in df.items() if n > 0])
    db.executemany("UPDATE terms SET df = df + ? WHERE term = ?", gone)
    db.executemany("DELETE FROM terms WHERE term = ? AND df <= 0", [(t,) for _, t in gone])


def drop_source(db: sqlite3.Connection, source: str, df: Counter[str]) -> bool:
    """Delete a source's rows (vocabulary counts into `df`); False when it had none."""
    old = db.execute("SELECT title, text FROM chunks WHERE source = ?", (source,)).fetchall()
    if not old:
        return False
    df.subtract(t for title, text in old for t in chunk_terms(title, text))
    db.execute("DELETE FROM chunks WHERE source = ?", (source,))
    db.execute("DELETE FROM sources WHERE source = ?", (source,))
    return True


def insert_source(db: sqlite3.Connection, source: str, chunks: Sequence[Chunk], df: Counter[str]) -> list[Row]:
    """Insert a source's chunks (vocabulary counts into `df`); their rows for the BM25 index."""
    if not chunks:
        return []
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
    db.execute("INSERT INTO sources (source, doc_hash, chunks, bucket) VALUES (?, ?, ?, ?)",
               (source, hashes.pop() if len(hashes) == 1 else None, len(chunks), bucket_of(source)))
    return list(bm25_rows(db, source))


def bm25_rows(db: sqlite3.Connection, source: str | None = None) -> Iterator[Row]:
    """What the BM25 index takes of one source's chunks, or of every chunk (a rebuild)."""
    cond, params = ("WHERE source = ?", (source,)) if source is not None else ("", ())
    for r, s, t, x in db.execute(f"SELECT rowid, source, title, text FROM chunks {cond}", params):
        yield r, s, body(t, x)
