"""Score the stance step on any labelled CSV (SemEval-style: text, target, FAVOR/AGAINST/NONE).

Each row becomes one statement by "the author" about the row's target; the stance chain labels
it. Outside data has no `conditional` / `noncommittal`: our outcome probabilities are mapped onto
its labels (`pred_map`, default noncommittal → none, "takes no position") and summed, and the
prediction is the most probable label on that scale; unmapped outcomes stay as they are and
count as errors in the confusion matrix.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from chains.stance import StanceChain
from evals.calibration import majority_baseline, reliability
from evals.fixtures import StanceExample, from_schema_label, load_stance_csv
from evals.metrics import StanceReport, stance_report
from evals.plan import EvalError
from parley.core.schema import SourceSpan

ACTOR = "the author"
DEFAULT_MAP = {"FAVOR": "open", "AGAINST": "opposed", "NONE": "none"}
DEFAULT_PRED_MAP = {"noncommittal": "none"}


def parse_map(text: str | None, default: Mapping[str, str]) -> dict[str, str]:
    """Parse `A=x,B=y` into a mapping (default when text is empty)."""
    if not text:
        return dict(default)
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise EvalError(f"--map/--pred-map: {part!r} is not LABEL=ours (e.g. FAVOR=open)")
        out[key.strip()] = value.strip()
    return out


def predict(examples: list[StanceExample], model: BaseChatModel, *,
            progress: bool = False) -> list[dict[str, Any]]:
    """Run the stance step on each example; rows with gold, raw prediction and rationale."""
    chain = StanceChain(model)  # one chain: the content-free prior is scored once per target
    rows = []
    for ex in tqdm(examples, desc="stance", unit="row", file=sys.stderr, disable=not progress):
        span = SourceSpan(source=ex.id, start=0, end=len(ex.text), text=ex.text)
        st = chain.classify(ACTOR, ex.target, [span] if ex.text.strip() else [], source=ex.id)
        rows.append({"id": ex.id, "target": ex.target, "text": ex.text, "gold": ex.label,
                     "raw": from_schema_label(st.label), "confidence": st.confidence,
                     "probabilities": dict(st.probabilities), "rationale": st.rationale})
    return rows


def score(rows: list[dict[str, Any]], pred_map: Mapping[str, str]) -> StanceReport:
    """Accuracy, macro-F1 and per-class scores after mapping predictions with pred_map."""
    for r in rows:
        mapped: dict[str, float] = {}  # the distribution on the CSV's scale
        for k, v in r.get("probabilities", {}).items():
            mapped[pred_map.get(k, k)] = mapped.get(pred_map.get(k, k), 0.0) + v
        r["mapped_probabilities"] = mapped
        # the most probable outcome on the CSV's scale (two of ours may merge into one of its)
        r["pred"] = (max(mapped, key=lambda k: mapped[k]) if mapped
                     else pred_map.get(r["raw"], r["raw"]))
    return stance_report([r["gold"] for r in rows], [r["pred"] for r in rows])


def extras(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The majority-label baseline and the calibration of scored rows (after `score`)."""
    out: dict[str, Any] = {"majority": majority_baseline([r["gold"] for r in rows])}
    cal = [r for r in rows if r.get("mapped_probabilities")]
    if cal:  # the confidence of what was predicted, on the CSV's scale
        rep = reliability([r["mapped_probabilities"].get(r["pred"], 0.0) for r in cal],
                          [r["pred"] == r["gold"] for r in cal])
        out["calibration"] = rep.model_dump()
    return out


def score_csv(path: Path, text_col: str, target_col: str, label_col: str, model: BaseChatModel,
              *, label_map: Mapping[str, str] | None = None,
              pred_map: Mapping[str, str] | None = None, encoding: str = "utf-8",
              limit: int | None = None, progress: bool = False) -> tuple[StanceReport, list[dict]]:
    """Load a CSV, run the stance step on each row, and score it."""
    examples = load_stance_csv(path, text_col, target_col, label_col,
                               label_map or DEFAULT_MAP, encoding=encoding)
    if limit is not None:
        examples = examples[:limit]
    if not examples:
        raise EvalError(f"{path}: no rows to score")
    rows = predict(examples, model, progress=progress)
    return score(rows, pred_map if pred_map is not None else DEFAULT_PRED_MAP), rows


def render(report: StanceReport, more: dict[str, Any] | None = None) -> str:
    """Accuracy, macro-F1 (and the majority baseline, ECE), per-class table, confusion, as text."""
    lines = [f"n={report.n}  accuracy={report.accuracy:.3f}  macro-F1={report.macro_f1:.3f}"]
    if more and "majority" in more:
        m = more["majority"]
        lines.append(f"majority baseline (always {m['label']}): accuracy={m['accuracy']:.3f}  "
                     f"macro-F1={m['macro_f1']:.3f}")
    if more and "calibration" in more:
        c = more["calibration"]
        lines.append(f"calibration: ECE={c['ece']:.3f} over {c['n']} rows, mean confidence "
                     f"{c['mean_confidence']:.3f}")
    lines += ["", f"{'class':<14}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}"]
    for c in report.per_class:
        lines.append(f"{c.label:<14}{c.precision:>7.3f}{c.recall:>7.3f}{c.f1:>7.3f}{c.support:>9}")
    width = max(len(lb) for lb in report.labels) + 2
    lines += ["", "confusion (rows gold, columns predicted)",
              " " * 14 + "".join(lb[:width - 1].rjust(width) for lb in report.labels)]
    for lb, row in zip(report.labels, report.confusion, strict=True):
        lines.append(f"{lb:<14}" + "".join(str(x).rjust(width) for x in row))
    return "\n".join(lines)
