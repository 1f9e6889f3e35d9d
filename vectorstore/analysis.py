"""The analysis store: what Parley worked out about each article, kept so it is worked out once.

SQLite beside the article store (`PARLEY_DATA_DIR/analysis.sqlite3`, WAL mode so the page, the
CLI and a background fill can share it). Two kinds of rows:
- per article (rules, cheap, written at ingest): actor mentions and the ledger entries, tagged
  with the article's content hash and the ledger version they came from;
- per (article hash, model, prompt, actor, topic, statements) (model time, written once): the
  labelled statements. The key holds every input, so a row is never recomputed and an edited
  article, another model or another prompt simply misses.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import TypeAdapter

from parley.core.errors import StoreError
from parley.core.schema import ArticleAnalysis, Quote, SourceSpan, StatementStance
from vectorstore.sqlite_read import fetch_all

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, version TEXT NOT NULL,
    title TEXT, outlet TEXT, date TEXT, mentions TEXT NOT NULL, analysed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS mentions (
    doc_id TEXT NOT NULL, actor TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (doc_id, actor));
CREATE INDEX IF NOT EXISTS mentions_actor ON mentions (actor);
CREATE TABLE IF NOT EXISTS quotes (
    doc_id TEXT NOT NULL, pos INTEGER NOT NULL, actor TEXT, body TEXT NOT NULL,
    PRIMARY KEY (doc_id, pos));
CREATE INDEX IF NOT EXISTS quotes_actor ON quotes (actor);
CREATE TABLE IF NOT EXISTS stance (
    key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, content_hash TEXT NOT NULL, model TEXT NOT NULL,
    prompt TEXT NOT NULL, actor TEXT NOT NULL, topic TEXT NOT NULL, body TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS stance_doc ON stance (doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS selection (
    key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS selection_doc ON selection (doc_id);
"""
_LABELLED = TypeAdapter(list[StatementStance])


