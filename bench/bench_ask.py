"""Benchmark `ask` on the seeds: time to first token and total, against the bare model answering
the exact same prompt in the same run (Parley's overhead as a ratio), plus peak memory.

    .venv/bin/python -m bench.bench_ask [--threads 1] [--max-tokens 80] [--repeat 1] [--out bench/RESULTS-ask.md]

The bare run reuses the already loaded llama.cpp model and the exact messages the chain sent,
so the ratio isolates Parley's work: retrieval, sentence focus, citation attach/verify.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.bench_llm import time_bare_llama
from chains.llamacpp import load_llama, to_chat_dicts
from chains.modelfiles import ensure_local_model
from parley.core.settings import Settings
from parley.service import Parley

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Who held the first high-level US-Russia contact after the invasion?",
    "How many soldiers does the West say Russia gathered on the Ukrainian border?",
    "What did Ryabkov say about concessions?",
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(threads: int, max_tokens: int, repeat: int) -> list[dict]:
    """Time each question through Parley and bare, alternating, `repeat` times."""
    data = Path(tempfile.mkdtemp(prefix="parley-bench-ask-"))
    settings = Settings(data_dir=data / "data", n_threads=threads, max_tokens=max_tokens, n_ctx=2048)
    parley = Parley(settings)
    t0 = time.perf_counter()
    parley.ingest([REPO / "seeds"])
    ingest_s = time.perf_counter() - t0
    mem_after_ingest = _peak_mb()
    gguf = ensure_local_model(settings)
    chain = parley.qa_chain()
    rows = []
    for q in QUESTIONS:
        for _ in range(repeat):
            first = total = None
            t = time.perf_counter()
            for ev in chain.stream(q):
                if ev.type == "token" and first is None:
                    first = time.perf_counter() - t
            total = time.perf_counter() - t
            answer = ev.answer
            msgs = to_chat_dicts(chain.last_messages)
            llm, lock = load_llama(gguf, settings.n_ctx, settings.n_threads)
            with lock:
                llm.reset()
                bare = time_bare_llama(gguf, msgs[1]["content"], system=msgs[0]["content"],
                                       max_tokens=max_tokens, llm=llm)
            rows.append({
                "question": q, "parley_first": first or total, "parley_total": total,
                "bare_first": bare.first_token_s, "bare_total": bare.total_s,
                "prompt_tokens": bare.prompt_tokens, "abstained": answer.abstained,
                "citations": len(answer.citations), "retrieve_s": answer.timings.retrieve_s,
                "cite_s": answer.timings.cite_s,
            })
    rows.append({"ingest_s": ingest_s, "peak_mb_after_ingest": mem_after_ingest, "peak_mb": _peak_mb()})
    return rows


def table(rows: list[dict], threads: int, max_tokens: int) -> str:
    """Markdown table with per-question figures and median ratios."""
    qs = [r for r in rows if "question" in r]
    meta = rows[-1]
    lines = [f"n_threads={threads}, max_tokens={max_tokens}, Qwen2.5-Coder-0.5B Q4_K_M, seeds ingested in "
             f"{meta['ingest_s']:.1f} s", "",
             "| question | prompt tok | Parley 1st tok s | bare 1st tok s | ratio | Parley total s | bare total s | ratio | cited | abstained |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in qs:
        lines.append(
            f"| {r['question'][:48]} | {r['prompt_tokens']} | {r['parley_first']:.2f} | {r['bare_first']:.2f} | "
            f"{r['parley_first'] / r['bare_first']:.2f} | {r['parley_total']:.2f} | {r['bare_total']:.2f} | "
            f"{r['parley_total'] / r['bare_total']:.2f} | {r['citations']} | {r['abstained']} |")
    med_first = statistics.median(r["parley_first"] / r["bare_first"] for r in qs)
    med_total = statistics.median(r["parley_total"] / r["bare_total"] for r in qs)
    lines += ["", f"Median overhead ratio (Parley / bare model on the same prompt): first token "
                  f"{med_first:.2f}×, total {med_total:.2f}×.",
              f"Peak RSS: {meta['peak_mb_after_ingest']:.0f} MB after ingest (ONNX embedder + Chroma), "
              f"{meta['peak_mb']:.0f} MB with the model loaded and answering."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=80)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args(argv)
    out = table(run(args.threads, args.max_tokens, args.repeat), args.threads, args.max_tokens)
    print(out)
    if args.out:
        args.out.write_text("# `ask` benchmark\n\n" + out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
