"""Reading the lexical index: BM25 top chunks in one FTS5 scan, with the scores of given chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from parley.core.schema import Chunk
from vectorstore.fts_terms import match_expression
from vectorstore.store import chunk_from_record
from vectorstore.where import where_sql

Read = Callable[..., list[tuple]]
_SQL_VARS = 500  # ids per IN (...) list
_COLS = "c.rowid, c.id, c.source, c.cstart, c.cend, c.cindex, c.doc_hash, c.title, c.outlet, c.date, c.text"
# Chroma metadata keys -> SQL over the chunks table (absent title is stored as '')
WHERE_COLUMNS = {
    "source": "c.source", "start": "c.cstart", "end": "c.cend", "index": "c.cindex",
    "doc_hash": "c.doc_hash", "title": "NULLIF(c.title, '')", "outlet": "c.outlet", "date": "c.date",
}


@dataclass
class LexicalHits:
    """One lexical query's answer: the best chunks, and what it says of chunks asked about."""

    top: list[tuple[Chunk, float]]
    scores: dict[str, float]  # BM25 of the `also` chunks (0.0: no query word; absent: not indexed)
    chunks: dict[str, Chunk]  # the `also` chunks the index holds


def _chunk(row: Sequence[Any]) -> Chunk:
    _, cid, source, start, end, index, doc_hash, title, outlet, date, text = row
    meta = {"source": source, "start": start, "end": end, "index": index, "doc_hash": doc_hash}
    meta.update({k: v for k, v in (("title", title), ("outlet", outlet), ("date", date)) if v})
    return chunk_from_record(cid, text, meta)


def chunks_by_id(read: Read, ids: Sequence[str]) -> dict[str, Chunk]:
    """Indexed chunks by id (ids not indexed are left out)."""
    out: dict[str, Chunk] = {}
    for b in range(0, len(ids), _SQL_VARS):
        part = list(ids[b : b + _SQL_VARS])
        marks = ",".join("?" * len(part))
        for row in read(f"SELECT {_COLS} FROM chunks c WHERE c.id IN ({marks})", part):
            out[row[1]] = _chunk(row)
    return out


def lexical_hits(read: Read, weights: dict[str, float], n: int, where: dict[str, Any] | None = None,
                 also: Sequence[str] = ()) -> LexicalHits:
    """The n best chunks, and the scores and chunks of `also` (the dense side's), in one scan."""
    expr, scale = match_expression(weights)
    extra: dict[int, str] = {}
    for b in range(0, len(also), _SQL_VARS):
        part = list(also[b : b + _SQL_VARS])
        extra.update(read(f"SELECT rowid, id FROM chunks WHERE id IN ({','.join('?' * len(part))})",
                                part))
    rows: list[tuple] = []
    if expr:
        cond, params = where_sql(where, WHERE_COLUMNS)
        filt = f"AND fts.rowid IN (SELECT c.rowid FROM chunks c WHERE {cond})" if cond else ""
        sql = (f"WITH m AS MATERIALIZED (SELECT fts.rowid AS r, -bm25(fts) / {scale} AS s FROM fts "
               f"WHERE fts MATCH ? {filt}) SELECT r, s, 1 FROM (SELECT r, s FROM m ORDER BY s DESC, r LIMIT ?)")
        if extra:
            sql += f" UNION ALL SELECT r, s, 0 FROM m WHERE r IN ({','.join('?' * len(extra))})"
        rows = read(sql, [expr, *params, max(n, 0), *extra])
    top = [(r, s) for r, s, t in rows if t]
    want = {r for r, _ in top} | set(extra)
    found = {}
    if want:
        marks = ",".join("?" * len(want))
        found = {r[0]: _chunk(r) for r in read(f"SELECT {_COLS} FROM chunks c WHERE c.rowid IN ({marks})",
                                                     list(want))}
    scored = {r: float(s) for r, s, t in rows if not t}
    return LexicalHits(top=[(found[r], float(s)) for r, s in top if r in found],
                       scores={cid: scored.get(r, 0.0) for r, cid in extra.items()},
                       chunks={cid: found[r] for r, cid in extra.items() if r in found})
