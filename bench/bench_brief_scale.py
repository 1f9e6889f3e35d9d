"""Briefs over a large generated corpus: what a brief reads, what it leaves out, how fast once analysed.

    .venv/bin/python -m bench.bench_brief_scale [--n 2000] [--actor Russia] [--out bench/RESULTS-brief-scale.md]

N generated articles (bench/corpus.py: seed-shaped sentences, realistic length and vocabulary)
plus the seeds are ingested with the real MiniLM embeddings; the ledger at ingest is timed.
The actor's brief then runs twice, with the embedded model's settings:
- first run: it reads at most BriefPolicy.max_articles articles (retrieval, then recency) and
  labels their statements on first need. Here that labelling is done by the test suite's fake
  fixed-logprob model (tests/choice_helpers.py) stored under the embedded model's name, because
  ~N hundred statements at the embedded model's measured cost (bench/RESULTS-brief.md) would hold
  this shared 2-core machine for most of an hour: the report gives the statement count and the
  estimate from the seeds' per-statement cost, marked as an estimate.
- second run (analysis cached): timed for real, in this process and as a new `parley brief`
  process (store reads, statement selection with the real embedder, retrieval, positions).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import write_articles
from parley.core.settings import Settings
from parley.service import Parley
from tests.choice_helpers import logprob_model

REPO = Path(__file__).resolve().parent.parent
# the fake model's fixed option probabilities (labels do not matter for timing)
FIXED = {"A": 0.2, "B": 0.4, "C": 0.2, "D": 0.1, "E": 0.1}


def _seconds_per_statement() -> float | None:
    """The embedded model's cost per statement, from the committed seeds bench."""
    path = REPO / "bench" / "RESULTS-brief.md"
    m = re.search(r"([\d.]+) s per statement", path.read_text(encoding="utf-8")) if path.is_file() else None
    return float(m.group(1)) if m else None


def run(n: int, actor: str) -> dict:
    """Every figure of the report, measured in this run."""
    root = Path(tempfile.mkdtemp(prefix="parley-bench-brief-scale-"))
    write_articles(root / "corpus", n)
    models = Path(os.environ.get("PARLEY_SHARED_MODELS_DIR") or "~/.cache/parley/models").expanduser()
    settings = Settings(data_dir=root / "data", n_threads=1, n_ctx=2048, shared_models_dir=models)
    svc = Parley(settings, model=logprob_model(FIXED))
    t = time.perf_counter()
    report = svc.ingest([root / "corpus", REPO / "seeds"])
    ingest_s = time.perf_counter() - t
    t = time.perf_counter()
    svc.analyse_ledger(force=True)
    ledger_s = time.perf_counter() - t
    seen: list = []
    t = time.perf_counter()
    first = svc.brief(actor, progress=seen.append)
    first_s = time.perf_counter() - t
    labelled = sum(len(json.loads(b)) for (b,) in svc.analysis._run("SELECT body FROM stance"))
    t = time.perf_counter()
    second = svc.brief(actor)
    second_s = time.perf_counter() - t
    env = {**os.environ, "PARLEY_DATA_DIR": str(root / "data"), "PARLEY_N_THREADS": "1",
           "PARLEY_N_CTX": "2048", "PARLEY_SHARED_MODELS_DIR": str(models)}
    t = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("parley")), "brief", actor, "--json"],
                          env=env, capture_output=True, text=True, timeout=1200)
    cli_s = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"parley brief failed: {done.stderr[-800:]}")
    data = json.loads(done.stdout)
    cost = _seconds_per_statement()
    return {
        "n": report.files, "chunks": report.chunks, "ingest_s": ingest_s, "ledger_s": ledger_s,
        "cov": first.coverage, "statements": labelled, "first_s": first_s, "second_s": second_s,
        "cli_s": cli_s, "json_kb": len(done.stdout.encode()) / 1024,
        "per_article": len(data["per_article"]), "cost": cost, "same": first == second,
        "progress_lines": len(seen), "actor": actor,
        "cli_model_lines": done.stderr.count("stance of"),
    }


def markdown(r: dict) -> str:
    """The results as the committed Markdown report."""
    cov = r["cov"]
    est = (f"~{r['statements'] * r['cost'] / 60:.0f} min ({r['statements']} statements × "
           f"{r['cost']:.2f} s, the seeds bench's per-statement cost; an estimate)"
           if r["cost"] else "no per-statement cost measured yet (run bench.bench_brief)")
    return f"""# Brief over a large generated corpus ({r['n']} articles)

`.venv/bin/python -m bench.bench_brief_scale --n {r['n'] - 5} --actor {r['actor']}` — one run on the shared
2-core machine, real MiniLM embeddings, embedded-model settings.

| step | value |
|---|---|
| ingest {r['n']} articles ({r['chunks']} chunks): embeddings, then the ledger | {r['ingest_s']:.0f} s |
| ledger alone (rules, no model), all articles again | {r['ledger_s']:.1f} s ({r['ledger_s'] / r['n'] * 1000:.0f} ms per article) |
| {r['actor']}: articles with its statements / read / left out | {cov.relevant} / {cov.read} / {cov.left_out} |
| {r['actor']}: named only in others' claims | {cov.others_only} articles |
| first run: statements labelled on first need | {r['statements']} (progress reported {r['progress_lines']} times) |
| first run with the embedded model | {est} |
| second run (analysis cached), in process | {r['second_s']:.1f} s |
| second run as `parley brief {r['actor']} --json`, new process | {r['cli_s']:.1f} s (stance progress lines: {r['cli_model_lines']}) |
| its JSON | {r['json_kb']:.0f} kB; per_article lists {r['per_article']} articles (those with a position) |

The first run's labelling here was done by the fake fixed-logprob model (see the module
docstring); its wall time ({r['first_s']:.1f} s) is the brief's own work around the labels.
Second run equals the first: {r['same']}.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--actor", default="Russia")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS-brief-scale.md")
    args = ap.parse_args()
    text = markdown(run(args.n, args.actor))
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