class AnalysisStore:
    """Per-article analysis and the per-statement stance cache, in one SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()  # one connection shared by the page's threads
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the analysis store {self.path} ({e}); delete it and "
                             "run `parley analyse` to rebuild it from the article store") from e

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        return fetch_all(self._db, self._lock, sql, args, f"analysis store {self.path}")

    # --- per article ------------------------------------------------------------------------
    def versions(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, ledger version) of every analysed article."""
        return {d: (h, v) for d, h, v in self._run("SELECT doc_id, content_hash, version FROM articles")}

    def put(self, analysis: ArticleAnalysis) -> None:
        """Store (or replace) one article's analysis; stance rows of older texts are dropped."""
        a = analysis
        with self._lock, self._db:
            self._db.execute("DELETE FROM mentions WHERE doc_id=?", (a.doc_id,))
            self._db.execute("DELETE FROM quotes WHERE doc_id=?", (a.doc_id,))
            self._db.execute("DELETE FROM stance WHERE doc_id=? AND content_hash<>?",
                             (a.doc_id, a.content_hash))
            self._db.execute("DELETE FROM selection WHERE doc_id=?", (a.doc_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?)",
                (a.doc_id, a.content_hash, a.version, a.title, a.outlet,
                 a.date.isoformat() if a.date else None, json.dumps(a.mentions), time.time()))
            self._db.executemany("INSERT INTO mentions VALUES (?,?,?)",
                                 [(a.doc_id, actor, n) for actor, n in a.mentions.items()])
            self._db.executemany("INSERT INTO quotes VALUES (?,?,?,?)",
                                 [(a.doc_id, i, q.actor, q.model_dump_json())
                                  for i, q in enumerate(a.quotes)])

    def delete(self, doc_id: str) -> None:
        """Forget an article and everything cached about it."""
        with self._lock, self._db:
            for table in ("articles", "mentions", "quotes", "stance", "selection"):
                self._db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))

    def get(self, doc_id: str) -> ArticleAnalysis | None:
        """One article's analysis with its ledger entries (None when not analysed)."""
        heads = self.headers([doc_id])
        if doc_id not in heads:
            return None
        rows = self._run("SELECT body FROM quotes WHERE doc_id=? ORDER BY pos", (doc_id,))
        return heads[doc_id].model_copy(
            update={"quotes": [Quote.model_validate_json(b) for (b,) in rows]})

    def headers(self, doc_ids: Iterable[str] | None = None) -> dict[str, ArticleAnalysis]:
        """Analyses without their ledger entries (title, outlet, date, mentions), by doc_id."""
        sql = "SELECT doc_id, content_hash, version, title, outlet, date, mentions FROM articles"
        if doc_ids is None:
            rows = self._run(sql)
        else:  # read only the rows asked for (a question's few sources, not the whole corpus)
            ids, rows = list(dict.fromkeys(doc_ids)), []
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                rows += self._run(f"{sql} WHERE doc_id IN ({','.join('?' * len(part))})", part)
        return {
            d: ArticleAnalysis(doc_id=d, content_hash=h, version=v, title=t, outlet=o,
                               date=dt.date.fromisoformat(day) if day else None,
                               mentions=json.loads(m))
            for d, h, v, t, o, day, m in rows
        }

    def quotes_of(self, actor: str) -> list[Quote]:
        """Every stored ledger entry attributed to `actor` (a registry id), in article order."""
        rows = self._run("SELECT body FROM quotes WHERE actor=? ORDER BY doc_id, pos", (actor,))
        return [Quote.model_validate_json(b) for (b,) in rows]

    def naming(self, actor: str) -> dict[str, int]:
        """doc_id -> how often the article names `actor` outside quotations."""
        return dict(self._run("SELECT doc_id, n FROM mentions WHERE actor=?", (actor,)))

    def speakers(self) -> dict[str, int]:
        """actor id -> number of articles with its statements (for actor lists)."""
        return dict(self._run("SELECT actor, COUNT(DISTINCT doc_id) FROM quotes "
                              "WHERE actor IS NOT NULL GROUP BY actor"))

    def stamp(self, key: str) -> str | None:
        """A bookkeeping value (e.g. what the article store looked like at the last full check)."""
        rows = self._run("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_stamp(self, key: str, value: str) -> None:
        """Set a bookkeeping value."""
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    # --- per-statement stance cache ---------------------------------------------------------
    def stance(self, key: str) -> list[StatementStance] | None:
        """The cached labelled statements under `key` (None: never computed)."""
        rows = self._run("SELECT body FROM stance WHERE key=?", (key,))
        return _LABELLED.validate_json(rows[0][0]) if rows else None

    def stance_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` are cached."""
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            found |= {k for (k,) in self._run(f"SELECT key FROM stance WHERE key IN ({marks})", part)}
        return found

    def put_stance(self, key: str, *, doc_id: str, content_hash: str, model: str, prompt: str,
                   actor: str, topic: str, labelled: Sequence[StatementStance]) -> None:
        """Cache labelled statements (first write wins: a key's inputs never change)."""
        body = _LABELLED.dump_json(list(labelled)).decode()
        with self._lock, self._db:
            self._db.execute("INSERT OR IGNORE INTO stance VALUES (?,?,?,?,?,?,?,?,?)",
                             (key, doc_id, content_hash, model, prompt, actor, topic, body,
                              time.time()))

    # --- which statements the stance step reads (embedding time, cached) --------------------
    def selection(self, key: str) -> tuple[list[SourceSpan], list[float]] | None:
        """The cached statement selection under `key`: (spans, their relevance to the topic)."""
        rows = self._run("SELECT body FROM selection WHERE key=?", (key,))
        if not rows:
            return None
        body = json.loads(rows[0][0])
        return [SourceSpan.model_validate(s) for s in body["spans"]], body["relevance"]

    def put_selection(self, key: str, doc_id: str, spans: Sequence[SourceSpan],
                      relevance: Sequence[float]) -> None:
        """Cache a statement selection (dropped with its article's analysis)."""
        body = json.dumps({"spans": [s.model_dump() for s in spans], "relevance": list(relevance)})
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO selection VALUES (?,?,?)", (key, doc_id, body))

    def counts(self) -> dict[str, int]:
        """Rows per table (for `parley analyse` and the page)."""
        return {t: self._run(f"SELECT COUNT(*) FROM {t}")[0][0]
                for t in ("articles", "quotes", "stance")}
