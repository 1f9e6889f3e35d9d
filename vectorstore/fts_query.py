"""Reading the lexical index: the BM25 top chunks and the scores of given chunks, read back from SQLite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.core.schema import Chunk
from vectorstore.bm25_index import Bm25Index
from vectorstore.chunk_meta import chunk_from_record
from vectorstore.sqlite_read import read_in
from vectorstore.where import where_sql

Read = Callable[..., list[tuple]]
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
    return {row[1]: _chunk(row) for row in read_in(read, f"SELECT {_COLS} FROM chunks c WHERE c.id IN ({{marks}})", ids)}


def lexical_hits(read: Read, bm25: Bm25Index, weights: dict[str, float], n: int,
                 where: dict[str, Any] | None = None, also: Sequence[str] = (), ranked: int = 0) -> LexicalHits:
    """The n best chunks, and the scores and chunks of `also` (the dense side's).

    `ranked`: also the ids and scores (no texts read) of the best `ranked` chunks. Rows the BM25
    index returns that the SQLite file does not hold (a writer between its two commits) are
    left out.
    """
    within = None
    if where:
        cond, params = where_sql(where, WHERE_COLUMNS)
        within = [r[0] for r in read(f"SELECT c.rowid FROM chunks c WHERE {cond}", params)]
    best = bm25.search(weights, max(n, ranked, 0), within)
    extra: dict[int, str] = dict(read_in(read, "SELECT rowid, id FROM chunks WHERE id IN ({marks})", also))
    allowed = set(within) if within is not None else None
    scored = dict(bm25.search(weights, len(extra), [r for r in extra if allowed is None or r in allowed]))
    top, tail = best[: max(n, 0)], best[max(n, 0) :]
    want = {r for r, _ in top} | set(extra)
    found = {r[0]: _chunk(r) for r in read_in(read, f"SELECT {_COLS} FROM chunks c WHERE c.rowid IN ({{marks}})",
                                              list(want))}
    ids = {r: c.id for r, c in found.items()}
    ids.update(read_in(read, "SELECT rowid, id FROM chunks WHERE rowid IN ({marks})", [r for r, _ in tail]))
    return LexicalHits(top=[(found[r], s) for r, s in top if r in found],
                       scores={cid: scored.get(r, 0.0) for r, cid in extra.items()},
                       chunks={cid: found[r] for r, cid in extra.items() if r in found},
                       ranked=[(ids[r], s) for r, s in best if r in ids][: max(ranked, 0)])
