"""Is a confidence a probability? Expected calibration error, reliability tables, temperature.

A system is calibrated when, among the items it labels with confidence ~p, a share ~p is right.
`reliability` bins items by confidence (equal-width bins over [0, 1]) and compares each bin's
mean confidence with its accuracy; ECE is the item-weighted mean gap (Guo et al., 2017).
`fit_temperature` finds the one T that maximises the likelihood of the gold labels under
p ** (1/T) (renormalised); `crossval_ece` reports the ECE of that fit on held-out folds, so a
fitted temperature is not graded on the items it was fitted to. `majority_baseline` is the
score of always answering the most frequent gold label.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from chains.stance import temper
from evals.stance_metrics import stance_report

N_BINS = 10
# the temperatures tried: 0.05 … 20, evenly spaced in log T (a grid: deterministic, no optimiser)
T_GRID = [math.exp(math.log(0.05) + i * (math.log(20) - math.log(0.05)) / 400) for i in range(401)]


class ReliabilityBin(BaseModel):
    lo: float
    hi: float
    n: int
    confidence: float | None  # mean confidence in the bin (None: empty)
    accuracy: float | None  # share right in the bin (None: empty)


class CalibrationReport(BaseModel):
    n: int
    ece: float
    accuracy: float
    mean_confidence: float
    bins: list[ReliabilityBin]


def reliability(confidences: Sequence[float], correct: Sequence[bool],
                n_bins: int = N_BINS) -> CalibrationReport:
    """The reliability table and ECE of (confidence, right?) pairs."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    if not confidences:
        raise ValueError("calibration needs at least one item")
    if any(not 0.0 <= c <= 1.0 for c in confidences):
        raise ValueError("confidences must lie in [0, 1]")
    members: list[list[int]] = [[] for _ in range(n_bins)]
    for i, c in enumerate(confidences):
        members[min(int(c * n_bins), n_bins - 1)].append(i)
    bins, ece, n = [], 0.0, len(confidences)
    for b, idx in enumerate(members):
        conf = sum(confidences[i] for i in idx) / len(idx) if idx else None
        acc = sum(bool(correct[i]) for i in idx) / len(idx) if idx else None
        if idx:
            ece += len(idx) / n * abs(acc - conf)  # type: ignore[operator]
        bins.append(ReliabilityBin(lo=b / n_bins, hi=(b + 1) / n_bins, n=len(idx),
                                   confidence=conf, accuracy=acc))
    return CalibrationReport(n=n, ece=ece, accuracy=sum(map(bool, correct)) / n,
                             mean_confidence=sum(confidences) / n, bins=bins)


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool],
                               n_bins: int = N_BINS) -> float:
    """Item-weighted mean |accuracy - confidence| over equal-width confidence bins."""
    return reliability(confidences, correct, n_bins).ece


def nll(dists: Sequence[Mapping[str, float]], gold: Sequence[str], t: float = 1.0) -> float:
    """Mean negative log-likelihood of the gold outcomes under the tempered distributions."""
    return -sum(math.log(max(temper(dict(d), t).get(g, 0.0), 1e-12)) for d, g in zip(dists, gold, strict=True)) / len(gold)


def fit_temperature(dists: Sequence[Mapping[str, float]], gold: Sequence[str]) -> float:
    """The temperature on T_GRID with the lowest NLL (1.0 when there is nothing to fit)."""
    if not dists:
        return 1.0
    return min(T_GRID, key=lambda t: (nll(dists, gold, t), abs(math.log(t))))


def _top(dist: Mapping[str, float], gold: str) -> tuple[float, bool]:
    best = max(dist, key=lambda k: dist[k])
    return dist[best], best == gold


def calibration_of(dists: Sequence[Mapping[str, float]], gold: Sequence[str], t: float = 1.0,
                   n_bins: int = N_BINS) -> CalibrationReport:
    """Reliability of the top outcome of each (tempered) distribution against the gold labels."""
    pairs = [_top(temper(dict(d), t), g) for d, g in zip(dists, gold, strict=True)]
    return reliability([c for c, _ in pairs], [ok for _, ok in pairs], n_bins)


def crossval_ece(dists: Sequence[Mapping[str, float]], gold: Sequence[str], folds: int = 5,
                 n_bins: int = N_BINS) -> float | None:
    """ECE when each fold's temperature is fitted on the other folds (None under 2 items per fold)."""
    n = len(dists)
    if n < 2 * folds:
        return None
    conf: list[float] = []
    right: list[bool] = []
    for f in range(folds):
        test = [i for i in range(n) if i % folds == f]
        train = [i for i in range(n) if i % folds != f]
        t = fit_temperature([dists[i] for i in train], [gold[i] for i in train])
        for i in test:
            c, ok = _top(temper(dict(dists[i]), t), gold[i])
            conf.append(c)
            right.append(ok)
    return reliability(conf, right, n_bins).ece


def majority_baseline(gold: Sequence[str]) -> dict[str, float | str]:
    """Always the most frequent gold label (ties: the first seen): its label, accuracy, macro-F1."""
    if not gold:
        raise ValueError("a baseline needs at least one gold label")
    label = Counter(gold).most_common(1)[0][0]
    rep = stance_report(list(gold), [label] * len(gold))
    return {"label": label, "accuracy": rep.accuracy, "macro_f1": rep.macro_f1}


def stance_calibration(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Majority baseline and calibration of scored stance rows (`evals.scoring.score_stance`).

    Calibration covers the rows whose stance came with a distribution (the model was asked);
    an article where the actor has no statement is "none" by construction and is left out.
    `fitted_temperature` is relative to the run's own temperature (the policy's).
    """
    scored = [r for r in rows if r["pred"] is not None]
    out: dict[str, Any] = {}
    if scored:
        base = majority_baseline([r["gold"] for r in scored])
        out.update(majority_label=base["label"], majority_accuracy=base["accuracy"],
                   majority_macro_f1=base["macro_f1"])
    probs = [r for r in scored if r.get("probabilities")]
    out["ece_n"] = len(probs)
    if not probs:
        return out
    dists = [r["probabilities"] for r in probs]
    gold = [r["gold"] for r in probs]
    rep = calibration_of(dists, gold)
    t = fit_temperature(dists, gold)
    out.update(ece=rep.ece, mean_confidence=rep.mean_confidence, nll=nll(dists, gold),
               calibration=rep.model_dump(), fitted_temperature=t,
               ece_fitted=calibration_of(dists, gold, t).ece, nll_fitted=nll(dists, gold, t),
               ece_fitted_cv=crossval_ece(dists, gold))
    return out
