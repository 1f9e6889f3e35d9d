"""ECE, reliability tables, temperature fitting and the majority baseline on hand-made cases."""

from __future__ import annotations

import pytest

from evals.calibration import (
    calibration_of,
    crossval_ece,
    expected_calibration_error,
    fit_temperature,
    majority_baseline,
    nll,
    reliability,
    stance_calibration,
)


def test_perfectly_calibrated_bins_have_zero_ece():
    # 10 items at 0.8, 8 right; 10 at 0.3, 3 right
    conf = [0.8] * 10 + [0.3] * 10
    right = [True] * 8 + [False] * 2 + [True] * 3 + [False] * 7
    assert expected_calibration_error(conf, right) == pytest.approx(0.0)


def test_overconfident_system_ece_is_the_weighted_gap():
    # 4 items at 0.9 (1 right: gap 0.65), 4 items at 0.55 (2 right: gap 0.05)
    rep = reliability([0.9] * 4 + [0.55] * 4, [True, False, False, False, True, True, False, False])
    assert rep.ece == pytest.approx(0.5 * 0.65 + 0.5 * 0.05)
    full = [b for b in rep.bins if b.n]
    assert [(b.lo, b.n, b.accuracy) for b in full] == [(0.5, 4, 0.5), (0.9, 4, 0.25)]
    assert len(rep.bins) == 10 and rep.bins[0].confidence is None
    assert rep.accuracy == pytest.approx(3 / 8) and rep.mean_confidence == pytest.approx(0.725)


def test_confidence_one_falls_in_the_last_bin_and_bad_input_raises():
    assert reliability([1.0], [True]).bins[-1].n == 1
    with pytest.raises(ValueError):
        reliability([0.5], [True, False])
    with pytest.raises(ValueError):
        reliability([], [])
    with pytest.raises(ValueError):
        reliability([1.2], [True])


def test_temperature_fit_cools_an_overconfident_model():
    # the model says 0.9 for its top label but is right half the time
    dists = [{"a": 0.9, "b": 0.1}] * 10
    gold = ["a", "b"] * 5
    t = fit_temperature(dists, gold)
    assert t > 1.0  # flatter
    assert nll(dists, gold, t) < nll(dists, gold)
    assert calibration_of(dists, gold, t).ece < calibration_of(dists, gold).ece
    # the best T is infinite (coin flips); the grid stops at 20
    assert calibration_of(dists, gold, t).mean_confidence == pytest.approx(0.5, abs=0.03)


def test_temperature_fit_sharpens_an_underconfident_model():
    dists = [{"a": 0.55, "b": 0.45}] * 10
    assert fit_temperature(dists, ["a"] * 10) < 1.0
    assert fit_temperature([], []) == 1.0


def test_crossval_ece_needs_enough_items():
    dists = [{"a": 0.9, "b": 0.1}] * 20
    gold = ["a", "b"] * 10
    cv = crossval_ece(dists, gold)
    assert cv is not None and cv < 0.1
    assert crossval_ece(dists[:6], gold[:6]) is None


def test_majority_baseline():
    base = majority_baseline(["open", "open", "opposed", "none"])
    assert base["label"] == "open" and base["accuracy"] == 0.5
    # F1 of "open" is 2/3; opposed and none score 0: macro over three labels
    assert base["macro_f1"] == pytest.approx((2 / 3) / 3)
    with pytest.raises(ValueError):
        majority_baseline([])


def test_stance_calibration_over_report_rows():
    rows = [
        {"gold": "open", "pred": "open", "probabilities": {"open": 0.7, "opposed": 0.2, "none": 0.1}},
        {"gold": "opposed", "pred": "open", "probabilities": {"open": 0.6, "opposed": 0.3, "none": 0.1}},
        {"gold": "none", "pred": "none", "probabilities": {}},  # no statement: not a model confidence
        {"gold": "open", "pred": None, "probabilities": {}},  # not run
    ]
    out = stance_calibration(rows)
    # three scored rows, one label each: the first seen wins the tie
    assert out["majority_label"] == "open" and out["majority_accuracy"] == pytest.approx(1 / 3)
    assert out["ece_n"] == 2
    assert out["ece"] == pytest.approx(abs(0.7 - 1) / 2 + abs(0.6 - 0) / 2)
    assert out["calibration"]["n"] == 2 and out["ece_fitted_cv"] is None
    assert out["nll_fitted"] <= out["nll"]
