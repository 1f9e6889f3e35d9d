"""Choice scoring: option probabilities from logprobs, contextual calibration, fallbacks."""

from __future__ import annotations

import math

import pytest
from choice_helpers import logprob_model
from langchain_core.messages import HumanMessage

from chains.choice import ChoiceRequest, ChoiceScorer, calibrate, option_distribution
from parley.core.errors import ModelError


def _req(text: str, options=("A", "B", "C"), shape: str = "t") -> ChoiceRequest:
    return ChoiceRequest(messages=[HumanMessage(text)], options=list(options),
                         content_free=[HumanMessage("N/A")], shape=shape)


def test_option_distribution_merges_spacing_variants_and_renormalises():
    alts = [("A", math.log(0.5)), (" A", math.log(0.1)), ("B)", math.log(0.2)), ("x", math.log(0.2))]
    dist = option_distribution(alts, ["A", "B", "C"])
    # masses: A 0.5 + 0.1, B 0.2, C unseen -> half the smallest seen (0.1 / 2); "x" is no option
    total = 0.6 + 0.2 + 0.05
    assert dist == pytest.approx({"A": 0.6 / total, "B": 0.2 / total, "C": 0.05 / total})
    assert sum(dist.values()) == pytest.approx(1.0)


def test_missing_option_gets_less_than_smallest_seen():
    alts = [("A", math.log(0.7)), ("B", math.log(0.3))]
    dist = option_distribution(alts, ["A", "B", "C"])
    assert 0 < dist["C"] < dist["B"]


def test_calibration_divides_out_the_prior():
    raw = {"A": 0.6, "B": 0.3, "C": 0.1}
    prior = {"A": 0.8, "B": 0.1, "C": 0.1}
    cal = calibrate(raw, prior)
    assert max(cal, key=cal.get) == "B"  # the model's favourite A was mostly bias
    assert sum(cal.values()) == pytest.approx(1.0)
    assert calibrate(raw, None) == raw


def test_scorer_calibrates_a_biased_model_and_caches_the_prior():
    # a model that always prefers "A" a bit; the content decides between B and C
    def scorer(text: str) -> dict[str, float]:
        if text == "N/A":
            return {"A": 0.7, "B": 0.15, "C": 0.15}
        return {"A": 0.5, "B": 0.35, "C": 0.15} if "b-ish" in text else {"A": 0.5, "B": 0.15, "C": 0.35}

    model = logprob_model(scorer)
    chooser = ChoiceScorer(model)
    r1 = chooser.invoke(_req("this is b-ish"))
    r2 = chooser.invoke(_req("this is c-ish"))
    assert (r1.raw["A"], r2.raw["A"]) == (pytest.approx(0.5), pytest.approx(0.5))
    assert r1.best == "B" and r2.best == "C"  # raw argmax would say A for both
    assert r1.method == "logprobs" and r1.prior is not None
    # one content-free call for the shape, then one call per request
    assert len(model.calls) == 3
    assert all(c["max_tokens"] == 1 and c["logprobs"] for c in model.calls)


def test_uncalibrated_scorer_keeps_raw():
    model = logprob_model({"A": 0.6, "B": 0.4})
    res = ChoiceScorer(model, calibrate=False).invoke(_req("x", options=("A", "B")))
    assert res.calibrated == res.raw and res.best == "A" and res.prior is None
    assert res.confidence == pytest.approx(0.6)


def test_server_without_logprobs_falls_back_to_the_written_token():
    model = logprob_model({"A": 0.2, "B": 0.8}, with_logprobs=False)
    res = ChoiceScorer(model).invoke(_req("x", options=("A", "B")))
    assert res.method == "constrained" and res.best == "B" and res.calibrated["B"] == 1.0


def test_an_answer_outside_the_options_is_a_model_error():
    model = logprob_model({"Z": 1.0}, with_logprobs=False)
    with pytest.raises(ModelError, match="not one of"):
        ChoiceScorer(model).invoke(_req("x", options=("A", "B")))


def test_runnable_batch_works():
    model = logprob_model({"A": 0.9, "B": 0.1})
    out = ChoiceScorer(model, calibrate=False).batch([_req("x", ("A", "B")), _req("y", ("A", "B"))])
    assert [r.best for r in out] == ["A", "A"]
