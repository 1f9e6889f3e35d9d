"""The lexical side alone: FTS5 BM25 cost and what it finds, per postings budget.

    python -m bench.bench_lexical --size 100000 --budgets 0,10000,5000,2500,1000

Builds an FTS5 index (no Chroma, no vectors) of `size` generated chunks, the same texts as
bench/fill.py writes for the search benches, then runs the search benches' queries through the
lexical side as hybrid search calls it (query expansion, pruning, one FTS5 scan, the top
chunks read back) with each postings budget (0 = no bound). Quality: the share of the unbounded
query's top 5 / top 20 that the bounded query also returns in its top 5 / top 20.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.fill import CHUNKS_PER_SOURCE, SentencePool, make_chunks
from bench.report import QUERIES, corpus_queries, machine, save_section
from vectorstore.fts_query import POSTINGS_BUDGET, lexical_hits
from vectorstore.ftsindex import FtsIndex

N_SCORED = 100  # what hybrid search asks the lexical side for (LEXICAL_SCORED x fetch_k = 5 x 20)


def build(path: Path, pool: SentencePool, size: int, seed: int = 5) -> float:
    """Index `size` generated chunks (sources of CHUNKS_PER_SOURCE); seconds taken."""
    idx, t = FtsIndex(path), time.perf_counter()
    have = idx.count()
    while have < size:
        n_src = min(1000, (size - have) // CHUNKS_PER_SOURCE)
        idx.replace_sources(make_chunks(pool, have // CHUNKS_PER_SOURCE, n_src, seed))
        have += n_src * CHUNKS_PER_SOURCE
    idx.close()
    return time.perf_counter() - t


def run(idx: FtsIndex, queries: list[str], budgets: list[int], reps: int) -> list[dict]:
    """Per budget and rule: p50 / p95 ms and top-5 / top-20 overlap with the unbounded query."""
    weights = [idx.query_terms().expand(q) for q in queries]
    unbounded = [[c.id for c, _ in lexical_hits(idx._read, w, N_SCORED, budget=10**12).top] for w in weights]
    rows = []
    for b, score_all in [(x, m) for x in budgets for m in ((True,) if not x else (True, False))]:
        budget = b or 10**12

        def top_ids(w: dict[str, float], budget: int = budget, score_all: bool = score_all) -> list[str]:
            hits = lexical_hits(idx._read, w, N_SCORED, budget=budget, score_all=score_all)
            return [c.id for c, _ in hits.top]

        times, o5, o20 = [], [], []
        for _ in range(reps):
            for w in weights:
                t = time.perf_counter()
                top_ids(w)
                times.append((time.perf_counter() - t) * 1000)
        for w, ref in zip(weights, unbounded, strict=True):
            top = top_ids(w)
            if ref:
                o5.append(len(set(top[:5]) & set(ref[:5])) / len(ref[:5]))
                o20.append(len(set(top[:20]) & set(ref[:20])) / len(ref[:20]))
        rows.append({"budget": b, "score_all": score_all, "p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
                     "o5": float(np.mean(o5)), "o20": float(np.mean(o20)),
                     "o5_min": float(np.min(o5)), "o20_min": float(np.min(o20))})
        print(rows[-1], flush=True)
    return rows


def render(rows: list[dict], cmd: str, size: int, build_s: float, n_q: int, reps: int) -> str:
    """Markdown for RESULTS-scale.md."""
    lines = [f"## The lexical side alone at {size:,} chunks, per postings budget", "",
             f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
             f"FTS5 index of {size:,} generated chunks (built in {build_s:.0f} s; no Chroma). {n_q} queries "
             f"x {reps} passes through the lexical side as hybrid search calls it (expansion, pruning, "
             f"one FTS5 scan for the top {N_SCORED}, chunks read back); ms. Overlap: the share of the "
             "unbounded query's top 5 / top 20 also in the bounded query's, mean (worst query).", "",
             "Rule \"score with all\": the rarest words (within the budget) choose the rows, every query "
             "word scores them (vectorstore/fts_query.bounded_expression); \"leave out\": the commoner "
             "words are left out of the query (the rule before). \"index merged\": the same index after "
             "FtsIndex.tidy merged its segments into one b-tree (what an ingest run does once the index "
             "grew by a tenth); the rows above it are the index as written, segment by segment.", "",
             "| postings budget | rule | p50 | p95 | top-5 overlap | top-20 overlap |",
             "|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        name = f"{r['budget']:,}" if r["budget"] else "no bound"
        if "merged_s" in r:
            name += f", index merged (took {r['merged_s']:.1f} s)"
        rule = "-" if not r["budget"] else "score with all" if r["score_all"] else "leave out"
        lines.append(f"| {name} | {rule} | {r['p50']:.1f} | {r['p95']:.1f} | {r['o5']:.2f} ({r['o5_min']:.2f}) | "
                     f"{r['o20']:.2f} ({r['o20_min']:.2f}) |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--budgets", default="0,10000,5000,2500,1000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--index", type=Path, default=None, help="keep the index here (reused if it exists)")
    ap.add_argument("--merge", action="store_true", help="then merge the index (FtsIndex.tidy) and measure again")
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    cmd = f"python -m bench.bench_lexical --size {a.size} --budgets {a.budgets} --reps {a.reps}" + " --merge" * a.merge
    pool = SentencePool()
    queries = QUERIES + corpus_queries(pool.sentences, 12)
    with tempfile.TemporaryDirectory() as tmp:
        path = a.index or Path(tmp) / "lexical.sqlite3"
        build_s = build(path, pool, a.size)
        idx = FtsIndex(path)
        rows = run(idx, queries, [int(x) for x in a.budgets.split(",")], a.reps)
        if a.merge:  # the same index merged into one b-tree, as an ingest run leaves it
            merge_s = idx.tidy(growth=0.0)
            for r in run(idx, queries, [POSTINGS_BUDGET], a.reps)[:1]:
                rows.append({**r, "merged_s": merge_s})
        idx.close()
    md = render(rows, cmd, a.size, build_s, len(queries), a.reps)
    print(md)
    if not a.no_save:
        save_section("bench_lexical", md)


if __name__ == "__main__":
    main()
