"""Benchmark evidence-first answers against today's `ask`, in one run, as ratios.

    .venv/bin/python -m bench.bench_answer [--threads 1] [--repeat 1] [--out bench/RESULTS-answer.md]

Same process, same loaded model, same retriever: for each question, today's `ask` (synthesis:
the model writes a sentence, Parley cites it; today's abstain rules) and the evidence-first
answer (the passages' sentences at once, then the model's choices and a checked line) run one
after the other, alternating which goes first. Reported: time to evidence (question in →
evidence event, no model), time to the full answer, today's time to the full answer and its
first token, p50 over questions and the ratios of the p50s. One warm-up question per mode runs
first (model load and the content-free priors, paid once per process) and is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from chains.abstain import AbstainPolicy, AnswerPolicy
from parley.core.settings import Settings
from parley.service import Parley

REPO = Path(__file__).resolve().parent.parent
WARMUP = "What did Zakharova say about negotiations with the United States?"
QUESTIONS = [
    "Who held the first high-level US-Russia contact after the invasion?",
    "How many soldiers does the West say Russia gathered on the Ukrainian border?",
    "What did Ryabkov say about concessions?",
    "What security guarantees did Russia demand from the US and NATO?",
    "What did Lavrov and Blinken agree in their Tuesday phone call?",
    "Why did the Kremlin say there are no talks with Kyiv?",
]
TODAY = AnswerPolicy(abstain=AbstainPolicy(entity_rule=False, use_answerability=False))


def _time(parley: Parley, mode: str, question: str) -> dict:
    chain = parley.qa_chain(mode=mode, policy=TODAY if mode == "synthesis" else None)
    t0 = time.perf_counter()
    evidence = first = None
    answer = None
    for ev in chain.stream(question):
        now = time.perf_counter() - t0
        if ev.type == "evidence" and evidence is None:
            evidence = now
        elif ev.type == "token" and first is None:
            first = now
        elif ev.type == "answer":
            answer = ev.answer
    total = time.perf_counter() - t0
    assert answer is not None
    return {"mode": mode, "question": question, "evidence_s": evidence, "first_token_s": first,
            "total_s": total, "abstained": answer.abstained, "line": answer.line is not None,
            "citations": len(answer.citations)}


def run(threads: int, repeat: int) -> tuple[list[dict], list[dict]]:
    """(warm-up rows, measured rows), modes alternating which goes first."""
    data = Path(tempfile.mkdtemp(prefix="parley-bench-answer-"))
    settings = Settings(data_dir=data / "data", n_threads=threads, max_tokens=96, n_ctx=2048)
    parley = Parley(settings)
    parley.ingest([REPO / "seeds"])
    warm = [_time(parley, m, WARMUP) for m in ("synthesis", "evidence")]
    rows = []
    for r in range(repeat):
        for i, q in enumerate(QUESTIONS):
            order = ("synthesis", "evidence") if (i + r) % 2 == 0 else ("evidence", "synthesis")
            rows += [_time(parley, m, q) for m in order]
    return warm, rows


def _p50(rows: list[dict], mode: str, key: str) -> float:
    vals = [r[key] for r in rows if r["mode"] == mode and r[key] is not None]
    return statistics.median(vals) if vals else float("nan")


def table(warm: list[dict], rows: list[dict], threads: int) -> str:
    """Markdown: per question, then p50s and ratios."""
    lines = [f"n_threads={threads}, Qwen2.5-Coder-0.5B Q4_K_M, seeds, {len(QUESTIONS)} questions",
             "", "| question | today: 1st token s | today: total s | evidence s | evidence-first: "
             "total s | line shown | abstained (today / evidence-first) |", "|---|---|---|---|---|---|---|"]
    for q in QUESTIONS:
        for t, e in zip([r for r in rows if r["question"] == q and r["mode"] == "synthesis"],
                        [r for r in rows if r["question"] == q and r["mode"] == "evidence"],
                        strict=True):
            first = f"{t['first_token_s']:.2f}" if t["first_token_s"] is not None else "—"
            lines.append(f"| {q[:50]} | {first} | {t['total_s']:.2f} | {e['evidence_s']:.2f} | "
                         f"{e['total_s']:.2f} | {e['line']} | {t['abstained']} / {e['abstained']} |")
    today = _p50(rows, "synthesis", "total_s")
    ev, full = _p50(rows, "evidence", "evidence_s"), _p50(rows, "evidence", "total_s")
    lines += ["", f"p50: time to evidence **{ev:.2f} s** ({ev / today:.2f}× today's full answer); "
                  f"evidence-first full answer **{full:.2f} s** vs today's `ask` {today:.2f} s: "
                  f"ratio **{full / today:.2f}×**.",
              "Warm-up (model load, content-free priors; once per process): " + ", ".join(
                  f"{w['mode']} {w['total_s']:.1f} s" for w in warm) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args(argv)
    warm, rows = run(args.threads, args.repeat)
    out = table(warm, rows, args.threads)
    print(out)
    if args.out:
        args.out.write_text("# Evidence-first answers vs today's `ask`\n\nCommand: `.venv/bin/python "
                            f"-m bench.bench_answer --threads {args.threads} --repeat {args.repeat}`"
                            "\n\n" + out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
