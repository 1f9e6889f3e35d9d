"""Ingest of >= 2,000 realistic generated articles: the pipeline vs the bare embedding model.

    python -m bench.bench_ingest --articles 2000

The corpus (bench/corpus.py) is split into slices; for each slice the bare ONNX model embeds
the very chunk texts the pipeline will make, and the full pipeline (read, clean, chunk, embed,
Chroma, lexical index, record) ingests the slice's files into one growing store, alternating
which goes first. Totals over all slices give the two rates in the same run, so the machine's
load (shared, noisy) weighs on both alike.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.corpus import write_articles
from bench.report import machine, save_section
from parley.core.settings import get_settings
from vectorstore.chunking import chunk_article
from vectorstore.docstore import DocStore
from vectorstore.embeddings import OnnxMiniLM
from vectorstore.ftsindex import FtsIndex
from vectorstore.ingest import ingest_paths
from vectorstore.loader import read_article
from vectorstore.retrieval import HybridRetriever
from vectorstore.store import ChunkStore


def run(n_articles: int, n_slices: int, raw_every: int = 1) -> dict:
    """Raw and pipeline seconds per slice, chunks, time to first/all searchable, checks."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        files = write_articles(root / "corpus", n_articles)
        gen_s = time.perf_counter() - t
        s = get_settings(data_dir=root / "data", collection="bench")
        emb = OnnxMiniLM(batch_size=s.embedding_batch_size)
        store, ds = ChunkStore.open(s, emb), DocStore(s.articles_dir)
        mb = int(s.max_file_mb * 2**20)
        slices = [files[i::n_slices] for i in range(n_slices)]
        texts = [[c.text for p in part for c in chunk_article(read_article(p, max_bytes=mb),
                                                               size=s.chunk_size, overlap=s.chunk_overlap)]
                 for part in slices]
        emb.embed_array(texts[0][:32])  # warm the session
        raw, raw_n, pipe, chunks = [], [], [], []
        first: list[float] = []
        t_start = time.perf_counter()
        for i, (part, tx) in enumerate(zip(slices, texts, strict=True)):
            def do_raw(tx=tx[::raw_every]) -> None:
                t = time.perf_counter()
                emb.embed_array(tx)
                raw.append(time.perf_counter() - t)
                raw_n.append(len(tx))

            def do_pipe(part=part) -> None:
                t = time.perf_counter()
                rep = ingest_paths(part, s, emb, store, ds, progress=False,
                                   on_stored=lambda _: first or first.append(time.perf_counter() - t))
                pipe.append(time.perf_counter() - t)
                chunks.append(rep.chunks)

            for step in ((do_raw, do_pipe) if i % 2 == 0 else (do_pipe, do_raw)):
                step()
        total_s = time.perf_counter() - t_start
        idx = FtsIndex.for_store(store)
        last = read_article(files[-1], max_bytes=mb)
        probe_q = " ".join(last.text.split()[:8])
        hit = HybridRetriever(store=store, embedder=emb, k=5).search(probe_q, 5)
        return {
            "articles": len(files), "chars": sum(p.stat().st_size for p in files), "gen_s": gen_s,
            "chunks_raw": raw_n, "chunks_all": sum(len(t) for t in texts), "chunks_pipe": chunks, "raw_s": raw, "pipe_s": pipe,
            "first_searchable_s": first[0] if first else None, "wall_s": total_s,
            "stored": store.count(), "indexed": idx.count(), "in_step": idx.synced_generation() == store.generation(),
            "last_found": any(p.source == last.doc_id for p in hit),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def render(r: dict, cmd: str) -> str:
    """Markdown for RESULTS-scale.md."""
    n = sum(r["chunks_raw"])
    total = r["chunks_all"]
    raw_rate, pipe_rate = n / sum(r["raw_s"]), sum(r["chunks_pipe"]) / sum(r["pipe_s"])
    per = ", ".join(f"{a / b:.2f}" for a, b in zip(
        [c / t for c, t in zip(r["chunks_pipe"], r["pipe_s"], strict=True)],
        [c / t for c, t in zip(r["chunks_raw"], r["raw_s"], strict=True)], strict=True))
    return "\n".join([
        f"## Ingest of {r['articles']:,} generated articles", "",
        f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
        f"Corpus: {r['articles']:,} articles, {r['chars'] / 1e6:.1f} MB "
        f"({r['chars'] / r['articles']:,.0f} characters per article on average), {total:,} chunks "
        f"(the bare model embeds {n:,} of them: {'all' if n == total else 'an even sample per slice'}); "
        f"generated in {r['gen_s']:.0f} s by bench/corpus.py. Batch 16, {len(r['raw_s'])} alternating slices.", "",
        "| path | chunks | seconds | chunks/s |", "|---|---:|---:|---:|",
        f"| bare ONNX model on the same chunk texts | {n:,} | {sum(r['raw_s']):.0f} | {raw_rate:.1f} |",
        f"| full pipeline (read, clean, chunk, embed, Chroma, lexical index, record) | "
        f"{sum(r['chunks_pipe']):,} | {sum(r['pipe_s']):.0f} | {pipe_rate:.1f} |",
        f"| **pipeline / bare model** | | | **{pipe_rate / raw_rate:.2f}** (target >= 0.9) |", "",
        f"Per slice (pipeline / bare): {per}.", "",
        f"Searchable: the first articles {r['first_searchable_s']:.1f} s after the start (each batch is "
        f"searchable once written: the first 64 chunks, each later batch twice the last, up to 512); all {r['articles']:,} after {sum(r['pipe_s']):.0f} s of "
        f"ingest (the end of the run). Store {r['stored']:,} chunks, lexical index {r['indexed']:,}, "
        f"index in step with the store: {r['in_step']}; the last article found by a search: {r['last_found']}. "
        f"Peak memory of the bench process (model, both paths): {r['peak_rss_mb']:.0f} MB.",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--slices", type=int, default=4)
    ap.add_argument("--raw-every", type=int, default=1,
                    help="the bare model embeds every Nth chunk text of a slice (its rate is per chunk)")
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    r = run(a.articles, a.slices, a.raw_every)
    md = render(r, f"python -m bench.bench_ingest --articles {a.articles} --slices {a.slices} "
                   f"--raw-every {a.raw_every}")
    print(md)
    if not a.no_save:
        save_section("bench_ingest", md)


if __name__ == "__main__":
    main()
