"""Stance metrics on hand-made labels whose right scores are known."""

from __future__ import annotations

import pytest

from evals import metrics
from evals.stance_metrics import accuracy, confusion_matrix, macro_f1, stance_report

GOLD = ["open", "open", "opposed", "conditional", "none", "opposed"]
PRED = ["open", "opposed", "opposed", "open", None, "none"]


def test_confusion_matrix_by_hand():
    labels = ["open", "conditional", "opposed", "none"]
    assert confusion_matrix(GOLD, PRED, labels) == [
        [1, 0, 1, 0],
        [1, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
    ]
    with pytest.raises(ValueError):
        confusion_matrix(GOLD, PRED, ["open"])


def test_accuracy_and_macro_f1_by_hand():
    # open P=R=1/2, F1=1/2; conditional F1=0; opposed P=R=1/2; none P=1/2 R=1 F1=2/3
    assert accuracy(GOLD, PRED) == 0.5
    assert macro_f1(GOLD, PRED) == pytest.approx((0.5 + 0 + 0.5 + 2 / 3) / 4)
    rep = stance_report(GOLD, PRED)
    assert rep.labels == ["open", "conditional", "opposed", "none"]
    by = {c.label: c for c in rep.per_class}
    assert (by["none"].precision, by["none"].recall, by["none"].support) == (0.5, 1.0, 1)
    assert by["conditional"].f1 == 0.0
    # a class nobody predicted or labelled still counts when named explicitly
    assert macro_f1(GOLD, PRED, ["open", "conditional", "opposed", "noncommittal", "none"]) == pytest.approx(
        (0.5 + 0 + 0.5 + 0 + 2 / 3) / 5
    )
    with pytest.raises(ValueError):
        accuracy(["open"], [])


def test_stance_metrics_are_reexported_by_evals_metrics():
    assert metrics.stance_report is stance_report and metrics.accuracy is accuracy
