"""A host whose lexical index fell behind a large shared store: what it costs to catch up.

    python -m bench.bench_sync --root DIR --port P        # a store kept by bench_server --root
    python -m bench.bench_sync --fill 100000              # or a fresh server filled here

Another machine writes to the same `chroma run` server; this host's lexical index learns of it
at its next open, search or ingest (`sync_index`), which asks the store what it holds per source.
Timed here: the per-source read (`ChunkStore.sources`, one lookup per bucket of the per-source
rows), catching up after another writer replaced a few sources (only the buckets whose token
changed since the index's last sync are read), and, for comparison, the old
way (every chunk's metadata in offset pages, `scan_sources`) for at most `--scan-limit` seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_server import start_server
from bench.fill import SentencePool, bulk_fill, make_chunks
from bench.report import machine, median_seconds, save_section
from parley.core.settings import get_settings
from vectorstore.embeddings import OnnxMiniLM
from vectorstore.fts_sync import sync_index
from vectorstore.ftsindex import FtsIndex
from vectorstore.source_rows import bucket_of
from vectorstore.store import ChunkStore


def rows_from_index(store: ChunkStore, lex: FtsIndex) -> float:
    """A store filled before per-source rows existed: write them from the in-step lexical index.

    The bench's own one-off path (the product's is `recount_sources`, which reads every chunk).
    """
    if lex.synced_generation() != store.generation():
        raise SystemExit("the lexical index is not in step with the store: cannot take its rows")
    t = time.perf_counter()
    store.rows.put({s: (v["doc_hash"], v["chunks"]) for s, v in lex.sources().items()})
    store.rows.set_complete()
    return time.perf_counter() - t


def scan_for(store: ChunkStore, limit_s: float) -> tuple[int, float, bool]:
    """Rows of chunk metadata read by offset paging within `limit_s`: (rows, seconds, finished)."""
    t, n = time.perf_counter(), 0
    for got in store._pages(["metadatas"]):
        n += len(got["ids"])
        if time.perf_counter() - t > limit_s:
            return n, time.perf_counter() - t, False
    return n, time.perf_counter() - t, True


def run(store: ChunkStore, lex: FtsIndex, pool: SentencePool, changed: int, reps: int, scan_limit: float) -> dict:
    out: dict = {"chunks": store.count()}
    if not store.rows.complete():
        out["rows_written_s"] = rows_from_index(store, lex)
    reads = []
    for _ in range(reps):
        t = time.perf_counter()
        have = store.sources()
        reads.append(time.perf_counter() - t)
    out.update(sources=len(have), read_s=reads)
    if lex.synced_generation() == store.generation():  # in step: it may take the store's tokens now
        lex.set_generation(store.generation(), (), store.source_tokens())
    # another writer replaces `changed` sources: new texts, random vectors, this index untouched
    names = sorted(have)[:: max(1, len(have) // changed)][:changed]
    rng = np.random.default_rng(store.generation())  # new texts on every run of a kept store
    items = []
    for name, (_, cs) in zip(names, make_chunks(pool, 10**7 + rng.integers(10**6), changed, seed=11), strict=True):
        cs = [c.model_copy(update={"source": name, "id": f"{name}#new{c.index}"}) for c in cs]
        v = rng.standard_normal((len(cs), store.dim)).astype(np.float32)
        items.append((name, cs, v / np.linalg.norm(v, axis=1, keepdims=True)))
    store.replace_sources(items)
    seen, now = lex.bucket_tokens() or {}, store.source_tokens() or {}
    out["buckets"] = sum(seen.get(b) != t for b, t in now.items()) if seen else None
    t = time.perf_counter()
    redone = sync_index(lex, store)
    out.update(changed=changed, sync_s=time.perf_counter() - t, redone=redone,
               in_step=lex.synced_generation() == store.generation())
    # the index's side of a catch-up: its sources in the changed buckets vs all of them (as
    # before the bucket column), same run
    bs = {bucket_of(n) for n in names}
    out["index_all_s"] = median_seconds(
        lambda: {s: v for s, v in lex.sources().items() if bucket_of(s) in bs}, reps)
    out["index_buckets_s"] = median_seconds(lambda: lex.sources(bs), reps)
    if scan_limit > 0:
        out["scan_rows"], out["scan_s"], out["scan_done"] = scan_for(store, scan_limit)
    return out



def render(r: dict, cmd: str) -> str:
    scan = (f"read {r['scan_rows']:,} of {r['chunks']:,} rows in {r['scan_s']:.0f} s"
            + (" (all)" if r.get("scan_done") else " and was stopped there") if "scan_rows" in r else "not run")
    lines = [
        f"## A host catching up with a {r['chunks']:,}-chunk store on a `chroma run` server", "",
        f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
        "| step | seconds |", "|---|---:|",
        f"| what the store holds per source ({r['sources']:,} sources), from the per-source rows "
        f"(median of {len(r['read_s'])}) | {statistics.median(r['read_s']):.2f} |",
        f"| catch up after another writer replaced {r['changed']} sources (`sync_index`: the rows of the "
        f"{r['buckets'] if r['buckets'] is not None else 64} buckets whose token changed, then only the changed "
        f"sources' chunks) | {r['sync_s']:.2f} |",
        f"| of which the index's own source list: the changed buckets' sources (median of {len(r['read_s'])}) "
        f"| {r['index_buckets_s']:.3f} |",
        f"| the same from the index's whole source list, filtered by bucket (before the bucket column) | "
        f"{r['index_all_s']:.3f} |", "",
        f"Sources redone by the catch-up: {r['redone']} (expected {r['changed']}); index in step after: "
        f"{r['in_step']}. The old way, every chunk's metadata in offset pages of 5,000: {scan}.",
    ]
    if "rows_written_s" in r:
        lines.append(f"This store was filled before per-source rows existed: the bench wrote them from its "
                     f"in-step lexical index first ({r['rows_written_s']:.0f} s, one-off; Parley's own path "
                     "for such a store is one full count, `recount_sources`).")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=None, help="a store kept by bench_server --root")
    ap.add_argument("--port", type=int, default=0, help="that store's port (its index is named after the URL)")
    ap.add_argument("--fill", type=int, default=0, help="fill a fresh server to this many chunks (bulk path)")
    ap.add_argument("--changed", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scan-limit", type=float, default=120.0)
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    cmd = ("python -m bench.bench_sync" + (f" --root DIR --port {a.port}" if a.root else f" --fill {a.fill}")
           + f" --changed {a.changed} --scan-limit {a.scan_limit:g}")
    os.environ.setdefault("PARLEY_CHROMA_TIMEOUT_S", "600")
    with tempfile.TemporaryDirectory() as tmp:
        root = a.root or Path(tmp)
        proc, url = start_server(root, a.port)
        try:
            s = get_settings(data_dir=root / "data", chroma_url=url, collection="bench")
            store = ChunkStore.open(s, OnnxMiniLM())
            lex, pool = FtsIndex.for_store(store), SentencePool()
            if a.fill:
                bulk_fill(store, lex, pool, a.fill, log=lambda m: print(m, flush=True))
            md = render(run(store, lex, pool, a.changed, a.reps, a.scan_limit), cmd)
            print(md)
            if not a.no_save:
                save_section("bench_sync", md)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
