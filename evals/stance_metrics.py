"""Stance metrics: accuracy, confusion matrix, per-class precision/recall/F1 and macro-F1.

Gold and predicted labels are `Stance.label` values or the gold spelling; None ≡ "none".
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from evals.fixtures import STANCE_LABELS


class ClassScores(BaseModel):
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # gold items with this label


class StanceReport(BaseModel):
    n: int
    accuracy: float
    macro_f1: float
    labels: list[str]
    per_class: list[ClassScores]
    confusion: list[list[int]]  # rows: gold, columns: predicted, in `labels` order


def _norm_labels(gold: Sequence[str | None], pred: Sequence[str | None]) -> tuple[list[str], list[str]]:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    if not gold:
        raise ValueError("stance metrics need at least one item")
    # Stance.label None means "no position", which the gold data spells "none"
    return ["none" if g is None else g for g in gold], ["none" if p is None else p for p in pred]


def _default_labels(gold: list[str], pred: list[str]) -> list[str]:
    seen = set(gold) | set(pred)
    return [lb for lb in STANCE_LABELS if lb in seen] + sorted(seen - set(STANCE_LABELS))


def accuracy(gold: Sequence[str | None], pred: Sequence[str | None]) -> float:
    """Share of predictions equal to the gold label (None and "none" are the same)."""
    g, p = _norm_labels(gold, pred)
    return sum(a == b for a, b in zip(g, p, strict=True)) / len(g)


def confusion_matrix(
    gold: Sequence[str | None], pred: Sequence[str | None], labels: Sequence[str] | None = None
) -> list[list[int]]:
    """Counts m[i][j] of items with gold labels[i] predicted as labels[j]."""
    g, p = _norm_labels(gold, pred)
    labels = list(labels) if labels is not None else _default_labels(g, p)
    idx = {lb: i for i, lb in enumerate(labels)}
    unknown = sorted((set(g) | set(p)) - set(idx))
    if unknown:
        raise ValueError(f"labels {unknown} are not in {labels}")
    m = [[0] * len(labels) for _ in labels]
    for a, b in zip(g, p, strict=True):
        m[idx[a]][idx[b]] += 1
    return m


def stance_report(
    gold: Sequence[str | None], pred: Sequence[str | None], labels: Sequence[str] | None = None
) -> StanceReport:
    """Accuracy, per-class P/R/F1 (0 where undefined) and macro-F1 over `labels`.

    Default labels: those occurring in gold or predictions, in STANCE_LABELS order.
    """
    g, p = _norm_labels(gold, pred)
    labels = list(labels) if labels is not None else _default_labels(g, p)
    m = confusion_matrix(g, p, labels)
    per: list[ClassScores] = []
    for i, lb in enumerate(labels):
        tp, predicted, actual = m[i][i], sum(row[i] for row in m), sum(m[i])
        prec = tp / predicted if predicted else 0.0
        rec = tp / actual if actual else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per.append(ClassScores(label=lb, precision=prec, recall=rec, f1=f1, support=actual))
    return StanceReport(
        n=len(g),
        accuracy=accuracy(g, p),
        macro_f1=sum(c.f1 for c in per) / len(per),
        labels=labels,
        per_class=per,
        confusion=m,
    )


def macro_f1(
    gold: Sequence[str | None], pred: Sequence[str | None], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1 over `labels` (see stance_report)."""
    return stance_report(gold, pred, labels).macro_f1
