"""Turn raw eval outputs into metrics: per item, per variant (with per-tag breakdown), and diffs.

Recomputed from the cached `Answer` / `Stance` on every run (nothing here is cached), with the
pure functions of `evals/metrics.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evals.calibration import stance_calibration
from evals.fixtures import from_schema_label
from evals.metrics import (
    abstention_report,
    boilerplate_leakage,
    citation_precision,
    citation_recall,
    fact_recall,
    forbidden_present,
    latency_summary,
    mean_defined,
    mrr,
    recall_at_k,
    span_validity,
    stance_report,
)
from evals.runner import EvalRun, QAResult, StanceResult

# the aggregate metrics that a baseline gates, and which way is better
QA_GATED = {"fact_recall": 1, "recall_at_k": 1, "mrr": 1, "citation_precision": 1,
            "citation_recall": 1, "span_validity": 1, "abstention_accuracy": 1,
            "false_abstention_rate": -1, "boilerplate_leakage": -1}
STANCE_GATED = {"accuracy": 1, "macro_f1": 1, "accuracy_unambiguous": 1,
                "macro_f1_unambiguous": 1}


def score_qa(r: QAResult, run: EvalRun, k: int) -> dict[str, Any]:
    """Every per-item Q&A metric for one cell (None where a metric does not apply)."""
    item, a = r.item, r.answer
    texts = {s: art.text for s, art in run.articles.items()}
    kept = {s: art.kept for s, art in run.articles.items()}
    retrieval = item.answerable and bool(item.sources)
    return {
        "item": item.id, "variant": r.variant, "question": item.question,
        "answerable": item.answerable, "tags": list(item.tags),
        "answer": a.answer, "abstained": a.abstained, "abstain_reason": a.abstain_reason,
        "abstention_correct": a.abstained == (not item.answerable),
        "fact_recall": fact_recall(a.answer, item.facts) if item.answerable else None,
        "recall_at_k": recall_at_k(a.passages, item.sources, k) if retrieval else None,
        "mrr": mrr(a.passages, item.sources, k) if retrieval else None,
        "citation_precision": citation_precision(a, texts),
        "citation_recall": citation_recall(a, texts),
        "span_validity": span_validity(a, texts),
        "boilerplate_leakage": boilerplate_leakage(a, kept),
        "citations": [f"[{c.n}] {c.source}:{c.start}-{c.end}" for c in a.citations],
        "latency_s": a.timings.total_s,
        # evidence-first answers: time to the evidence, the model's answerability, the line
        "evidence_s": a.timings.evidence_s, "answerability": a.answerability,
        "line": a.line, "line_check": a.line_check,
        "forbidden": forbidden_present(a.answer, item.forbidden) if item.forbidden else None,
        "prompt_tokens": a.prompt_tokens, "completion_tokens": a.completion_tokens,
        "cached": r.cached,
    }


def aggregate_qa(rows: Sequence[dict[str, Any]], results: Sequence[QAResult]) -> dict[str, Any]:
    """Means (over defined values), abstention rates, latency percentiles, per-tag breakdown."""
    if not rows:
        return {"n": 0}
    ab = abstention_report([(r.answer, r.item) for r in results])
    lat = latency_summary([row["latency_s"] for row in rows])
    out: dict[str, Any] = {"n": len(rows), "answerable": ab.answerable,
                           "unanswerable": ab.unanswerable}
    for m in ("fact_recall", "recall_at_k", "mrr", "citation_precision", "citation_recall",
              "span_validity", "boilerplate_leakage", "prompt_tokens", "completion_tokens"):
        out[m] = mean_defined(row[m] for row in rows)
    out.update(abstention_accuracy=ab.accuracy, false_abstention_rate=ab.false_abstention_rate,
               missed_abstention_rate=ab.missed_abstention_rate,
               latency_p50_s=lat.p50, latency_p95_s=lat.p95)
    ev_times = [row["evidence_s"] for row in rows if row.get("evidence_s") is not None]
    out["evidence_p50_s"] = latency_summary(ev_times).p50 if ev_times else None
    out["forbidden_rate"] = mean_defined(row["forbidden"] for row in rows)
    answered = [row for row in rows if not row["abstained"]]
    out["line_rate"] = (sum(row["line"] is not None for row in answered) / len(answered)
                        if answered else None)
    tags: dict[str, dict[str, Any]] = {}
    for tag in sorted({t for row in rows for t in row["tags"]}):
        sub = [row for row in rows if tag in row["tags"]]
        tags[tag] = {"n": len(sub), "fact_recall": mean_defined(r["fact_recall"] for r in sub),
                     "abstention_accuracy": sum(r["abstention_correct"] for r in sub) / len(sub)}
    out["by_tag"] = tags
    return out


def score_stance(r: StanceResult) -> dict[str, Any]:
    """Per-item stance row (pred None when the step could not run)."""
    pred = from_schema_label(r.stance.label) if r.stance else None
    return {
        "item": r.item.id, "variant": r.variant, "actor": r.item.actor, "topic": r.item.topic,
        "source": r.item.source, "tags": list(r.item.tags), "gold": r.item.label, "pred": pred,
        "correct": pred == r.item.label if pred is not None else None,
        "confidence": r.stance.confidence if r.stance else None,
        "rationale": r.stance.rationale if r.stance else r.note,
        "evidence": [e.text for e in r.stance.evidence] if r.stance else [],
        "statements": len(r.statements), "cached": r.cached, "note": r.note,
        "probabilities": dict(r.stance.probabilities) if r.stance else {},
        "statement_labels": [{"text": s.span.text, "label": s.label,
                              "confidence": s.confidence, "offtopic": s.offtopic}
                             for s in r.labelled],
    }


def _stance_block(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    scored = [r for r in rows if r["pred"] is not None]
    if not scored:
        return None
    # labels present in gold or predictions: an absent class would add a 0 F1 to the macro mean
    rep = stance_report([r["gold"] for r in scored], [r["pred"] for r in scored])
    return rep.model_dump()


def aggregate_stance(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class P/R/F1 and confusion, with and without `ambiguous` items."""
    full = _stance_block(rows)
    clear = _stance_block([r for r in rows if "ambiguous" not in r["tags"]])
    return {
        "n": len(rows), "scored": sum(r["pred"] is not None for r in rows),
        "accuracy": full["accuracy"] if full else None,
        "macro_f1": full["macro_f1"] if full else None,
        "accuracy_unambiguous": clear["accuracy"] if clear else None,
        "macro_f1_unambiguous": clear["macro_f1"] if clear else None,
        "report": full, "report_unambiguous": clear,
        **stance_calibration(rows),
    }


