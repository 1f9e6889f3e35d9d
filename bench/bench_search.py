"""Search latency and memory at 10k and 100k chunks (on-disk Chroma), and one article added at 100k.

    python -m bench.bench_search --sizes 10000,100000

Per size: the store is filled through Parley's write path (bench/fill.py), then a fresh process
(bench/probe.py) opens it and searches: our hybrid search given the query vector vs a bare Chroma
query with the same vector, and that process's memory. At the largest size, a new generated
article is ingested with the real embedding model and searched for: the time until it is found,
and whether anything was rebuilt (the lexical index must not need a sync).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_server import probe
from bench.corpus import write_articles
from bench.fill import SentencePool, fill
from bench.report import QUERIES, corpus_queries, machine, pct, save_section
from parley.core.settings import get_settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import OnnxMiniLM
from vectorstore.ftsindex import FtsIndex
from vectorstore.ingest import ingest_paths
from vectorstore.retrieval import HybridRetriever
from vectorstore.store import ChunkStore

MARKERS = ["Quibbleworth", "Frandolux", "Mibbersnatch", "Glorptavian", "Snorkelbaum", "Yibbertine",
           "Droffleham", "Crumbivex"]


class _TimedEmbedder:
    """The real model, with the seconds spent embedding counted (to split an ingest's time)."""

    def __init__(self, emb: OnnxMiniLM):
        self._emb, self.seconds = emb, 0.0
        self.name, self.dim, self.batch_size = emb.name, emb.dim, emb.batch_size

    def embed_array(self, texts: list[str]):
        t = time.perf_counter()
        try:
            return self._emb.embed_array(texts)
        finally:
            self.seconds += time.perf_counter() - t

    def embed_query(self, text: str) -> list[float]:
        return self._emb.embed_query(text)


def add_one(s, emb: OnnxMiniLM, store: ChunkStore, root: Path, n: int) -> list[dict]:
    """Ingest n new generated articles one at a time; seconds until each is found by a search."""
    emb = _TimedEmbedder(emb)
    ret = HybridRetriever(store=store, embedder=emb, k=5)
    ret.search("warm up", 5)
    lex = FtsIndex.for_store(store)
    out = []
    for i, path in enumerate(write_articles(root / "new", n, seed=99, start=900_000)):
        text = path.read_text(encoding="utf-8")
        marker = MARKERS[i % len(MARKERS)]  # no other chunk has it, nor any spelling variant of it
        path.write_text(text.replace("\n\n\n", f"\n\n\n{marker} ", 1), encoding="utf-8")
        t, emb.seconds = time.perf_counter(), 0.0
        rep = ingest_paths([path], s, emb, store, DocStore(s.articles_dir), progress=False)
        embed_s = emb.seconds
        ingest_s = time.perf_counter() - t
        synced_before = lex.synced_generation() == store.generation()
        hit = ret.search(marker, 5)
        total_s = time.perf_counter() - t
        out.append({"ingest_s": ingest_s, "total_s": total_s, "chunks": rep.chunks, "embed_s": embed_s,
                    "found": bool(hit) and hit[0].source == path.name, "in_step": synced_before})  # found: ranked first
    return out


def render(rows: list[dict], adds: list[dict], embed: list[float], cmd: str, n_q: int, reps: int) -> str:
    """Markdown for RESULTS-scale.md."""
    lines = ["## Search at 10k / 100k chunks (on-disk Chroma) and one more article", "",
             f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
             f"{n_q} queries x {reps} passes, each given its query vector, in a fresh process that "
             "only opens the store and searches (the embedding model, ~100-200 MB whatever the "
             "corpus size, is not loaded there); ms. Each query's spelling-variant lookups are made "
             "once before the timed passes (they are cached until the index changes) and reported "
             "on their own.", "",
             "| chunks | fill s | hybrid p50 / p95 | bare Chroma p50 / p95 | **hybrid / bare p95** | "
             "hybrid, no threads, p50 / p95 | lexical p95 | dense ids p95 | spelling variants of a "
             "query first seen p50 / p95 | first search s | search process RSS MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        p50, p95 = r["probe"]["p50"], r["probe"]["p95"]
        lines.append(
            f"| {r['chunks']:,} | {r['fill_s']:.0f} | {p50['hybrid']:.1f} / {p95['hybrid']:.1f} | "
            f"{p50['bare']:.1f} / {p95['bare']:.1f} | **{p95['hybrid'] / p95['bare']:.2f}x** | "
            f"{p50['hybrid_sequential']:.1f} / {p95['hybrid_sequential']:.1f} | {p95['lexical']:.1f} | {p95['dense_ids']:.1f} | "
            f"{p50.get('expand_cold', float('nan')):.1f} / {p95.get('expand_cold', float('nan')):.1f} | "
            f"{r['probe']['first_search_s']:.2f} | "
            f"{r['probe']['rss_mb']:.0f} |")
    lines += ["", f"Embedding a query with MiniLM (not in the figures above): p50 {pct(embed, 50):.1f} ms, "
              f"p95 {pct(embed, 95):.1f} ms.", ""]
    if adds:
        tot = [a["total_s"] for a in adds]
        lines += [f"### One more article at {rows[-1]['chunks']:,} chunks", "",
                  "| article | chunks | ingest s (read, embed, Chroma, index, record) | of which embedding s | "
                  "until found by search s | found | index in step (no sync, no rebuild) |",
                  "|---:|---:|---:|---:|---:|---|---|"]
        lines += [f"| {i + 1} | {a['chunks']} | {a['ingest_s']:.2f} | {a['embed_s']:.2f} | {a['total_s']:.2f} | "
                  f"{a['found']} | {a['in_step']} |" for i, a in enumerate(adds)]
        rest = [a["total_s"] - a["embed_s"] for a in adds]
        lines += ["", f"Median until searchable: **{float(np.median(tot)):.2f} s** (target <= 1 s); "
                  f"without the embedding model's own time: {float(np.median(rest)):.2f} s."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--adds", type=int, default=5, help="articles added one by one at the largest size")
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    cmd = f"python -m bench.bench_search --sizes {a.sizes} --reps {a.reps} --adds {a.adds}"
    emb = OnnxMiniLM()
    pool = SentencePool()
    queries = QUERIES + corpus_queries(pool.sentences, 12)
    vectors = emb.embed_array(queries).tolist()
    embed = []
    for q in queries * a.reps:
        t = time.perf_counter()
        emb.embed_query(q)
        embed.append(time.perf_counter() - t)
    rows, adds = [], []
    sizes = [int(x) for x in a.sizes.split(",") if x]
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            s = get_settings(data_dir=Path(tmp) / "data", collection="bench")
            store = ChunkStore.open(s, emb)
            t = time.perf_counter()
            fill(store, FtsIndex.for_store(store), pool, n, log=lambda m: print(m, flush=True))
            fill_s = time.perf_counter() - t
            env = {**os.environ, "PARLEY_DATA_DIR": str(s.data_dir), "PARLEY_COLLECTION": "bench"}
            env.pop("PARLEY_CHROMA_URL", None)
            r = probe(env, queries, vectors, a.reps, False, Path(tmp))
            rows.append({"chunks": r["chunks"], "fill_s": fill_s, "probe": r})
            print(rows[-1], flush=True)
            if n == sizes[-1] and a.adds:
                adds = add_one(s, emb, store, Path(tmp), a.adds)
                print(adds, flush=True)
    md = render(rows, adds, embed, cmd, len(queries), a.reps)
    print(md)
    if not a.no_save:
        save_section("bench_search", md)


if __name__ == "__main__":
    main()
