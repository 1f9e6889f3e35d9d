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
# A lexical query scores at most about this many postings: its commonest words are left out when
# more would be needed (they weigh least in BM25; the dense side still reads the whole question).
# FTS5 computes bm25() for every matching row, so without a bound a question of common words costs
# time proportional to the corpus. Measured (scale helper, 2026-12-01, 100k generated chunks, 24
# queries x 3, shared machine): no bound p50/p95 18.5/76.7 ms; 20,000: 20.0/49.5 ms, 94% of the
# top 20 kept; 10,000: 12.7/26.3 ms, 85%; 5,000: 6.8/21.1 ms, 61%. Corpora under it: no change.
POSTINGS_BUDGET = 10_000
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


def prune(read: Read, weights: dict[str, float], budget: int = POSTINGS_BUDGET) -> dict[str, float]:
    """The query's terms, rarest first, while their postings fit the budget (at least one)."""
    if len(weights) < 2:
        return weights
    marks = ",".join("?" * len(weights))
    df = dict(read(f"SELECT term, doc FROM temp.fts_vocab WHERE term IN ({marks})", list(weights)))
    keep, total = {}, 0
    for term in sorted(weights, key=lambda t: (df.get(t, 0), t)):
        d = df.get(term, 0)  # unknown: a phrase the index splits ("o'brien"); cheap, kept
        if keep and total + d > budget:
            break
        keep[term], total = weights[term], total + d
    return keep


def lexical_hits(read: Read, weights: dict[str, float], n: int, where: dict[str, Any] | None = None,
                 also: Sequence[str] = ()) -> LexicalHits:
    """The n best chunks, and the scores and chunks of `also` (the dense side's), in one scan."""
    expr, scale = match_expression(prune(read, weights))
    extra: dict[int, str] = {}
    for b in range(0, len(also), _SQL_VARS):
        part = list(also[b : b + _SQL_VARS])
        extra.update(read(f"SELECT rowid, id FROM chunks WHERE id IN ({','.join('?' * len(part))})",
                                part))
    rows: list[tuple] = []
    if expr:
        cond, params = where_sql(where, WHERE_COLUMNS)
        filt = f"AND fts.rowid IN (SELECT c.rowid FROM chunks c WHERE {cond})" if cond else ""
        scan = f"SELECT fts.rowid AS r, -bm25(fts) / {scale} AS s FROM fts WHERE fts MATCH ? {filt}"
        sql = f"SELECT r, s, 1 FROM ({scan} ORDER BY s DESC, r LIMIT ?)"
        if extra:  # the scan once, kept for both parts
            sql = (f"WITH m AS MATERIALIZED ({scan}) SELECT r, s, 1 FROM (SELECT r, s FROM m "
                   f"ORDER BY s DESC, r LIMIT ?) UNION ALL SELECT r, s, 0 FROM m WHERE r IN "
                   f"({','.join('?' * len(extra))})")
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