def qa_correct(row: dict[str, Any]) -> tuple[float, bool]:
    """What a diff compares: fact recall (0 for unanswerable) and abstention correctness."""
    return (row["fact_recall"] or 0.0, row["abstention_correct"])


def diffs(rows_by_variant: dict[str, list[dict[str, Any]]], reference: str,
          key: Any = qa_correct) -> dict[str, list[dict[str, Any]]]:
    """Per variant: items it broke or fixed relative to `reference` (by `key`, higher is better)."""
    ref = {r["item"]: r for r in rows_by_variant.get(reference, [])}
    out: dict[str, list[dict[str, Any]]] = {}
    for name, rows in rows_by_variant.items():
        if name == reference:
            continue
        changes = []
        for row in rows:
            before = ref.get(row["item"])
            if before is None or key(before) == key(row):
                continue
            worse = any(b > a for b, a in zip(key(before), key(row), strict=True))
            better = any(a > b for b, a in zip(key(before), key(row), strict=True))
            kind = "changed" if worse and better else ("broke" if worse else "fixed")
            changes.append({"item": row["item"], "kind": kind, "before": before, "after": row})
        out[name] = changes
    return out


def stance_correct(row: dict[str, Any]) -> tuple[bool]:
    """What a stance diff compares: whether the label is right."""
    return (bool(row["correct"]),)


def summarize(run: EvalRun) -> dict[str, Any]:
    """The whole report as one JSON-able dict: variants, aggregates, items, diffs, notes."""
    ks = {v.name: v.k for v in run.variants}
    qa_rows: dict[str, list[dict[str, Any]]] = {v.name: [] for v in run.variants}
    st_rows: dict[str, list[dict[str, Any]]] = {v.name: [] for v in run.variants}
    for r in run.qa:
        qa_rows[r.variant].append(score_qa(r, run, ks[r.variant]))
    for s in run.stance:
        st_rows[s.variant].append(score_stance(s))
    ref = run.variants[0].name
    variants = []
    for v in run.variants:
        entry: dict[str, Any] = {"name": v.name, "description": v.description.strip(),
                                 "model": run.model_labels[v.name], "k": v.k,
                                 "prompts": {s: t.digest for s, t in run.prompts[v.name].items()}}
        if run.qa_items:
            entry["qa"] = aggregate_qa(qa_rows[v.name], [r for r in run.qa if r.variant == v.name])
        if run.stance_items:
            entry["stance"] = aggregate_stance(st_rows[v.name])
        variants.append(entry)
    return {
        "corpus_hash": run.corpus_hash, "reference": ref, "variants": variants,
        "qa_items": qa_rows if run.qa_items else {}, "stance_items": st_rows if run.stance_items else {},
        "qa_diffs": diffs(qa_rows, ref) if run.qa_items else {},
        "stance_diffs": diffs(st_rows, ref, stance_correct) if run.stance_items else {},
        "cache": {"hits": run.cache_hits, "run": run.cells_run}, "notes": run.notes,
    }
