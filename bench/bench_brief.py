"""Benchmark briefs on the seeds with the embedded model: analysis per article, then briefs.

    .venv/bin/python -m bench.bench_brief [--threads 1] [--actor Russia] [--out bench/RESULTS-brief.md]
    .venv/bin/python -m bench.bench_brief --positions   # print the statement pairs behind PositionPolicy

Measured in one run, in a fresh data directory: ingest (embeddings + ledger at ingest), the stance
fill every default brief reads (`parley analyse`), then the actor's brief three ways: in a new
`parley brief` process after the analysis (what a user runs), and twice in this process. A cold
brief (no analysis: the stance it needs is labelled on first need) is timed in a second data
directory, so the ratio cold / analysed is measured on the same machine in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chains.positions import _words, overlap
from parley.core.settings import Settings
from parley.service import Parley

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


# the joined GGUF is cached once, as the tests do: joining it per data dir would be timed too
MODELS = Path(os.environ.get("PARLEY_SHARED_MODELS_DIR") or "~/.cache/parley/models").expanduser()


def _settings(data: Path, threads: int) -> Settings:
    return Settings(data_dir=data, n_threads=threads, n_ctx=2048, max_tokens=32,
                    shared_models_dir=MODELS)


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run(threads: int, actor: str) -> dict:
    """Every figure of the report, measured in this run."""
    root = Path(tempfile.mkdtemp(prefix="parley-bench-brief-"))
    svc = Parley(_settings(root / "warm", threads))
    report, ingest_s = _timed(svc.ingest, [SEEDS])
    articles = svc.articles()
    _, ledger_s = _timed(svc.analyse_ledger, force=True)
    prog, fill_s = _timed(svc.fill_stance)
    labelled = prog.done - prog.cached
    statements = svc.analysis._run("SELECT body FROM stance")
    n_statements = sum(body.count('"span"') for (body,) in statements)
    env = {**os.environ, "PARLEY_DATA_DIR": str(root / "warm"), "PARLEY_N_THREADS": str(threads),
           "PARLEY_N_CTX": "2048", "PARLEY_SHARED_MODELS_DIR": str(MODELS)}
    cli = Path(sys.executable).with_name("parley")
    t = time.perf_counter()
    done = subprocess.run([str(cli), "brief", actor, "--json"], env=env, capture_output=True,
                          text=True, timeout=600)
    cli_s = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"parley brief failed: {done.stderr[-500:]}")
    first, first_s = _timed(svc.brief, actor)
    _, second_s = _timed(svc.brief, actor)
    cold_svc = Parley(_settings(root / "cold", threads))
    cold_svc.ingest([SEEDS])
    cold, cold_s = _timed(cold_svc.brief, actor)
    return {
        "articles": len(articles), "chunks": report.chunks, "ingest_s": ingest_s,
        "ledger_s": ledger_s, "quotes": svc.analysis.counts()["quotes"],
        "pairs": labelled, "statements": n_statements, "fill_s": fill_s,
        "cli_s": cli_s, "first_s": first_s, "second_s": second_s, "cold_s": cold_s,
        "positions": len(first.positions), "labels": [e.stance.label for e in first.timeline],
        "same": first == cold, "actor": actor, "threads": threads,
    }


def markdown(r: dict) -> str:
    """The results as the committed Markdown report."""
    per_article = r["fill_s"] / r["articles"]
    return f"""# Brief bench (embedded Qwen2.5 0.5B, {r['threads']} thread, seeds)

`.venv/bin/python -m bench.bench_brief --threads {r['threads']} --actor {r['actor']}` — one run, fresh data
directories, on the shared 2-core machine (load from other work varies; ratios are within one run).

| step | seconds | notes |
|---|---|---|
| ingest {r['articles']} articles ({r['chunks']} chunks) | {r['ingest_s']:.1f} | embeddings + ledger at ingest |
| ledger at ingest, all articles | {r['ledger_s']:.2f} | {r['ledger_s'] / r['articles'] * 1000:.0f} ms per article (rules, no model); {r['quotes']} entries |
| stance analysis (`parley analyse`) | {r['fill_s']:.1f} | {r['pairs']} article/actor pairs, {r['statements']} statements: **{per_article:.1f} s per article**, {r['fill_s'] / max(1, r['statements']):.2f} s per statement |
| `parley brief {r['actor']} --json`, new process, after analysis | {r['cli_s']:.1f} | includes start-up and imports |
| brief in process, after analysis (first) | {r['first_s']:.2f} | no model call |
| brief in process, second run | {r['second_s']:.2f} | |
| brief with no analysis (first need) | {r['cold_s']:.1f} | labels its statements on the spot |

A brief with no analysis costs {r['cold_s']:.1f} s in process; after analysis a whole new `parley brief`
process takes {r['cli_s']:.1f} s ({r['cold_s'] / r['cli_s']:.1f}x less, start-up included) and the brief itself
{r['first_s']:.2f} s. Same brief either way: {r['same']}.
{r['actor']}: {r['positions']} distinct positions; timeline labels (dated articles, oldest first): {', '.join(str(x) for x in r['labels'])}.
"""


def print_pairs(threads: int, actor: str) -> None:
    """Every pair of the actor's seed statements with its overlap (to set PositionPolicy)."""
    svc = Parley(_settings(Path(tempfile.mkdtemp(prefix="parley-pairs-")), threads))
    svc.ingest([SEEDS])
    found = svc.registry.resolve(actor)
    quotes = svc.analysis.quotes_of(found.id)
    for i, a in enumerate(quotes):
        for b in quotes[i + 1 :]:
            sim = overlap(_words(a, 3), _words(b, 3))
            if sim >= 0.5:
                print(f"{sim:.2f}  {a.source[:3]} {a.text[:60]!r}  ~  {b.source[:3]} {b.text[:60]!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--actor", default="Russia")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS-brief.md")
    ap.add_argument("--positions", action="store_true", help="print statement pairs and exit")
    args = ap.parse_args()
    if args.positions:
        print_pairs(args.threads, args.actor)
        return
    text = markdown(run(args.threads, args.actor))
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
