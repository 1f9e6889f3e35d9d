"""Reading the lexical index: BM25 top chunks in one FTS5 scan, with the scores of given chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.core.schema import Chunk
from vectorstore.fts_terms import WEIGHT_STEPS, match_expression, phrase
from vectorstore.store import chunk_from_record
from vectorstore.where import where_sql

Read = Callable[..., list[tuple]]
_SQL_VARS = 500  # ids per IN (...) list
# A lexical query reads the rows of its rarest words while their postings fit this budget; its
# commoner words still score those rows (bounded_expression) but bring in no rows of their own.
# FTS5 computes bm25() for every matching row, so without a bound a question of common words costs
# time proportional to the corpus. Set by `python -m bench.bench_lexical --size 100000 --budgets
# 0,10000,5000,2500,1000 --reps 3` (2026-12-01 22:09 UTC, load 5.8, bench/RESULTS-scale.md "The
# lexical side alone"): at 5,000 the top 5 kept 0.98 of the unbounded query's (worst query 0.80),
# p95 21.6 vs 53.0 ms unbounded; 10,000: 1.00, 24.4 ms; 2,500: 0.93, 19.7 ms. The earlier rule
# (common words left out altogether) kept 0.53 of the top 5 at 5,000 and 0.78 at 10,000.
POSTINGS_BUDGET = 5_000
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
    ranked: list[tuple[str, float]] = field(default_factory=list)  # ids and BM25 of the `ranked` best


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
    # document frequencies from the vocabulary table (an index lookup; within a few counts of
    # FTS5's, whose tokenizer splits a few words differently); fts5vocab, which counts by reading
    # the whole posting list (p50 2.1 vs 0.1 ms per query at 100k chunks, scale helper
    # 2026-12-01), only for words the vocabulary does not keep (short ones: "un", "war", "10")
    marks = ",".join("?" * len(weights))
    df = dict(read(f"SELECT term, df FROM terms WHERE term IN ({marks})", list(weights)))
    if rest := [t for t in weights if t not in df]:
        marks = ",".join("?" * len(rest))
        df.update(read(f"SELECT term, doc FROM temp.fts_vocab WHERE term IN ({marks})", rest))
    keep, total = {}, 0
    for term in sorted(weights, key=lambda t: (df.get(t, 0), t)):
        d = df.get(term, 0)  # unknown: a phrase the index splits ("o'brien"); cheap, kept
        if keep and total + d > budget:
            break
        keep[term], total = weights[term], total + d
    return keep


def bounded_expression(read: Read, weights: dict[str, float], budget: int = POSTINGS_BUDGET,
                       score_all: bool = True) -> tuple[str, int]:
    """A MATCH expression whose rows are bounded by the budget but whose scores use every term.

    `(kept once) AND (kept again, to their weight, OR left-out terms, to theirs)`: the rows are
    those of the kept (rarest) words, and bm25() sums over every phrase of the expression, so each
    row scores as the unbounded query would score it. The right side leaves out the kept words of
    the lowest weight (they would count twice), so a row whose only words are those is not read.
    `score_all=False`: the kept words alone (the earlier rule, for the bench's comparison).
    """
    kept = prune(read, weights, budget)
    if kept == weights or not score_all:
        return match_expression(kept)
    reps = {t: max(1, round(w * WEIGHT_STEPS)) for t, w in weights.items() if any(ch.isalnum() for ch in t)}
    left = [phrase(t) for t in sorted(kept) if t in reps]
    right = [phrase(t) for t in sorted(reps) for _ in range(reps[t] - (t in kept))]
    if not left or not right:
        return match_expression(kept)
    return f"({' OR '.join(left)}) AND ({' OR '.join(right)})", WEIGHT_STEPS


def lexical_hits(read: Read, weights: dict[str, float], n: int, where: dict[str, Any] | None = None,
                 also: Sequence[str] = (), budget: int = POSTINGS_BUDGET, score_all: bool = True,
                 ranked: int = 0) -> LexicalHits:
    """The n best chunks, and the scores and chunks of `also` (the dense side's), in one scan.

    `ranked`: also the ids and scores (no texts read) of the best `ranked` chunks.
    """
    expr, scale = bounded_expression(read, weights, budget, score_all)
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
        rows = read(sql, [expr, *params, max(n, ranked, 0), *extra])
    best = [(r, s) for r, s, t in rows if t]
    top, tail = best[: max(n, 0)], best[max(n, 0) :]
    want = {r for r, _ in top} | set(extra)
    found = {}
    if want:
        marks = ",".join("?" * len(want))
        found = {r[0]: _chunk(r) for r in read(f"SELECT {_COLS} FROM chunks c WHERE c.rowid IN ({marks})",
                                                     list(want))}
    ids = {r: c.id for r, c in found.items()}
    for b in range(0, len(tail), _SQL_VARS):
        part = [r for r, _ in tail[b : b + _SQL_VARS]]
        ids.update(read(f"SELECT rowid, id FROM chunks WHERE rowid IN ({','.join('?' * len(part))})", part))
    scored = {r: float(s) for r, s, t in rows if not t}
    return LexicalHits(top=[(found[r], float(s)) for r, s in top if r in found],
                       scores={cid: scored.get(r, 0.0) for r, cid in extra.items()},
                       chunks={cid: found[r] for r, cid in extra.items() if r in found},
                       ranked=[(ids[r], float(s)) for r, s in best if r in ids][: max(ranked, 0)])
