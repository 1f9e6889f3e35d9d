"""The lexical side alone: BM25 (tantivy) cost per corpus size, as hybrid search calls it.

    python -m bench.bench_lexical --sizes 10000,100000 --reps 3

Builds the lexical index (no Chroma, no vectors) of `size` generated chunks, the same texts as
bench/fill.py writes for the search benches, through its own write path (1,000 sources a write),
then runs the search benches' queries through the lexical side as hybrid search calls it (query
expansion, the BM25 top 100, the top 20 chunks read back). Also: what the index takes on disk
(the SQLite rows, which hold the texts, and the BM25 folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.fill import CHUNKS_PER_SOURCE, SentencePool, make_chunks
from bench.report import QUERIES, corpus_queries, du_mb, machine, save_section
from vectorstore.ftsindex import FtsIndex

N_SCORED = 100  # what hybrid search asks the lexical side for (LEXICAL_SCORED x fetch_k = 5 x 20)


def build(idx: FtsIndex, pool: SentencePool, size: int, seed: int = 5) -> float:
    """Index generated chunks until there are `size` (sources of CHUNKS_PER_SOURCE); seconds taken."""
    t = time.perf_counter()
    have = idx.count()
    while have < size:
        n_src = min(1000, (size - have) // CHUNKS_PER_SOURCE)
        idx.replace_sources(make_chunks(pool, have // CHUNKS_PER_SOURCE, n_src, seed))
        have += n_src * CHUNKS_PER_SOURCE
    return time.perf_counter() - t


def run(idx: FtsIndex, queries: list[str], reps: int) -> dict[str, float]:
    """p50 / p95 ms of the lexical side over the queries, warm spelling-variant cache."""
    for q in queries:
        idx.query_terms().expand(q)
    times = []
    for _ in range(reps):
        for q in queries:
            t = time.perf_counter()
            idx.hits(idx.query_terms().expand(q), 20, ranked=N_SCORED)
            times.append((time.perf_counter() - t) * 1000)
    return {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95))}


def render(rows: list[dict], cmd: str, n_q: int, reps: int) -> str:
    """Markdown for RESULTS-scale.md."""
    lines = ["## The lexical side alone (BM25 by tantivy)", "",
             f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
             f"Generated chunks written through the index's own path (1,000 sources a write; no Chroma). "
             f"{n_q} queries x {reps} passes through the lexical side as hybrid search calls it "
             f"(expansion, the BM25 top {N_SCORED}, the top 20 chunks read back); ms.", "",
             "| chunks | written in s | p50 | p95 | SQLite file MB (rows, texts, vocabulary) | BM25 folder MB |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['size']:,} | {r['build_s']:.0f} | {r['p50']:.2f} | {r['p95']:.2f} | "
                     f"{r['sqlite_mb']:.0f} | {r['bm25_mb']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--index", type=Path, default=None, help="keep the index here (reused if it exists)")
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    cmd = f"python -m bench.bench_lexical --sizes {a.sizes} --reps {a.reps}"
    pool = SentencePool()
    queries = QUERIES + corpus_queries(pool.sentences, 12)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = a.index or Path(tmp) / "lexical.sqlite3"
        idx = FtsIndex(path)
        build_s = 0.0
        for size in [int(x) for x in a.sizes.split(",") if x]:
            build_s += build(idx, pool, size)
            rows.append({"size": idx.count(), "build_s": build_s, **run(idx, queries, a.reps),
                         "sqlite_mb": path.stat().st_size / 2**20, "bm25_mb": du_mb(path.with_suffix(".bm25"))})
            print(rows[-1], flush=True)
        idx.close()
    md = render(rows, cmd, len(queries), a.reps)
    print(md)
    if not a.no_save:
        save_section("bench_lexical", md)


if __name__ == "__main__":
    main()
