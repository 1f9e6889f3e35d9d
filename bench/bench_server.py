"""Hybrid search on a real `chroma run` server as the store grows (default up to 1M chunks).

    python -m bench.bench_server --sizes 100000,300000,1000000

Starts `chroma run` on 127.0.0.1, fills it through Parley's write path (bench/fill.py: Chroma
plus the lexical index, synthetic vectors, generated prose), and at each size runs the search
probe (bench/probe.py) in a fresh process: hybrid search given the query vector, a bare Chroma
query with the same vector, each side alone, and Chroma's own `$contains` document filter (the
alternative to our lexical index in server mode). Results go to bench/RESULTS-scale.md after every
size, so a run cut short still leaves the largest size it reached.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.fill import SentencePool, bulk_fill, fill
from bench.report import QUERIES, corpus_queries, du_mb, machine, rss_mb, save_section
from parley.core.settings import get_settings
from vectorstore.embeddings import OnnxMiniLM
from vectorstore.ftsindex import FtsIndex
from vectorstore.store import ChunkStore

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, port: int = 0) -> tuple[subprocess.Popen, str]:
    """`chroma run` on `port` (0: a free one), log to a file; returns once its heartbeat answers."""
    port = port or _free_port()
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(root / "db"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/api/v2/heartbeat", timeout=1).raise_for_status()
            return proc, url
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: see {root / 'server.log'}") from None
            time.sleep(0.2)
    raise RuntimeError("chroma run did not answer in 60 s")


def probe(env: dict[str, str], queries: list[str], vectors: list[list[float]], reps: int,
          contains: bool, tmp: Path) -> dict:
    """Run bench/probe.py in a fresh process; its JSON result."""
    spec = tmp / "queries.json"
    spec.write_text(json.dumps({"queries": queries, "vectors": vectors, "reps": reps, "contains": contains}))
    out = subprocess.run([sys.executable, "-m", "bench.probe", str(spec)], env=env, capture_output=True,
                         text=True, timeout=3600, cwd=Path(__file__).resolve().parent.parent)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def render(rows: list[dict], cmd: str, n_queries: int, reps: int, bulk: bool = False) -> str:
    """The server table as Markdown."""
    how = ("Filled by the bench's bulk path, NOT Parley's ingest or write path (bench/fill.bulk_fill: "
           "synthetic vectors added straight to the Chroma collection 5,000 rows a call, the lexical "
           "index written through its own path alongside)" if bulk else
           "Filled through Parley's write path (Chroma + lexical index)")
    lines = ["## Hybrid search on a `chroma run` server", "", f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
             f"{n_queries} queries x {reps} passes per size, each given its query vector; ms. "
             f"{how}, 4 chunks per source. Each query's spelling-variant lookups are made once before "
             "the timed passes (cached until the index changes) and reported on their own.", "",
             "| chunks | fill s (total so far) | hybrid p50 / p95 | bare Chroma p50 / p95 | hybrid / bare p95 "
             "| hybrid, no threads, p95 "
             "| lexical (BM25) p95 | dense ids p95 | spelling variants first seen p50 / p95 "
             "| `$contains` query p95 | `$contains` get p95 "
             "| probe RSS MB | server RSS MB | Chroma dir MB | index MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        p50, p95 = r["probe"]["p50"], r["probe"]["p95"]
        lines.append(
            f"| {r['chunks']:,} | {r['fill_s']:.0f} | {p50['hybrid']:.1f} / {p95['hybrid']:.1f} | "
            f"{p50['bare']:.1f} / {p95['bare']:.1f} | {p95['hybrid'] / p95['bare']:.1f}x | "
            f"{p95['hybrid_sequential']:.1f} | {p95['lexical']:.1f} | "
            f"{p95['dense_ids']:.1f} | {p50.get('expand_cold', float('nan')):.1f} / "
            f"{p95.get('expand_cold', float('nan')):.1f} | {p95.get('contains_query', float('nan')):.1f} | "
            f"{p95.get('contains_get', float('nan')):.1f} | {r['probe']['rss_mb']:.0f} | "
            f"{r['server_rss_mb']:.0f} | {r['chroma_mb']:.0f} | {r['index_mb']:.0f} |")
    if rows and rows[0].get("opened", {}).get("kept_chunks"):
        o, sp = rows[0]["opened"], rows[0]["spent"]
        lines += ["", f"The store was kept from an earlier run of this bench (`--root`): {o['kept_chunks']:,} "
                  "chunks were there, and their fill time is not in this run's \"fill s\". Opening its "
                  f"lexical index took {o['open_s']:.0f} s; looking for vectors it lacked and copying them "
                  f"from Chroma ({sp.get('vectors_copied', 0):,} copied) took {sp.get('vectors_s', 0):.0f} s, "
                  "counted in \"fill s\"."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,300000,1000000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-contains", action="store_true", help="skip Chroma's $contains filter")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--bulk", action="store_true", help="fill by the bench's bulk path (not Parley's write path)")
    ap.add_argument("--root", type=Path, default=None,
                    help="keep the server's data here (a second run with the same root only tops up)")
    ap.add_argument("--port", type=int, default=0,
                    help="the server's port (the lexical index's file is named after the store's URL: "
                         "give a kept root's port to reuse its index)")
    a = ap.parse_args()
    cmd = (f"python -m bench.bench_server --sizes {a.sizes} --reps {a.reps}"
           + " --no-contains" * a.no_contains + " --bulk" * a.bulk + " --root DIR" * bool(a.root))
    fill_to = bulk_fill if a.bulk else fill
    # 4,000-chunk writes into a growing HNSW index on a loaded machine outlast the 30 s default
    os.environ.setdefault("PARLEY_CHROMA_TIMEOUT_S", "600")
    with tempfile.TemporaryDirectory() as tmp:
        root = a.root or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        proc, url = start_server(root, a.port)
        try:
            s = get_settings(data_dir=root / "data", chroma_url=url, collection="bench")
            emb = OnnxMiniLM()
            store = ChunkStore.open(s, emb)
            kept, t_open = store.count(), time.perf_counter()
            lex = FtsIndex.for_store(store)  # a kept index from before tantivy: its BM25 is built here
            opened = {"kept_chunks": kept, "open_s": time.perf_counter() - t_open}
            t = time.perf_counter()
            pool = SentencePool()
            print(f"sentence pool: {time.perf_counter() - t:.0f} s", flush=True)
            queries = QUERIES + corpus_queries(pool.sentences, 12)
            vectors = emb.embed_array(queries).tolist()
            env = {**os.environ, "PARLEY_DATA_DIR": str(s.data_dir),
                   "PARLEY_CHROMA_URL": url, "PARLEY_COLLECTION": "bench"}
            rows, fill_s = [], 0.0
            for n in [int(x) for x in a.sizes.split(",") if x]:
                t = time.perf_counter()
                spent = fill_to(store, lex, pool, n, log=lambda m: print(m, flush=True))
                t_v = time.perf_counter()  # a store kept from before vectors sat beside the index
                spent.update(vectors_copied=lex.fill_vectors(store), vectors_s=time.perf_counter() - t_v)
                fill_s += time.perf_counter() - t
                print(f"{n:,} chunks: fill {fill_s:.0f} s total ({spent})", flush=True)
                r = probe(env, queries, vectors, a.reps, not a.no_contains, root)
                rows.append({"chunks": r["chunks"], "fill_s": fill_s, "probe": r, "spent": spent, "opened": opened,
                             "server_rss_mb": rss_mb(proc.pid), "chroma_mb": du_mb(root / "db"),
                             "index_mb": du_mb(lex.path.parent)})
                print(json.dumps(rows[-1]), flush=True)
                md = render(rows, cmd, len(queries), a.reps, a.bulk)
                if not a.no_save:
                    save_section("bench_server_bulk" if a.bulk else "bench_server", md)
            print(md)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
